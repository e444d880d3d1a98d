"""The Site, its root page and that page's specific page are remembered per process
(``masthead.core.sites``): routing a request costs no query for them, each request gets its
own copies, and a change editors make is seen at once."""

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from masthead.core.cache import invalidate_pages
from masthead.core.sites import find_site
from masthead.publishing.models import HomePage
from tests.publishing.factories import make_site_tree, publish

pytestmark = pytest.mark.django_db


def request_for(path="/"):
    return RequestFactory().get(path, HTTP_HOST="localhost")


def test_the_root_pages_specific_page_is_looked_up_once_and_copied_per_request():
    tree = make_site_tree()
    invalidate_pages()

    first = find_site(request_for()).root_page.specific
    assert isinstance(first, HomePage)
    assert first.pk == tree.home.pk
    with CaptureQueriesContext(connection) as captured:
        second = find_site(request_for()).root_page.specific
        assert second.title == tree.home.title
    assert captured.captured_queries == []
    # What one request leaves on its copy stays with it.
    first.title = "Changed by one request"
    first.__dict__["remembered_by_a_request"] = True
    third = find_site(request_for()).root_page.specific
    assert third.title == tree.home.title
    assert "remembered_by_a_request" not in third.__dict__


def test_a_published_change_to_the_home_page_is_routed_at_once(client):
    tree = make_site_tree()
    assert client.get("/?uncached=1").status_code == 200
    home = HomePage.objects.get(pk=tree.home.pk)
    home.seo_title = "Our new morning briefing"
    publish(home)

    body = client.get("/?uncached=2").content.decode()

    assert "Our new morning briefing" in body
