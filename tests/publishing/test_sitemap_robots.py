"""sitemap.xml and robots.txt."""

import xml.etree.ElementTree as ET

import pytest
from django.db import OperationalError, connection
from wagtail.models import PageViewRestriction

from tests.publishing.factories import make_article, make_author, make_site_tree

SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.mark.django_db
def test_sitemap_lists_live_public_pages_with_lastmod(client):
    tree = make_site_tree()
    writer = make_author(tree.author_index, name="Mina Hollis")
    article = make_article(tree.section, [writer], title="New footbridge opens")
    draft = make_article(tree.section, [writer], title="Unfinished draft")
    draft.unpublish()
    private = make_article(tree.section, [writer], title="Private note")
    PageViewRestriction.objects.create(page=private, restriction_type="login")

    response = client.get("/sitemap.xml")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    root = ET.fromstring(response.content)  # noqa: S314 - our own response, not untrusted
    assert root.tag == f"{SITEMAP_NS}urlset"
    entries = {
        url.findtext(f"{SITEMAP_NS}loc"): url.findtext(f"{SITEMAP_NS}lastmod")
        for url in root.findall(f"{SITEMAP_NS}url")
    }
    assert set(entries) == {
        "http://localhost/",
        "http://localhost/news/",
        "http://localhost/writers/",
        "http://localhost/writers/mina-hollis/",
        "http://localhost/news/new-footbridge-opens/",
    }
    assert entries["http://localhost/news/new-footbridge-opens/"] == (
        article.last_published_at.date().isoformat()
    )


@pytest.mark.django_db
def test_robots_txt_keeps_crawlers_out_of_admin_and_search_and_points_to_sitemap(client):
    make_site_tree()

    response = client.get("/robots.txt")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().splitlines() == [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /search/",
        "",
        "Sitemap: http://testserver/sitemap.xml",
    ]


@pytest.mark.django_db
def test_robots_txt_names_the_sitemap_on_the_host_asked_for(client, settings):
    settings.ALLOWED_HOSTS = ["news.example.org"]
    make_site_tree()

    response = client.get("/robots.txt", headers={"host": "news.example.org"}, secure=True)

    assert response.content.decode().splitlines()[-1] == (
        "Sitemap: https://news.example.org/sitemap.xml"
    )


@pytest.mark.django_db
def test_health_answers_ok_when_the_database_answers(client):
    response = client.get("/health/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_health_answers_503_when_the_database_does_not(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)

    response = client.get("/health/")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unavailable", "cache": "ok"}
