"""Personal data is kept no longer than its documented time (issue 10, retention jobs).

The last test drives the reader-facing endpoints that see a reader's address and browser (a
newsletter sign-up and its confirmation, a gift, a shop order, passwordless sign-in, a
comment, a counted visit, a request for a copy of one's data) from one browser with a
marked address and user agent, lets every timestamp grow older than every limit, runs the
worker's jobs, and then reads every text column of every table for either mark."""

import io
import ipaddress
import json
import re
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.db import models
from django.db.models import ExpressionWrapper, F
from django.test import Client
from django.utils import timezone

from masthead.audience.models import Hit
from masthead.core import ratelimit, scheduler
from masthead.core.retention import clear_expired_sessions
from masthead.core.scheduler import periodic_jobs
from masthead.donations.models import Donation
from masthead.newsletter.models import ConsentRecord, Newsletter, Subscriber
from masthead.payments.models import ProviderEvent
from masthead.publishing.models import ArticlePage
from masthead.readers.models import DataRequest, SignInRequest
from masthead.shop.checkout import network_digest
from masthead.shop.models import Order, Product, ShippingRate
from masthead.social.models import Comment
from tests.donations.helpers import donate_form
from tests.newsletter.subscribe_helpers import post_signup, signup_data
from tests.shop.checkout_helpers import add_to_cart, checkout_to_payment
from tests.social.commenting import open_comments
from tests.social.commenting import post as post_comment
from tests.stored_text import raw_texts


@pytest.mark.django_db
def test_expired_sessions_are_deleted_by_the_worker(settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    now = timezone.now()
    Session.objects.create(session_key="old", session_data="x", expire_date=now - timedelta(1))
    Session.objects.create(session_key="live", session_data="x", expire_date=now + timedelta(1))

    clear_expired_sessions()

    assert list(Session.objects.values_list("session_key", flat=True)) == ["live"]
    assert periodic_jobs()["core.clear-expired-sessions"] is not None


# Anything shaped like an address, checked with ipaddress afterwards.
CANDIDATE = re.compile(
    r"(?<![\w.:])(?:[0-9a-f]*:[0-9a-f:.]*|(?:\d{1,3}\.){3}\d{1,3})(?![\w.:])", re.I
)


def ip_addresses_in(text):
    addresses = []
    for candidate in CANDIDATE.findall(text):
        try:
            addresses.append(str(ipaddress.ip_address(candidate)))
        except ValueError:
            continue
    return addresses


def ip_addresses_in_the_database():
    """Every IP address stored anywhere: in any text, address or JSON column of any table."""
    found = []
    for model in apps.get_models():
        columns = [
            field.name
            for field in model._meta.concrete_fields
            if isinstance(
                field,
                (
                    models.CharField,
                    models.TextField,
                    models.JSONField,
                    models.GenericIPAddressField,
                ),
            )
        ]
        if not columns:
            continue
        for row in model.objects.values("pk", *columns):
            text = json.dumps(row, default=str)
            for match in ip_addresses_in(text):
                found.append((model._meta.label, row["pk"], match))
    return found


@pytest.mark.django_db
def test_after_the_retention_jobs_no_old_ip_address_is_left_anywhere(settings, monkeypatch):
    """Readers' addresses go in every place that keeps one (consent evidence, a provider's
    event with the payer's IP), all older than every limit; the worker's jobs run; then no
    IP address is left in any column of any table."""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    long_ago = timezone.now() - timedelta(days=400)
    reader = Subscriber.objects.create(email="reader@example.org", status="confirmed")
    record = ConsentRecord.objects.create(
        subscriber=reader,
        action=ConsentRecord.Action.OPT_IN,
        ip_address="203.0.113.9",
        user_agent="Browser/1.0",
    )
    event = ProviderEvent.objects.create(
        provider="stripe",
        provider_event_id="evt_old",
        event_type="setup_intent.succeeded",
        payload={
            "id": "evt_old",
            "data": {
                "object": {
                    "mandate_data": {
                        "customer_acceptance": {
                            "online": {"ip_address": "2001:db8:7:8::9", "user_agent": "Browser/1.0"}
                        }
                    },
                    "client_ip": "198.51.100.23",
                }
            },
        },
    )
    ConsentRecord.objects.filter(pk=record.pk).update(created_at=long_ago)
    ProviderEvent.objects.filter(pk=event.pk).update(received_at=long_ago)
    assert {address for _model, _pk, address in ip_addresses_in_the_database()} == {
        "203.0.113.9",
        "2001:db8:7:8::9",
        "198.51.100.23",
    }

    # Every job the worker runs, once each, as one scheduler pass does (here inside the test's
    # transaction, which the scheduler's closing of connections would end).
    monkeypatch.setattr(scheduler, "_last_run", {})
    for job in periodic_jobs().values():
        job()

    assert ip_addresses_in_the_database() == []
    record.refresh_from_db()
    assert record.action == ConsentRecord.Action.OPT_IN


# --- What a reader's requests leave behind -----------------------------------------------------

# The reader's address (an IPv6 one: its /64, which limits count by, starts the same) and a
# browser whose user agent carries a mark no other string in the database has.
MARKED_ADDRESS = "2001:db8:77:77::77"
ADDRESS_MARK = "2001:db8:77:77:"
BROWSER_MARK = "RetentionMark/7.7"
MARKED_BROWSER = (
    f"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0 {BROWSER_MARK}"
)
READER = "marked.reader@example.org"
SITE = "http://testserver"
# Older than every limit (the longest are six years: paid gifts' and orders' addresses).
AGE = timedelta(days=7 * 366)


def marked_browser():
    return Client(REMOTE_ADDR=MARKED_ADDRESS, HTTP_USER_AGENT=MARKED_BROWSER)


def link_in_last_email(pattern):
    return urlsplit(re.search(pattern, mail.outbox[-1].body).group(0)).path


def sign_up_and_confirm(browser, capture):
    newsletter = Newsletter.objects.filter(is_public=True).first()
    with capture(execute=True):
        response = post_signup(
            browser, signup_data(READER, [newsletter]), HTTP_USER_AGENT=MARKED_BROWSER
        )
    assert response.status_code == 200
    confirm = link_in_last_email(r"https?://\S+/newsletter/confirm/\S+?/(?=\s|$)")
    assert browser.post(confirm).status_code == 200


def give_and_pay(browser, capture, **form):
    """The donate form, then Pay on the demo provider's checkout page and the thank-you."""
    with capture(execute=True):
        response = browser.post(
            "/support/give/", donate_form(email=READER, **form), HTTP_ORIGIN=SITE
        )
        assert response.status_code == 302, response.content[:500]
        paid = browser.post(response["Location"], {"action": "pay"})
    assert paid.status_code == 302
    assert browser.get(paid["Location"]).status_code == 200


def order_and_pay(browser, capture):
    product = Product.objects.filter(variants__stock__gt=0).distinct().first()
    add_to_cart(browser, product.variants.filter(stock__gt=0).first())
    rate = ShippingRate.objects.filter(zone__countries__contains="GB").first()
    with capture(execute=True):
        paying = checkout_to_payment(browser, rate, email=READER)
        assert paying.status_code == 302
        paid = browser.post(paying["Location"], {"action": "pay"})
    assert paid.status_code == 302
    assert browser.get(paid["Location"], follow=True).status_code == 200


def sign_in(browser, capture):
    with capture(execute=True):
        response = browser.post("/account/sign-in/", {"email": READER, "next": ""})
    assert response.status_code == 200
    link = link_in_last_email(r"https?://\S+/account/sign-in/[A-Za-z0-9_-]{43}/")
    assert browser.post(link).status_code == 302


def count_a_visit(browser, article):
    response = browser.post(
        "/a/hit",
        urlencode({"k": "view", "p": article.url}),
        "application/x-www-form-urlencoded",
        HTTP_ORIGIN=SITE,
    )
    assert response.status_code == 204


def run_every_job(monkeypatch):
    """One pass of every job the worker runs (inside the test's transaction, which the
    scheduler's closing of connections would end)."""
    monkeypatch.setattr(scheduler, "_last_run", {})
    for job in periodic_jobs().values():
        job()


def age_every_timestamp():
    """Move every date and time in every table ``AGE`` into the past, keeping their order."""
    for model in apps.get_models():
        if not model._meta.managed or model._meta.proxy:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, models.DateField) and field.model is model:
                model._base_manager.filter(**{f"{field.attname}__isnull": False}).update(
                    **{
                        field.attname: ExpressionWrapper(
                            F(field.attname) - AGE, output_field=field.__class__()
                        )
                    }
                )


def stored_texts():
    """``(table, column, text)`` for every text value of every table the database has, and
    the decoded data of every Django session."""
    found = raw_texts()
    for session in Session.objects.all():
        found.append(("django_session", "data", json.dumps(session.get_decoded(), default=str)))
    return found


def marks_left():
    """Where either mark is still stored: the address (or its /64) as text, the shop's
    keyed digest of the network, or the browser's user agent."""
    marks = (
        ADDRESS_MARK,
        network_digest(ratelimit.network(MARKED_ADDRESS)),
        BROWSER_MARK.lower(),
    )
    return sorted(
        {
            (table, column, mark)
            for table, column, text in stored_texts()
            for mark in marks
            if mark in text.lower()
        }
    )


@pytest.mark.django_db
def test_no_trace_of_a_readers_address_or_browser_outlives_the_retention_jobs(
    settings, monkeypatch, tmp_path, django_capture_on_commit_callbacks
):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    settings.SITE_URL = SITE
    settings.PAYMENTS_PROVIDER = "demo"
    settings.MASTHEAD_ALLOW_DEMO_PAYMENTS = True
    settings.READERS_EXPORT_DIR = tmp_path / "exports"
    call_command("demo_content", stdout=io.StringIO())
    cache.clear()
    capture = django_capture_on_commit_callbacks
    article = ArticlePage.objects.live().order_by("pk").first()
    open_comments(article)
    browser = marked_browser()

    sign_up_and_confirm(browser, capture)
    give_and_pay(browser, capture, frequency="one_off", amount="1000")
    give_and_pay(browser, capture, frequency="monthly", amount="500")
    with capture(execute=True):  # a gift never paid
        browser.post("/support/give/", donate_form(email=READER), HTTP_ORIGIN=SITE)
    order_and_pay(browser, capture)
    with capture(execute=True):  # an order never paid
        add_to_cart(browser, Product.objects.filter(variants__stock__gt=0).first().variants.first())
        checkout_to_payment(
            browser,
            ShippingRate.objects.filter(zone__countries__contains="GB").first(),
            email=READER,
        )
    sign_in(browser, capture)
    with capture(execute=True):
        assert post_comment(browser, article, "A marked thought.").status_code == 200
        assert browser.post("/account/data/export/").status_code == 302
    count_a_visit(browser, article)
    run_every_job(monkeypatch)  # a pass of the worker while the reader is still about

    # Everything happened, and the marks are there to be found.
    assert Subscriber.objects.get(email=READER).status == Subscriber.Status.CONFIRMED
    assert Donation.objects.filter(email=READER, status="paid").count() == 2
    assert Order.objects.filter(email=READER, status=Order.Status.PAID).exists()
    assert SignInRequest.objects.exists() and Comment.objects.exists()
    assert DataRequest.objects.filter(kind="export").exists()
    assert Session.objects.exists()
    found_before = {(table, column) for table, column, _mark in marks_left()}
    assert Hit.objects.exists()
    assert found_before == {
        ("newsletter_consentrecord", "ip_address"),
        ("newsletter_consentrecord", "user_agent"),
        ("shop_order", "client_network"),  # the unpaid order's keyed digest of the /64
    }

    age_every_timestamp()
    assert "core.clear-expired-sessions" in periodic_jobs()
    run_every_job(monkeypatch)

    left = marks_left()
    for table, column, mark in left:
        print(f"Still there after the retention jobs: {table}.{column} holds {mark!r}")
    assert left == []
    assert not Session.objects.exists()
