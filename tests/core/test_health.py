"""/health/ for a load balancer that probes gunicorn directly: by IP address, over plain
HTTP, every few seconds. It answers whatever the Host header and the scheme, and never
emails the admins, while every other path keeps the host check and the HTTPS redirect."""

import pytest
from django.core import mail
from django.db import OperationalError, connection

from masthead.core import views

pytestmark = pytest.mark.django_db

PROBE_HOST = "10.0.0.5:8000"


@pytest.fixture
def production_like(settings):
    """The host check and the HTTPS redirect as production turns them on, and admins to
    email. (The test client builds its middleware at its first request, after this.)"""
    settings.ALLOWED_HOSTS = ["news.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.ADMINS = [("Admin", "tech@example.org")]
    return settings


def test_health_answers_a_probe_by_ip_address_over_plain_http(client, production_like):
    response = client.get("/health/", HTTP_HOST=PROBE_HOST)

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_other_paths_still_refuse_an_unknown_host_and_redirect_to_https(client, production_like):
    unknown_host = client.get("/", HTTP_HOST=PROBE_HOST)
    plain_http = client.get("/robots.txt", HTTP_HOST="news.example.org")

    assert unknown_host.status_code == 400
    assert plain_http.status_code == 301
    assert plain_http["Location"] == "https://news.example.org/robots.txt"


def test_health_still_refuses_other_methods(client, production_like):
    assert client.post("/health/", HTTP_HOST=PROBE_HOST).status_code == 405


def test_a_database_outage_answers_503_without_emailing_the_admins(
    client, production_like, monkeypatch
):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)

    response = client.get("/health/", HTTP_HOST=PROBE_HOST)

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unavailable", "cache": "ok"}
    assert mail.outbox == []


def test_a_crash_in_the_health_check_answers_503_without_emailing_the_admins(
    client, production_like, monkeypatch
):
    def crash(request):
        raise RuntimeError("the cache client blew up")

    monkeypatch.setattr(views, "health", crash)

    response = client.get("/health/", HTTP_HOST=PROBE_HOST)

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}
    assert mail.outbox == []


def test_a_request_for_an_unknown_host_is_refused_without_emailing_the_admins(
    client, production_like
):
    response = client.get("/", HTTP_HOST="203.0.113.9")

    assert response.status_code == 400
    assert mail.outbox == []
