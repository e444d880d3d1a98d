"""After an import's batch writes many search index entries at once, the index is tidied
at once on PostgreSQL (``tidy_after_bulk_update``): the GIN index's pending entries merged
and the table's statistics refreshed, as autovacuum would do a minute later."""

import pytest
from django.db import connection
from wagtail.models import Page

from masthead.core import search_backend
from masthead.publishing.models import ArticlePage
from masthead.transfer import indexing
from tests.publishing.factories import make_article, make_site_tree

pytestmark = pytest.mark.django_db


def searched(articles):
    return [("publishing", "articlepage", article.pk) for article in articles]


def test_a_large_batch_is_tidied_and_a_small_one_is_not(monkeypatch):
    tree = make_site_tree()
    articles = [make_article(tree.section, title=f"Ferry notice {n}") for n in range(4)]
    tidied = []
    monkeypatch.setattr(indexing, "tidy_after_bulk_update", lambda: tidied.append(True))
    monkeypatch.setattr(indexing, "TIDY_AFTER", 4)
    indexing.update_indexes([], searched(articles[:3]))
    assert tidied == []
    indexing.update_indexes([], searched(articles))
    assert tidied == [True]
    # Objects gone since are not counted as written.
    ArticlePage.objects.filter(pk=articles[0].pk).delete()
    indexing.update_indexes([], searched(articles))
    assert tidied == [True]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the GIN index and ANALYZE are PostgreSQL's"
)
def test_tidying_analyzes_the_index_table_on_postgresql():
    tree = make_site_tree()
    for n in range(3):
        make_article(tree.section, title=f"Council notice {n}")
    table = "wagtailsearch_indexentry"
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM wagtailsearch_indexentry")
        (entries,) = cursor.fetchone()
        assert entries >= 3
        cursor.execute("UPDATE pg_class SET reltuples = -1 WHERE relname = %s", [table])
        search_backend.tidy_after_bulk_update()
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        assert cursor.fetchone()[0] == entries
    assert Page.objects.live().search("council").count() >= 3


def test_tidying_does_nothing_elsewhere(django_assert_num_queries):
    if connection.vendor == "postgresql":
        pytest.skip("on PostgreSQL it tidies (the test above)")
    with django_assert_num_queries(0):
        search_backend.tidy_after_bulk_update()
