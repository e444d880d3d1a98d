"""SITE_URL is the one place the outlet's address is set: ``masthead use_site_url`` (and the
demo, checked in ``test_cache_invalidation_coverage``) gives the default Site its host and
port, so canonical links and the sitemap name it (not http://localhost/)."""

import io

import pytest
from django.core.management import call_command
from wagtail.models import Site

from masthead.core.checks import check_default_site
from masthead.core.sites import default_site_matches_site_url, use_site_url_for_default_site
from tests.publishing.factories import make_article, make_site_tree


@pytest.mark.django_db
def test_the_default_site_takes_site_urls_host_and_port(settings):
    settings.SITE_URL = "https://news.example.org"
    assert not default_site_matches_site_url()

    use_site_url_for_default_site()

    site = Site.objects.get(is_default_site=True)
    assert (site.hostname, site.port) == ("news.example.org", 443)
    assert default_site_matches_site_url()


@pytest.mark.django_db
def test_canonical_links_and_the_sitemap_follow_site_url(client, settings):
    settings.SITE_URL = "https://news.example.org"
    tree = make_site_tree()
    article = make_article(tree.section, [], title="Ferry timetable changes")
    call_command("use_site_url", stdout=io.StringIO())

    page = client.get(article.url).content.decode()
    sitemap = client.get("/sitemap.xml").content.decode()

    expected = f"https://news.example.org{article.url}"
    assert f'<link rel="canonical" href="{expected}">' in page
    assert f"<loc>{expected}</loc>" in sitemap
    assert "localhost" not in sitemap


@pytest.mark.django_db
def test_the_use_site_url_command_silences_the_deploy_warning(settings):
    settings.SITE_URL = "https://news.example.org:8443"
    assert [warning.id for warning in check_default_site()] == ["masthead.W003"]
    output = io.StringIO()

    call_command("use_site_url", stdout=output)

    assert "answers at https://news.example.org:8443/" in output.getvalue()
    site = Site.objects.get(is_default_site=True)
    assert (site.hostname, site.port) == ("news.example.org", 8443)
    assert check_default_site() == []
