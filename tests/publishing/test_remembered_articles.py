"""An article routed to is kept by the process for the page-cache generation while rendered
fragments are kept (``masthead.publishing.models.route_to_article``): the next request of
its path reads no row for it, each request gets its own copy, and any change editors make
is served at once."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from masthead.core.cache import invalidate_pages
from masthead.publishing.models import ArticlePage, _remembered_article
from tests.publishing.factories import (
    make_article,
    make_author,
    make_image,
    make_section,
    make_site_tree,
    publish,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def article():
    tree = make_site_tree()
    invalidate_pages()
    return make_article(
        tree.section,
        [make_author(tree.author_index, "Ada Hill")],
        title="Harbour wall to be rebuilt",
        body=[("paragraph", "<p>Work starts in the spring.</p>")],
    )


def article_queries(client, url):
    """The queries for the article's own row while serving ``url``."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return [
        query["sql"]
        for query in captured.captured_queries
        if 'FROM "publishing_articlepage"' in query["sql"] and '"url_path" =' in query["sql"]
    ]


def test_an_article_is_read_once_and_then_served_from_what_the_process_kept(client, article):
    assert len(article_queries(client, f"{article.url}?visit=1")) == 1
    assert article_queries(client, f"{article.url}?visit=2") == []
    assert "Harbour wall to be rebuilt" in client.get(f"{article.url}?visit=3").content.decode()


def test_each_request_gets_its_own_copy(client, article):
    client.get(article.url)
    first = _remembered_article(article.url_path)
    second = _remembered_article(article.url_path)
    assert first is not second
    assert first.pk == second.pk == article.pk
    first.title = "Changed by one request"
    first.__dict__["kept_by_a_request"] = True
    assert [block.block_type for block in first.body] == ["paragraph"]
    assert first.author_list[0].title == "Ada Hill"  # a related row cached on the copy
    third = _remembered_article(article.url_path)
    assert third.title == "Harbour wall to be rebuilt"
    assert "kept_by_a_request" not in third.__dict__
    assert "author_list" not in third.__dict__
    assert third.body is not first.body
    assert third._state.fields_cache is not first._state.fields_cache
    assert str(third.body[0].value) == "<p>Work starts in the spring.</p>"


def test_an_edit_an_unpublication_and_a_move_are_served_at_once(client, article):
    assert client.get(article.url).status_code == 200
    edited = ArticlePage.objects.get(pk=article.pk)
    edited.title = "Harbour wall rebuild delayed"
    publish(edited)
    assert (
        "Harbour wall rebuild delayed" in client.get(f"{article.url}?after=edit").content.decode()
    )

    moved = ArticlePage.objects.get(pk=article.pk)
    moved.move(make_section(edited.get_parent().get_parent().specific, "Coast"), pos="last-child")
    moved.refresh_from_db()
    assert client.get(f"{article.url}?after=move").status_code in (301, 404)
    assert client.get(moved.url).status_code == 200

    ArticlePage.objects.get(pk=article.pk).unpublish()
    assert client.get(f"{moved.url}?after=unpublish").status_code == 404


def test_with_rendered_fragments_off_the_article_is_read_for_every_request(
    client, article, settings
):
    settings.FRAGMENT_CACHE_SECONDS = 0
    assert len(article_queries(client, f"{article.url}?visit=1")) == 1
    assert len(article_queries(client, f"{article.url}?visit=2")) == 1


def test_a_signed_in_editor_gets_the_article_as_the_database_has_it(client, article):
    editor = get_user_model().objects.create_user("editor", "editor@example.org", "pw")
    client.get(article.url)  # kept for anonymous readers
    client.force_login(editor)
    assert len(article_queries(client, f"{article.url}?as=editor")) == 1
    assert len(article_queries(client, f"{article.url}?as=editor-again")) == 1


def test_each_request_gets_its_own_copy_of_the_picture_read_with_the_article(client, article):
    article.hero_image = make_image("Harbour wall at low tide")
    publish(article)
    invalidate_pages()
    with CaptureQueriesContext(connection) as captured:
        client.get(article.url)
    # The picture came with the article's row: no query of its own.
    assert not any(
        query["sql"].startswith('SELECT "wagtailimages_image"')
        for query in captured.captured_queries
    )
    first = _remembered_article(article.url_path)
    second = _remembered_article(article.url_path)
    assert first.hero_image.title == second.hero_image.title == "Harbour wall at low tide"
    assert first.hero_image is not second.hero_image
    first.hero_image.__dict__["kept_by_a_request"] = True
    assert "kept_by_a_request" not in _remembered_article(article.url_path).hero_image.__dict__
