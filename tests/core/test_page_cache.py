"""The whole-page cache for anonymous readers: what it serves, what it never keeps, and
that every change an editor publishes reaches readers on the next request."""

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.utils import timezone
from wagtail.models import PageViewRestriction, Revision

from masthead.core import cache as page_cache
from masthead.core.models import SiteSettings
from masthead.publishing.models import ArticlePage
from masthead.publishing.services import publish_due_pages
from tests.publishing.factories import (
    make_article,
    make_author,
    make_image,
    make_site_tree,
    publish,
)


@pytest.fixture
def outlet(django_capture_on_commit_callbacks):
    """A site with a section, an author and one article with a hero image."""
    with django_capture_on_commit_callbacks(execute=True):
        tree = make_site_tree()
        author = make_author(tree.author_index, name="Robin Ashdown")
        article = make_article(
            tree.section,
            [author],
            title="Library opening hours extended",
            hero_image=make_image("Reading room"),
        )
    tree.author = author
    tree.article = article
    return tree


def get(client, url, **extra):
    response = client.get(url, **extra)
    return response, response.content.decode()


@pytest.mark.django_db
def test_second_anonymous_request_is_a_hit_with_the_same_page(client, outlet):
    url = outlet.article.url

    first = client.get(url)
    second = client.get(url)

    assert first.status_code == 200
    assert first["X-Cache"] == "miss"
    assert second.status_code == 200
    assert second["X-Cache"] == "hit"
    assert second.content == first.content
    assert "Library opening hours extended" in second.content.decode()
    assert second["Content-Type"] == first["Content-Type"]


@pytest.mark.django_db
def test_cached_pages_tell_browsers_a_minute_and_shared_caches_a_second(client, outlet):
    miss = client.get("/")
    hit = client.get("/")

    # s-maxage is EDGE_CACHE_SECONDS, for nginx's micro-cache and a CDN (tests/deploy).
    assert miss["Cache-Control"] == "public, max-age=60, s-maxage=1"
    assert hit["Cache-Control"] == "public, max-age=60, s-maxage=1"


@pytest.mark.django_db
def test_publishing_an_edit_shows_the_new_headline_everywhere_at_once(
    client, outlet, django_capture_on_commit_callbacks
):
    pages = [outlet.article.url, outlet.section.url, "/"]
    for url in pages:
        client.get(url)
        assert client.get(url)["X-Cache"] == "hit"

    article = ArticlePage.objects.get(pk=outlet.article.pk)
    article.title = "Library to open on Sundays"
    with django_capture_on_commit_callbacks(execute=True):
        article.save_revision().publish()

    for url in pages:
        response, body = get(client, url)
        assert response.status_code == 200
        assert response["X-Cache"] == "miss"
        assert "Library to open on Sundays" in body
        assert "Library opening hours extended" not in body


@pytest.mark.django_db
def test_saving_a_draft_leaves_readers_with_the_published_page(
    client, outlet, django_capture_on_commit_callbacks
):
    client.get(outlet.article.url)
    article = ArticlePage.objects.get(pk=outlet.article.pk)
    article.title = "A headline still being written"
    with django_capture_on_commit_callbacks(execute=True):
        article.save_revision()

    response, body = get(client, outlet.article.url)

    assert response["X-Cache"] == "hit"
    assert "Library opening hours extended" in body
    assert "A headline still being written" not in body


@pytest.mark.django_db
def test_unpublishing_removes_the_article_and_its_place_on_the_home_page(
    client, outlet, django_capture_on_commit_callbacks
):
    client.get(outlet.article.url)
    client.get("/")
    url = outlet.article.url

    with django_capture_on_commit_callbacks(execute=True):
        ArticlePage.objects.get(pk=outlet.article.pk).unpublish()

    assert client.get(url).status_code == 404
    response, body = get(client, "/")
    assert response["X-Cache"] == "miss"
    assert "Library opening hours extended" not in body


@pytest.mark.django_db
def test_deleting_an_article_removes_it_from_the_home_page(
    client, outlet, django_capture_on_commit_callbacks
):
    client.get("/")

    with django_capture_on_commit_callbacks(execute=True):
        ArticlePage.objects.get(pk=outlet.article.pk).delete()

    response, body = get(client, "/")
    assert response["X-Cache"] == "miss"
    assert "Library opening hours extended" not in body


@pytest.mark.django_db
def test_a_scheduled_article_going_live_in_the_worker_appears_on_the_home_page(
    client, outlet, django_capture_on_commit_callbacks
):
    article = ArticlePage(
        title="Ferry timetable changes from Monday",
        slug="ferry-timetable",
        standfirst="Two crossings a day are added.",
        body=[("paragraph", "<p>The operator announced the change.</p>")],
        live=False,
    )
    outlet.section.add_child(instance=article)
    article.go_live_at = timezone.now() + timedelta(hours=1)
    article.save_revision().publish()
    client.get("/")
    response, body = get(client, "/")
    assert response["X-Cache"] == "hit"
    assert "Ferry timetable changes from Monday" not in body

    # The clock moves on, behind the cache's back (update() sends no signal).
    revision = Revision.page_revisions.get(
        object_id=str(article.pk), approved_go_live_at__isnull=False
    )
    due = timezone.now() - timedelta(minutes=1)
    content = {**revision.content, "go_live_at": due.isoformat()}
    Revision.page_revisions.filter(pk=revision.pk).update(approved_go_live_at=due, content=content)
    ArticlePage.objects.filter(pk=article.pk).update(go_live_at=due)
    with django_capture_on_commit_callbacks(execute=True):
        assert publish_due_pages().published == 1

    response, body = get(client, "/")
    assert response["X-Cache"] == "miss"
    assert "Ferry timetable changes from Monday" in body


@pytest.mark.django_db
def test_saving_site_settings_changes_the_header_on_the_next_request(
    client, outlet, django_capture_on_commit_callbacks
):
    client.get("/")
    assert client.get("/")["X-Cache"] == "hit"

    site_settings = SiteSettings.for_site(outlet.site)
    site_settings.outlet_name = "The Riverside Courier"
    with django_capture_on_commit_callbacks(execute=True):
        site_settings.save()

    response, body = get(client, "/")
    assert response["X-Cache"] == "miss"
    assert '<span class="brand__name">The Riverside Courier</span>' in body


@pytest.mark.django_db
def test_editing_an_author_changes_the_byline_on_their_articles(
    client, outlet, django_capture_on_commit_callbacks
):
    client.get(outlet.article.url)

    author = outlet.author
    author.title = "Robin Ashdown-Vale"
    with django_capture_on_commit_callbacks(execute=True):
        publish(author)

    response, body = get(client, outlet.article.url)
    assert response["X-Cache"] == "miss"
    assert "Robin Ashdown-Vale</a>" in body


@pytest.mark.django_db
def test_making_a_page_private_stops_serving_its_cached_copy(
    client, outlet, django_capture_on_commit_callbacks
):
    client.get(outlet.article.url)

    with django_capture_on_commit_callbacks(execute=True):
        PageViewRestriction.objects.create(
            page=outlet.article, restriction_type=PageViewRestriction.LOGIN
        )

    response = client.get(outlet.article.url)
    assert response.status_code == 302
    assert response["Location"].startswith("/_util/login/")


@pytest.mark.django_db
def test_a_signed_in_editor_is_never_served_from_nor_stored_into_the_cache(client, outlet):
    editor = User.objects.create_user("editor", password="a-long-editor-password")
    client.force_login(editor)
    assert settings.SESSION_COOKIE_NAME in client.cookies

    signed_in = client.get(outlet.article.url)
    assert signed_in.status_code == 200
    assert "X-Cache" not in signed_in
    assert signed_in["Cache-Control"] == "private, no-cache"

    client.logout()
    client.cookies.pop(settings.SESSION_COOKIE_NAME, None)
    anonymous = client.get(outlet.article.url)
    assert anonymous["X-Cache"] == "miss"

    # The page changes behind the cache's back (no signal): only a session sees it.
    ArticlePage.objects.filter(pk=outlet.article.pk).update(title="Changed without a signal")
    client.force_login(editor)
    response, body = get(client, outlet.article.url)
    assert "X-Cache" not in response
    assert '<h1 class="article__headline">Changed without a signal</h1>' in body


@pytest.mark.django_db
def test_a_flash_message_cookie_bypasses_the_cache(client, outlet):
    client.get("/")
    client.cookies["messages"] = "anything"

    response = client.get("/")

    assert response.status_code == 200
    assert "X-Cache" not in response


@pytest.mark.django_db
def test_a_post_is_never_cached(client, outlet):
    url = outlet.article.url
    first = client.post(url, {"name": "value"})
    second = client.post(url, {"name": "value"})

    assert "X-Cache" not in first
    assert "X-Cache" not in second
    assert client.get(url)["X-Cache"] == "miss"


@pytest.mark.django_db
def test_a_tracking_query_string_bypasses_the_cache(client, outlet):
    client.get("/")
    assert client.get("/")["X-Cache"] == "hit"

    first = client.get("/?utm_source=x")
    second = client.get("/?utm_source=x")

    assert first.status_code == 200
    assert "X-Cache" not in first
    assert "X-Cache" not in second


@pytest.mark.django_db
def test_each_page_of_a_listing_is_cached_on_its_own(client, outlet):
    section = outlet.section.url

    assert client.get(section)["X-Cache"] == "miss"
    assert client.get(f"{section}?page=1")["X-Cache"] == "miss"
    assert client.get(f"{section}?page=1")["X-Cache"] == "hit"
    missing = client.get(f"{section}?page=99")
    assert missing.status_code == 404
    assert "X-Cache" not in missing


@pytest.mark.django_db
def test_head_does_not_store_an_empty_page_for_get(client, outlet):
    url = outlet.article.url

    head = client.head(url)
    get_after_head = client.get(url)
    head_after_get = client.head(url)

    assert head.status_code == 200
    assert head.content == b""
    assert "X-Cache" not in head
    assert get_after_head["X-Cache"] == "miss"
    assert b"Library opening hours extended" in get_after_head.content
    assert head_after_get["X-Cache"] == "hit"
    assert head_after_get["Content-Length"] == str(len(get_after_head.content))
    assert client.get(url).content == get_after_head.content


@pytest.mark.django_db
def test_a_not_found_page_is_not_cached(client, outlet):
    first = client.get("/no-such-page/")
    second = client.get("/no-such-page/")

    assert first.status_code == 404
    assert second.status_code == 404
    assert "X-Cache" not in first
    assert "X-Cache" not in second


@pytest.mark.django_db
def test_the_admin_search_and_health_check_are_never_cached(client, outlet):
    for url in ["/search/", "/health/", "/admin/login/"]:
        client.get(url)
        response = client.get(url)
        assert response.status_code == 200, url
        assert "X-Cache" not in response, url


@pytest.mark.django_db
def test_each_host_has_its_own_cached_pages(client, outlet):
    client.get("/", HTTP_HOST="localhost")
    assert client.get("/", HTTP_HOST="localhost")["X-Cache"] == "hit"

    assert client.get("/", HTTP_HOST="127.0.0.1")["X-Cache"] == "miss"


@pytest.mark.django_db
def test_an_unknown_host_is_refused_not_an_error(client, outlet):
    response = client.get("/", HTTP_HOST="attacker.example")

    assert response.status_code == 400


@pytest.mark.django_db
def test_a_change_made_by_another_process_is_seen_within_a_second(client, outlet):
    client.get("/")
    assert client.get("/")["X-Cache"] == "hit"

    # What invalidate_pages() in another worker process leaves in the shared cache.
    cache.set(page_cache.GENERATION_KEY, "a-generation-from-another-process", timeout=None)
    time.sleep(page_cache.GENERATION_CHECK_SECONDS + 0.1)

    assert client.get("/")["X-Cache"] == "miss"
    assert client.get("/")["X-Cache"] == "hit"
