"""Outside production the public demo SECRET_KEY is refused as soon as the site could face
real readers or real money (issue 10, defect 5), and connection passwords never reach an
error report or a log line (defect 7)."""

import logging
import secrets
import subprocess
import sys
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.test import RequestFactory
from django.views.debug import ExceptionReporter
from gunicorn.config import Config

from masthead.core.error_reports import MaskCredentialsLogFilter, mask_url_passwords
from masthead.gunicorn_config import MaskedAccessLogger
from tests.test_settings import PROJECT_DIR, clean_environment, run_manage

REAL_KEY = secrets.token_urlsafe(48)


def error_report(request):
    """Django's HTML error report for an exception raised while serving ``request`` (raised
    here, so the report quotes only these lines of source)."""
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        return ExceptionReporter(request, *sys.exc_info()).get_traceback_html()


def run_cli(data_dir, *args, **variables):
    return subprocess.run(
        [sys.executable, "-m", "masthead.cli", *args],
        cwd=PROJECT_DIR,
        env=clean_environment(data_dir, **variables),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("variables", "reason"),
    [
        ({"STRIPE_SECRET_KEY": "sk_live_123"}, "because Stripe keys are set"),
        ({"STRIPE_WEBHOOK_SECRET": "whsec_123"}, "because Stripe keys are set"),
        (
            {"ALLOWED_HOSTS": "localhost,news.example.org"},
            "because ALLOWED_HOSTS names a public host (news.example.org)",
        ),
        (
            {"MASTHEAD_BIND": "0.0.0.0:8000"},
            "because the server would listen beyond this machine (0.0.0.0:8000)",
        ),
        (
            {"MASTHEAD_MODE": "development", "MASTHEAD_BIND": "[::]:8000"},
            "because the server would listen beyond this machine ([::]:8000)",
        ),
    ],
)
def test_the_demo_key_is_refused_where_it_could_face_the_public(tmp_path, variables, reason):
    result = run_manage(tmp_path, "check", **variables)
    assert result.returncode == 1
    assert f"the public demo SECRET_KEY cannot be used {reason}" in result.stderr


@pytest.mark.parametrize(
    "variables",
    [
        {},
        {"ALLOWED_HOSTS": "127.0.0.1,localhost,[::1],.localhost"},
        {"MASTHEAD_BIND": "[::1]:8001"},
        {"MASTHEAD_BIND": "unix:/run/masthead.sock"},
        {"STRIPE_SECRET_KEY": "sk_test_123", "SECRET_KEY": REAL_KEY},
        {"ALLOWED_HOSTS": "news.example.org", "SECRET_KEY": REAL_KEY},
    ],
)
def test_the_demo_key_stays_usable_on_this_machine_alone(tmp_path, variables):
    result = run_manage(tmp_path, "check", **variables)
    assert result.returncode == 0, result.stderr


def test_serve_refuses_a_public_bind_given_on_the_command_line(tmp_path):
    result = run_cli(tmp_path, "serve", "--bind", "0.0.0.0:8123")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "masthead: configuration error: the public demo SECRET_KEY cannot be used because "
        "the server would listen beyond this machine (0.0.0.0:8123); set SECRET_KEY to a "
        "random value: python -c 'import secrets; print(secrets.token_urlsafe(64))'"
    )


def test_url_passwords_are_masked():
    assert (
        mask_url_passwords("postgres://masthead:s3cret@db:5432/news and redis://:pw@cache:6379/0")
        == "postgres://masthead:********@db:5432/news and redis://:********@cache:6379/0"
    )
    assert mask_url_passwords("https://example.org/a:b@c") == "https://example.org/a:b@c"


def test_error_reports_mask_passwords_in_connection_urls(settings):
    settings.DATABASE_URL = "postgres://masthead:db-pass-123@db.internal/news"
    settings.EMAIL_URL = "smtp://mailer:mail-pass-456@smtp.example.org:587?tls=1"
    settings.CACHE_URL = "redis://:cache-pass-789@cache.internal:6379/0"
    settings.NEWSLETTER_EMAIL_URL = "smtp://bulk:bulk-pass-012@relay.example.org:25"
    request = RequestFactory().get("/", HTTP_X_SOMETHING="amqp://user:meta-pass-345@mq/")
    html = error_report(request)
    for password in ("db-pass-123", "mail-pass-456", "cache-pass-789", "bulk-pass-012"):
        assert password not in html
    assert "meta-pass-345" not in html
    assert "postgres://masthead:********@db.internal/news" in html


def test_log_lines_mask_passwords_in_messages_and_tracebacks():
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(self.format(record))

    logger = logging.getLogger("masthead.tests.credentials")
    handler = Keep()
    handler.addFilter(MaskCredentialsLogFilter())
    logger.addHandler(handler)
    try:
        logger.error("cannot reach %s", "redis://:log-pass-1@cache:6379/0")
        try:
            raise ConnectionError("postgres://app:log-pass-2@db/news refused")
        except ConnectionError:
            logger.exception("database down")
    finally:
        logger.removeHandler(handler)
    assert records[0] == "cannot reach redis://:********@cache:6379/0"
    assert "log-pass-2" not in records[1]
    assert "postgres://app:********@db/news refused" in records[1]


def test_demo_content_refuses_to_run_in_production(tmp_path):
    variables = {
        "MASTHEAD_MODE": "production",
        "SECRET_KEY": REAL_KEY,
        "ALLOWED_HOSTS": "news.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'production.sqlite3'}",
    }
    assert run_manage(tmp_path, "migrate", "--no-input", "-v", "0", **variables).returncode == 0
    result = run_manage(tmp_path, "demo_content", **variables)
    assert result.returncode == 1
    assert "demo_content refuses to run in production mode." in result.stderr
    shell = run_manage(
        tmp_path,
        "shell",
        "--no-imports",
        "-c",
        "from django.contrib.auth import get_user_model; print(get_user_model().objects.count())",
        **variables,
    )
    assert shell.stdout.strip() == "0", shell.stderr


def test_gunicorns_access_log_never_writes_the_printful_secret():
    environ = {
        "REQUEST_METHOD": "POST",
        "RAW_URI": "/shop/webhooks/printful/hook-s3cret-123/",
        "PATH_INFO": "/shop/webhooks/printful/hook-s3cret-123/",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": "https://user:pw-456@example.org/",
    }
    response = SimpleNamespace(status="200 OK", headers=[], sent=2)
    atoms = MaskedAccessLogger(Config()).atoms(response, [], environ, timedelta(seconds=0.01))

    assert atoms["r"] == "POST /shop/webhooks/printful/********/ HTTP/1.1"
    assert atoms["U"] == "/shop/webhooks/printful/********/"
    assert atoms["f"] == "https://user:********@example.org/"
