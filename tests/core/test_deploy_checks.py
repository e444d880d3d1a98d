"""``manage.py check --deploy`` warns about what a production outlet must not be left with,
and says nothing once each is configured properly."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from wagtail.models import Site

from masthead.core import checks
from masthead.payments import checks as payment_checks


def ids(messages):
    return [message.id for message in messages]


@pytest.fixture
def configured(settings):
    """A production outlet set up as the README says."""
    settings.SITE_URL = "https://news.example.org"
    settings.EMAIL_URL = "smtp://mail.example.org:587?tls=1"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.ADMINS = [("Admin", "ops@example.org")]
    settings.PAYMENTS_PROVIDER = "stripe"
    settings.MASTHEAD_ALLOW_DEMO_PAYMENTS = False
    Site.objects.filter(is_default_site=True).update(hostname="news.example.org", port=443)
    return settings


@pytest.mark.django_db
def test_a_properly_configured_outlet_gets_no_warning(configured):
    assert checks.check_site_url() == []
    assert checks.check_email() == []
    assert checks.check_default_site() == []
    assert checks.check_admin_emails() == []
    assert payment_checks.check_payment_provider() == []


@pytest.mark.django_db
@pytest.mark.parametrize("site_url", ["http://news.example.org", "http://127.0.0.1:8000"])
def test_a_site_url_that_is_not_https_is_warned_about(configured, site_url):
    configured.SITE_URL = site_url

    assert ids(checks.check_site_url()) == ["masthead.W001"]


@pytest.mark.django_db
def test_email_left_at_the_console_is_warned_about(configured):
    configured.EMAIL_URL = "console://"
    configured.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

    assert ids(checks.check_email()) == ["masthead.W002"]


@pytest.mark.django_db
def test_a_default_site_that_is_not_site_url_is_warned_about(configured):
    Site.objects.filter(is_default_site=True).update(hostname="localhost", port=80)

    (warning,) = checks.check_default_site()

    assert warning.id == "masthead.W003"
    assert "localhost:80" in warning.msg
    assert "'news.example.org' and port 443" in warning.hint


@pytest.mark.django_db
def test_no_admin_emails_is_warned_about(configured):
    configured.ADMINS = []

    assert ids(checks.check_admin_emails()) == ["masthead.W004"]


@pytest.mark.django_db
def test_no_payment_provider_is_warned_about(configured):
    configured.PAYMENTS_PROVIDER = "demo"

    assert ids(payment_checks.check_payment_provider()) == ["masthead.payments.W001"]


@pytest.mark.django_db
def test_demo_payments_allowed_are_warned_about(configured):
    configured.PAYMENTS_PROVIDER = "demo"
    configured.MASTHEAD_ALLOW_DEMO_PAYMENTS = True

    assert ids(payment_checks.check_payment_provider()) == ["masthead.payments.W002"]


@pytest.mark.django_db
def test_check_deploy_runs_them_all(settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    settings.ADMINS = []
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    settings.MASTHEAD_ALLOW_DEMO_PAYMENTS = False
    settings.PAYMENTS_PROVIDER = "demo"
    output = io.StringIO()

    try:
        call_command("check", "--deploy", "--fail-level", "CRITICAL", stderr=output)
    except SystemCheckError as error:
        output.write(str(error))

    text = output.getvalue()
    for check_id in (
        "masthead.W001",
        "masthead.W002",
        "masthead.W003",
        "masthead.W004",
        "masthead.payments.W001",
    ):
        assert check_id in text
