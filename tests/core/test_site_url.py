"""SITE_URL is the one place the outlet's address is set: the demo gives the default Site
its host and port, so canonical links and the sitemap name it (not http://localhost/)."""

import io
import re

import pytest
from django.core.management import call_command
from wagtail.models import Site

from masthead.core.checks import check_default_site
from masthead.core.sites import default_site_matches_site_url, use_site_url_for_default_site


@pytest.mark.django_db
def test_the_default_site_takes_site_urls_host_and_port(settings):
    settings.SITE_URL = "https://news.example.org"
    assert not default_site_matches_site_url()

    use_site_url_for_default_site()

    site = Site.objects.get(is_default_site=True)
    assert (site.hostname, site.port) == ("news.example.org", 443)
    assert default_site_matches_site_url()


@pytest.mark.django_db
def test_the_demo_links_and_sitemap_name_site_url(client, settings, tmp_path):
    settings.SITE_URL = "http://127.0.0.1:8000"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    output = io.StringIO()
    call_command("demo_content", stdout=output)

    home = client.get("/", HTTP_HOST="127.0.0.1:8000").content.decode()
    sitemap = client.get("/sitemap.xml", HTTP_HOST="127.0.0.1:8000").content.decode()

    assert "The default site answers at http://127.0.0.1:8000/" in output.getvalue()
    assert '<link rel="canonical" href="http://127.0.0.1:8000/">' in home
    locations = re.findall(r"<loc>([^<]+)</loc>", sitemap)
    assert len(locations) > 10
    assert all(url.startswith("http://127.0.0.1:8000/") for url in locations)
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
