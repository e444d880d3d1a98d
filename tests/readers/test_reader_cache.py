"""Cached pages stay cached for signed-in readers: the front page and an article come from
the page cache with a reader's cookies, the same bytes an anonymous reader gets; the header
says "Sign in" in the page and reader.js changes it; the account and sign-in pages, and
any response that looked the reader up, are private and never stored."""

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import include, path

from masthead.readers.sessions import current_reader
from tests.publishing.factories import make_article, make_author, make_site_tree
from tests.readers import signed_in


def greeting(request):
    """A page on a path the cache would store, that greets the signed-in reader."""
    reader = current_reader(request)
    return HttpResponse(f"Hello {reader.email if reader else 'stranger'}")


def plain(request):
    """The same path shape without the lookup: a control that the path is cacheable."""
    return HttpResponse("Same for everyone")


urlpatterns = [
    path("greeting/", greeting),
    path("plain/", plain),
    path("", include("masthead.urls")),
]


@pytest.fixture
def outlet(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        tree = make_site_tree()
        author = make_author(tree.author_index, name="Robin Ashdown")
        tree.article = make_article(tree.section, [author], title="Library hours extended")
    return tree


@pytest.fixture
def reader_browser():
    browser = Client()
    browser.reader = signed_in(browser, "jo.reader@example.org", name="Jo Zephyrine")
    return browser


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["home", "article"])
def test_a_signed_in_reader_gets_the_cached_page_everyone_gets(
    client, outlet, reader_browser, page
):
    url = "/" if page == "home" else outlet.article.url

    filled = reader_browser.get(url)
    again = reader_browser.get(url)
    anonymous = client.get(url)

    assert filled.status_code == again.status_code == 200
    assert filled["X-Cache"] == "miss"
    assert again["X-Cache"] == "hit"
    assert anonymous["X-Cache"] == "hit"
    assert again.content == anonymous.content == filled.content
    assert "public" in again["Cache-Control"]
    body = again.content.decode()
    assert "jo.reader" not in body and "Zephyrine" not in body
    assert not filled.cookies


@pytest.mark.django_db
def test_the_header_links_to_the_account_and_loads_the_script_that_relabels_it(
    client, outlet, reader_browser
):
    body = reader_browser.get("/").content.decode()

    assert 'href="/account/" data-reader-link data-signed-in-text="Account">Sign in</a>' in body
    assert '<script src="/static/readers/reader.js" defer></script>' in body


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/account/", "/account/sign-in/", "/account/sign-in/code/", "/account/signed-out/"]
)
@pytest.mark.parametrize("who", ["anonymous", "reader"])
def test_account_and_sign_in_pages_are_private_and_never_stored(url, who, reader_browser):
    browser = Client() if who == "anonymous" else reader_browser

    first = browser.get(url)
    second = browser.get(url)

    for response in (first, second):
        assert "private" in response["Cache-Control"]
        assert "no-store" in response["Cache-Control"]
        assert "X-Cache" not in response


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_response_that_looked_the_reader_up_is_never_cached(client, reader_browser):
    greeted = reader_browser.get("/greeting/")
    again = reader_browser.get("/greeting/")
    anonymous = client.get("/greeting/")

    assert greeted.content == again.content == b"Hello jo.reader@example.org"
    assert "X-Cache" not in greeted and "X-Cache" not in again
    assert "private" in again["Cache-Control"] and "no-store" in again["Cache-Control"]
    assert anonymous.content == b"Hello stranger"
    assert "X-Cache" not in client.get("/greeting/")


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_cacheable_path_is_otherwise_stored(client):
    """The control for the test above: without current_reader such a path is a hit."""
    assert client.get("/plain/")["X-Cache"] == "miss"
    assert client.get("/plain/")["X-Cache"] == "hit"
