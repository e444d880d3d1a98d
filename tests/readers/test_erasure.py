"""The erasure test of issue 12.

A reader with every kind of record the site keeps (newsletter subscriber, consent with IP
address, deliveries; a monthly gift that renewed and changed amount; a one-off gift
refunded by an editor, logged; a paid order with a postal address, dispatched, with its
basket; sign-in requests and signed-in browsers; a Django session and a finished task whose
arguments name them) asks to be erased from their account page. Afterwards no text column
of any table, read through the ORM and again with a raw SELECT over every table the
database has, names their email address, name, street, postcode or IP address; another
reader's records are untouched; and the donation and sales totals per month are the same.
"""

import hashlib
import json
import secrets
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from wagtail.models import ModelLogEntry

from masthead.core.actions import audit_log
from masthead.donations.actions import RefundDonation
from masthead.donations.funding import funding_series, month_funding
from masthead.donations.models import Donation
from masthead.newsletter.models import Campaign, ConsentRecord, Delivery
from masthead.payments.models import DemoPayment
from masthead.payments.providers.demo import DemoProvider
from masthead.readers import identity, registry, rights
from masthead.readers.models import DataRequest, Reader, ReaderSession, SignInRequest
from masthead.readers.sessions import SESSION_COOKIE
from masthead.shop import orders
from masthead.shop.models import Cart, CartLine, Order
from masthead.social import actions, comments
from tests.donations.helpers import give_and_pay, open_outlet
from tests.newsletter.subscribe_helpers import make_newsletters, make_subscriber
from tests.publishing.factories import make_article
from tests.shop.factories import make_category, make_product
from tests.shop.order_helpers import make_order
from tests.stored_text import raw_texts

pytestmark = pytest.mark.django_db

EMAIL = "Ada.Lovelace@Example.org"
NAME = "Ada Lovelace"
STREET = "12 Analytical Row"
POSTCODE = "AB1 2CD"
IP = "203.0.113.77"
BROWSER = "AdaBrowser/1.0 (Analytical Engine)"
SECRETS = (EMAIL, EMAIL.lower(), NAME, STREET, POSTCODE, POSTCODE.replace(" ", ""), IP)

OTHER_EMAIL = "grace.hopper@example.net"
OTHER_STREET = "7 Compiler Close"


@pytest.fixture(autouse=True)
def export_dir(settings, tmp_path):
    settings.READERS_EXPORT_DIR = tmp_path / "exports"


def newsletter_records(editor):
    """A confirmed subscriber with consent evidence and deliveries (one bounced, its error
    naming the address), edited in the admin (logged under the subscriber's name); and
    another reader's subscription."""
    daily, weekly, _members = make_newsletters()
    subscriber = make_subscriber(EMAIL, [daily, weekly], name=NAME)
    audit_log(subscriber, "wagtail.edit", editor, {"email": EMAIL})
    ConsentRecord.objects.create(
        subscriber=subscriber,
        action=ConsentRecord.Action.OPT_IN,
        newsletters="daily,weekly",
        wording="Send me the daily briefing.",
        wording_version="3",
        source="footer /news/",
        ip_address=IP,
        user_agent=BROWSER,
    )
    sent = Campaign.objects.create(subject="Monday's briefing", status=Campaign.Status.SENT)
    sent.newsletters.set([daily])
    Delivery.objects.create(
        campaign=sent,
        subscriber=subscriber,
        status=Delivery.Status.SENT,
        sent_at=timezone.now(),
        message_id="<esp-1@mail.example.net>",
    )
    earlier = Campaign.objects.create(subject="Sunday's briefing", status=Campaign.Status.SENT)
    earlier.newsletters.set([daily])
    Delivery.objects.create(
        campaign=earlier,
        subscriber=subscriber,
        status=Delivery.Status.BOUNCED,
        last_error=f"450 4.2.2 <{EMAIL}>: mailbox full",
    )
    other = make_subscriber(OTHER_EMAIL, [daily], name="Grace Hopper")
    Delivery.objects.create(campaign=sent, subscriber=other, status=Delivery.Status.SENT)


def donation_records(client, editor, capture):
    """A monthly gift that changed amount and renewed; a one-off gift refunded by an editor
    (through the logged action); a Stripe-shaped charge event carrying the address, as
    Stripe's do; and another reader's gift."""
    with capture(execute=True):
        first = give_and_pay(client, amount="500", email=EMAIL)
        subscription = first.recurring.subscription_id
        DemoProvider().change_subscription_amount(subscription, 1000, "GBP")
        DemoProvider().renew(subscription)
        one_off = give_and_pay(
            client,
            frequency="one_off",
            amount="2500",
            email=EMAIL,
            public_name=NAME,
            message=f"From {NAME} of {STREET}",
        )
        RefundDonation(one_off, editor).execute()
        give_and_pay(client, amount="500", email=OTHER_EMAIL)
    payment = DemoPayment.objects.get(pk=one_off.payment_id)
    DemoProvider().emit(
        "charge.updated",
        {
            "id": payment.charge_id,
            "object": "charge",
            "payment_intent": payment.id,
            "customer": payment.customer_id,
            "billing_details": {
                "name": NAME,
                "email": EMAIL,
                "address": {"line1": STREET, "postal_code": POSTCODE},
            },
            "mandate": {"customer_acceptance": {"online": {"ip_address": IP}}},
        },
    )


def shop_records():
    """A paid, dispatched order with a postal address and the basket it came from; another
    reader's order."""
    tee = make_product(
        make_category("T-shirts"),
        title="Ledger logo tee",
        variants=[{"sku": "TEE-S", "option1": "S", "price": 1800, "stock": 10}],
    ).variants.get()
    basket = Cart.objects.create()
    CartLine.objects.create(cart=basket, variant=tee, quantity=2, price_when_added=1800)
    order = make_order(
        [(tee, 2)],
        email=EMAIL,
        full_name=NAME,
        address_line1=STREET,
        postcode=POSTCODE,
        phone="07700 900123",
        cart=basket,
    )
    line = order.lines.get()
    orders.mark_dispatched(
        order, {line.pk: 2}, "Royal Mail", "RM1GB", "https://track.example/?code=RM1GB"
    )
    make_order([(tee, 1)], email=OTHER_EMAIL, full_name="Grace Hopper", address_line1=OTHER_STREET)


def reader_records(client, reader):
    """Sign-in requests, signed-in browsers (this client's among them), a Django session
    holding the address, and a finished task whose arguments name it."""
    for used in (None, timezone.now()):
        SignInRequest.objects.create(
            email=EMAIL,
            mailbox=reader.mailbox,
            link_hash=secrets.token_hex(32),
            code_hash=secrets.token_hex(32),
            browser_hash=secrets.token_hex(32),
            expires_at=timezone.now() + timedelta(minutes=15),
            used_at=used,
        )
    key = secrets.token_urlsafe(32)
    ReaderSession.objects.create(
        reader=reader,
        key_hash=identity_hash(key),
        browser=BROWSER,
        expires_at=timezone.now() + timedelta(days=1),
    )
    ReaderSession.objects.create(
        reader=reader,
        key_hash=secrets.token_hex(32),
        browser=BROWSER,
        expires_at=timezone.now() + timedelta(days=1),
    )
    client.cookies[SESSION_COOKIE] = key
    session = SessionStore()
    session["checkout_details"] = {"email": EMAIL, "address_line1": STREET}
    session.create()
    DBTaskResult.objects.create(
        status="SUCCESSFUL",
        args_kwargs={"args": [EMAIL, NAME], "kwargs": {}},
        task_path="masthead.newsletter.tasks.send_confirmation_email",
        backend_name="default",
        run_after=timezone.now(),
        return_value={"sent_to": EMAIL},
    )
    DBTaskResult.objects.create(
        status="SUCCESSFUL",
        args_kwargs={"args": [OTHER_EMAIL], "kwargs": {}},
        task_path="masthead.newsletter.tasks.send_confirmation_email",
        backend_name="default",
        run_after=timezone.now(),
    )


def comment_records(tree, reader, editor):
    """A published comment signed with the reader's name that another reader answered, one
    waiting for moderation, and their report of the other reader's answer."""
    article = make_article(tree.section, title="Library hours extended")
    comments.set_state(article, "open")
    answered = comments.post(reader, article, f"Written by {NAME} of {STREET}.", name=NAME)
    actions.ApproveComment(answered, editor).execute()
    other = identity.verified(OTHER_EMAIL, name="Grace Hopper")
    answer = comments.post(other, article, "An answer to Ada.", parent_id=answered.pk)
    actions.ApproveComment(answer, editor).execute()
    comments.post(reader, article, f"Write to {EMAIL}.")
    comments.report(reader, answer.pk, "other")


def identity_hash(key):
    return hashlib.sha256(key.encode()).hexdigest()


# --- What the database holds ---------------------------------------------------------------------

TEXT_FIELDS = (
    models.CharField,  # EmailField, SlugField, URLField too
    models.TextField,
    models.JSONField,
    models.GenericIPAddressField,
)


def orm_texts():
    """``(model label, field, text)`` for every text-like column of every model."""
    found = []
    for model in apps.get_models():
        if not model._meta.managed or model._meta.proxy:
            continue
        fields = [f.attname for f in model._meta.concrete_fields if isinstance(f, TEXT_FIELDS)]
        if not fields:
            continue
        for row in model._base_manager.values_list(*fields):
            for name, value in zip(fields, row, strict=True):
                if value not in (None, ""):
                    text = value if isinstance(value, str) else json.dumps(value)
                    found.append((model._meta.label, name, text))
    return found


def session_texts():
    """The decoded data of every Django session (the table holds it encoded)."""
    return [
        ("django_session", session.session_key, json.dumps(session.get_decoded(), default=str))
        for session in Session.objects.all()
    ]


def mentions(texts, needles):
    lowered = [needle.lower() for needle in needles]
    return sorted(
        {
            (where, column, needle)
            for where, column, text in texts
            for needle in lowered
            if needle in text.lower()
        }
    )


def donations_by_month():
    return [(point.month, point.income) for point in funding_series(12)], month_funding().income


def sales_by_month():
    totals = {}
    for order in Order.objects.filter(paid_at__isnull=False):
        month = order.paid_at.strftime("%Y-%m")
        totals[month] = totals.get(month, 0) + order.total - order.refunded_amount
    return totals


# --- The test -----------------------------------------------------------------------------------


def test_an_erased_reader_leaves_no_trace_and_the_accounts_still_add_up(
    client, settings, django_user_model, django_capture_on_commit_callbacks
):
    tree = open_outlet(settings)
    editor = django_user_model.objects.create_superuser("editor", "ed@outlet.example", "pw")
    newsletter_records(editor)
    donation_records(client, editor, django_capture_on_commit_callbacks)
    shop_records()
    reader = identity.verified(EMAIL, name=NAME)
    reader_records(client, reader)
    comment_records(tree, reader, editor)

    before = orm_texts() + raw_texts() + session_texts()
    # The records are there to be erased, in every kind of place.
    places = {where for where, _column, _needle in mentions(before, SECRETS)}
    assert {
        "readers.Reader",
        "readers.SignInRequest",
        "newsletter.Subscriber",
        "newsletter.ConsentRecord",
        "newsletter.Delivery",
        "donations.Donation",
        "donations.RecurringDonation",
        "payments.ProviderEvent",
        "shop.Order",
        "django_tasks_database.DBTaskResult",
        "django_session",
        "wagtailcore.ModelLogEntry",
        "social.Comment",
    } <= places, places
    log_entries = ModelLogEntry.objects.count()
    # Every app's share of the copy holds this reader's records.
    copy = rights.gather(reader)
    assert {name for name, tables in copy.items() if any(tables.values())} == {
        share.name for share in registry.personal_data()
    }
    assert EMAIL.lower() in json.dumps(copy, cls=DjangoJSONEncoder).lower()
    donations_before, sales_before = donations_by_month(), sales_by_month()
    assert Donation.objects.filter(email__iexact=EMAIL, status="refunded").exists()
    others_before = mentions(before, (OTHER_EMAIL, OTHER_STREET))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("readers:data_erase"), {"email": EMAIL, "confirm": "on"})
    assert response.status_code == 302
    data_request = DataRequest.objects.get(kind="erasure")
    assert data_request.status == "done", data_request.detail

    after = orm_texts() + raw_texts() + session_texts()
    left = mentions(after, SECRETS)
    for where, column, needle in left:
        print(f"Still named after erasure: {where}.{column} holds {needle!r}")
    assert left == []

    # Another reader's records are untouched; the accounts add up as before.
    assert mentions(after, (OTHER_EMAIL, OTHER_STREET)) == others_before
    assert donations_by_month() == donations_before
    assert sales_by_month() == sales_before
    # The audit trail stays, anonymised, and records the reader's request and the erasure.
    assert ModelLogEntry.objects.count() == log_entries + 2
    assert list(Reader.objects.values_list("mailbox", flat=True)) == [OTHER_EMAIL]
    assert Donation.objects.filter(status="refunded", refunded_amount=2500).exists()
    # The site still works for the erased reader's browser.
    assert client.get(reverse("readers:sign_in")).status_code == 200
    assert client.get("/").status_code == 200
