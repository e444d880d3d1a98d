"""An article shown on its own page reads its tags, byline links, sources and corrections in
one query (``read_article_children``), and shows them exactly as when each was read apart:
in their orders, with their dates in the outlet's time zone, on SQLite and PostgreSQL."""

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from masthead.core.cache import invalidate_pages
from masthead.publishing.models import ArticleCorrection, ArticlePage, ArticleSource
from tests.publishing.factories import make_article, make_author, make_site_tree, publish

UTC = datetime.UTC


@pytest.fixture
def client(settings):
    """The benchmark's cold mode: no cached page, no rendered fragment."""
    settings.PAGE_CACHE_SECONDS = 0
    settings.FRAGMENT_CACHE_SECONDS = 0
    return Client()


@pytest.fixture
def article(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        tree = make_site_tree()
        first = make_author(tree.author_index, name="Robin Ashdown")
        second = make_author(tree.author_index, name="Sam Okafor")
        article = make_article(
            tree.section, [second, first], title="Weir repairs", tags=["Transport", "Housing"]
        )
        # Added out of their orders: sources by their number, corrections by date.
        article.sources.add(
            ArticleSource(
                sort_order=1,
                title="Council minutes <June>",
                publisher="Wennmouth Council",
                url="https://council.example/minutes",
                date=datetime.date(2026, 6, 3),
            )
        )
        article.sources.add(ArticleSource(sort_order=0, title="Flood report", publisher=""))
        article.corrections.add(
            ArticleCorrection(
                kind=ArticleCorrection.Kind.UPDATE,
                date=datetime.datetime(2026, 7, 2, 8, 15, tzinfo=UTC),
                text="The weir reopens on Friday.",
            )
        )
        article.corrections.add(
            ArticleCorrection(
                kind=ArticleCorrection.Kind.CORRECTION,
                date=datetime.datetime(2026, 7, 1, 23, 30, tzinfo=UTC),
                text="An earlier version gave the wrong date & time.",
            )
        )
        publish(article)
    invalidate_pages()
    return ArticlePage.objects.get(pk=article.pk)


def captured_page(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), [query["sql"] for query in captured.captured_queries]


@pytest.mark.django_db
def test_the_four_are_read_in_one_query(client, article):
    _html, queries = captured_page(client, article.url)

    def reading(table):
        return [sql for sql in queries if f'"{table}"' in sql]

    tags, sources, corrections = (
        reading("taggit_tag"),
        reading("publishing_articlesource"),
        reading("publishing_articlecorrection"),
    )
    assert len(tags) == len(sources) == len(corrections) == 1
    assert tags == sources == corrections
    assert '"publishing_articleauthor"' in tags[0]
    # The article's own byline links are not read again (the related cards' would be).
    assert not any(
        '"publishing_articleauthor"' in sql and sql != tags[0] and f"= {article.pk}" in sql
        for sql in queries
    )


@pytest.mark.django_db
def test_they_are_shown_in_their_orders_with_their_dates_in_the_outlets_zone(client, article):
    html, _queries = captured_page(client, article.url)

    assert re.search(r"By <a[^>]*>Sam Okafor</a> and <a[^>]*>Robin Ashdown</a>", html)
    topics = re.search(r'<ul class="tag-list" role="list">(.*?)</ul>', html, re.S).group(1)
    assert re.findall(r'rel="tag">([^<]+)</a>', topics) == ["Transport", "Housing"]
    assert re.findall(r'<meta property="article:tag" content="([^"]+)">', html) == [
        "Transport",
        "Housing",
    ]

    sources = re.search(r'<ol class="sources__list">(.*?)</ol>', html, re.S).group(1)
    assert re.findall(r"<li>(.*?)</li>", sources, re.S) == [
        "Flood report",
        '<a href="https://council.example/minutes">Council minutes &lt;June&gt;</a>, '
        'Wennmouth Council, <time datetime="2026-06-03">3 June 2026</time>',
    ]

    corrections = re.search(r'<ol class="corrections__list"[^>]*>(.*?)</ol>', html, re.S).group(1)
    # 23:30 UTC on 1 July is 00:30 on 2 July in London (summer time), before 09:15.
    assert re.findall(r"<strong>(\w+)</strong>, <time[^>]*>([^<]+)</time>", corrections) == [
        ("Correction", "2 July 2026, 00:30"),
        ("Update", "2 July 2026, 09:15"),
    ]
    assert 'datetime="2026-07-02T00:30:00+01:00"' in corrections
    assert "the wrong date &amp; time." in corrections
    # "Updated" in the article's header is the newest entry.
    assert re.search(r'Updated <time datetime="2026-07-02T09:15:00\+01:00">', html)


@pytest.mark.django_db
def test_an_article_with_none_of_them_shows_none(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        tree = make_site_tree()
        bare = make_article(tree.section, [], title="A short item")
    html, queries = captured_page(client, bare.url)

    assert "tag-list" not in html
    assert "sources__list" not in html
    assert "corrections__list" not in html
    assert 'class="byline"' not in html
    assert len([sql for sql in queries if '"publishing_articlesource"' in sql]) == 1


@pytest.mark.django_db
def test_read_together_they_are_the_rows_read_apart(article):
    """Every field of every tag, source and correction, and every author, as the ORM reads
    them one relation at a time: the same values (dates aware, in UTC), in the same orders."""
    apart = ArticlePage.objects.get(pk=article.pk)
    together = ArticlePage.objects.get(pk=article.pk)
    together.read_children_together = True

    def fields(rows):
        return [
            {field.attname: getattr(row, field.attname) for field in row._meta.concrete_fields}
            for row in rows
        ]

    assert fields(together.tags.all()) == fields(apart.tags.all())
    assert [tag.name for tag in together.tags.all()] == ["Transport", "Housing"]
    assert together.author_list == apart.author_list
    assert [author.title for author in together.author_list] == ["Sam Okafor", "Robin Ashdown"]
    assert fields(together.source_list) == fields(apart.source_list)
    assert [source.title for source in together.source_list] == [
        "Flood report",
        "Council minutes <June>",
    ]
    assert fields(together.dated_entries) == fields(apart.dated_entries)
    assert together.dated_entries[0].date == datetime.datetime(2026, 7, 1, 23, 30, tzinfo=UTC)
    assert together.dated_entries[0].date.utcoffset() == datetime.timedelta(0)
    assert together.updated_at == apart.updated_at
    # As read from the database: saving one changes its row, not a new one.
    assert not together.source_list[0]._state.adding
