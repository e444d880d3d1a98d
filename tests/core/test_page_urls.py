"""Page URLs (``masthead.core.page_urls``): Wagtail's own, with its URL pattern resolved
once per path."""

import pytest
from django.test import RequestFactory, override_settings
from django.urls import set_script_prefix
from wagtail.models import Page, Site

from tests.publishing.factories import make_article, make_author, make_site_tree


def wagtails_own(page, request=None):
    return Page.get_url_parts(page, request=request)


@pytest.fixture
def pages():
    tree = make_site_tree()
    author = make_author(tree.author_index, "Ada Hill")
    article = make_article(tree.section, [author], title="Café opens on the quay")
    return [tree.home, tree.section, tree.author_index, author, article]


@pytest.mark.django_db
def test_every_page_has_the_url_wagtail_gives_it(pages):
    request = RequestFactory().get("/")
    for page in pages:
        assert page.get_url_parts() == wagtails_own(page)
        assert page.get_url_parts(request) == wagtails_own(page, request)
    assert pages[-1].url == "/news/cafe-opens-on-the-quay/"


@pytest.mark.django_db
def test_a_script_prefix_and_no_trailing_slash_are_followed(pages):
    article = pages[-1]
    try:
        set_script_prefix("/outlet/")
        assert article.get_url_parts()[2] == "/outlet/news/cafe-opens-on-the-quay/"
        assert article.get_url_parts() == wagtails_own(article)
    finally:
        set_script_prefix("/")
    assert article.get_url_parts()[2] == "/news/cafe-opens-on-the-quay/"
    with override_settings(WAGTAIL_APPEND_SLASH=False):
        assert article.get_url_parts()[2] == "/news/cafe-opens-on-the-quay"
        assert pages[0].get_url_parts()[2] == "/"


@pytest.mark.django_db
def test_a_page_on_two_sites_is_given_the_requests_site(pages):
    home, article = pages[0], pages[-1]
    Site.objects.create(hostname="second.example", port=80, root_page=home)
    request = RequestFactory().get("/", HTTP_HOST="second.example")
    assert article.get_url_parts(request) == wagtails_own(article, request)
    assert article.get_full_url(request) == "http://second.example/news/cafe-opens-on-the-quay/"


@pytest.mark.django_db
def test_the_sites_root_paths_are_read_once_until_a_site_changes(pages, monkeypatch):
    article = pages[-1]
    article.get_url_parts(RequestFactory().get("/"))
    reads = []
    original = Site.get_site_root_paths
    monkeypatch.setattr(Site, "get_site_root_paths", lambda: reads.append(1) or original())
    for _ in range(3):  # three requests, each with the page as its own instance
        page = Page.objects.get(pk=article.pk).specific
        assert page.get_url_parts(RequestFactory().get("/"))[2] == "/news/cafe-opens-on-the-quay/"
    assert reads == []
    site = Site.objects.get(is_default_site=True)
    site.hostname = "renamed.example"
    try:
        site.save()  # a new generation
        page = Page.objects.get(pk=article.pk).specific
        assert page.get_full_url(RequestFactory().get("/")) == (
            "http://renamed.example/news/cafe-opens-on-the-quay/"
        )
        assert reads == [1]
    finally:
        # Wagtail keeps the paths in the shared cache, which outlives the rolled-back rename.
        Site.clear_site_root_paths_cache()


@pytest.mark.django_db
def test_a_request_reads_the_script_prefix_once_and_nothing_wrong_is_remembered(pages):
    """What resolving depends on (the URL configuration and the script prefix, which Django
    sets as a request starts) is read once per request, and each request gets its own. A
    prefix changed during a request (nothing does that but this test) gives a path worked
    out afresh, remembered for neither prefix."""
    section, article = pages[1], pages[-1]
    try:
        set_script_prefix("/outlet/")
        first = RequestFactory().get("/")
        assert article.get_url_parts(first)[2] == "/outlet/news/cafe-opens-on-the-quay/"
        set_script_prefix("/")
        second = RequestFactory().get("/")
        assert article.get_url_parts(second)[2] == "/news/cafe-opens-on-the-quay/"
        assert article.get_url_parts(second) == wagtails_own(article, second)
        # The section, not yet worked out for either prefix, asked for by the first request
        # after the change: worked out as Wagtail would now.
        assert section.get_url_parts(first)[2] == "/news/"
        set_script_prefix("/outlet/")
        assert section.get_url_parts(RequestFactory().get("/"))[2] == "/outlet/news/"
        set_script_prefix("/")
        assert section.get_url_parts(RequestFactory().get("/"))[2] == "/news/"
    finally:
        set_script_prefix("/")
    assert article.get_url_parts()[2] == "/news/cafe-opens-on-the-quay/"


@pytest.mark.django_db
def test_pages_rendered_afresh_read_the_kept_root_paths(client, pages, monkeypatch):
    """The site middleware gives each request the kept root paths as Wagtail keeps them on
    a request, and the home page's structured data is kept: a home page, an article or a
    search rendered afresh reads none from the shared cache (a file read, or a round trip
    to Redis, on every request)."""
    from django.core.cache import cache

    article = pages[-1]
    addresses = ["/", article.url, "/search/?q=cafe"]
    for address in addresses:  # what is kept is kept now
        assert client.get(address).status_code == 200
    original, reads = cache.get, []

    def noted(key, *args, **kwargs):
        reads.append(key)
        return original(key, *args, **kwargs)

    monkeypatch.setattr(cache, "get", noted)
    with override_settings(PAGE_CACHE_SECONDS=0, FRAGMENT_CACHE_SECONDS=0):
        for address in addresses:
            response = client.get(address)
            assert response.status_code == 200
            assert "http://localhost/#website" in response.content.decode() or address != "/"
    assert "wagtail_site_root_paths" not in reads
