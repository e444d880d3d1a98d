"""Provider events and checkouts keep the payer's details only as long as they may be needed
(issue 10, retention): IP addresses and user agents go after PAYMENTS_IP_RETENTION_DAYS,
every other personal detail (emails, names, addresses, phones, customer and billing
details) after the dispute window, PAYMENTS_PERSONAL_DATA_RETENTION_DAYS. Ids, types,
amounts and times stay."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from masthead.core.scheduler import periodic_jobs
from masthead.payments.models import Checkout, DemoCheckout, ProviderEvent
from masthead.payments.retention import forget_payers
from tests.payments import stripe_payloads as payloads

pytestmark = pytest.mark.django_db

NOW = timezone.now()
IP = "203.0.113.77"
AGENT = "Mozilla/5.0 (X11; Linux x86_64)"
# Everything here that identifies the payer.
PERSONAL = ["reader@example.org", "A Reader", "+44 20 7946 0000", "1 Fleet Street", "EC4A 2BB"]


def mandate_event(event_id):
    """A Bacs mandate as Stripe sends it: the payer's acceptance, from their browser."""
    return payloads.event(
        "mandate.updated",
        {
            "id": f"mandate_{event_id}",
            "object": "mandate",
            "type": "multi_use",
            "customer_acceptance": {
                "type": "online",
                "accepted_at": 1_800_000_000,
                "online": {"ip_address": IP, "user_agent": AGENT},
            },
            "payment_method_details": {
                "type": "bacs_debit",
                "bacs_debit": {"account_holder_name": "A Reader", "last4": "2345"},
            },
        },
        event_id,
    )


def charge_event(event_id):
    charge = payloads.charge(
        f"ch_{event_id}",
        receipt_email="reader@example.org",
        billing_details={
            "name": "A Reader",
            "email": "reader@example.org",
            "phone": "+44 20 7946 0000",
            "address": {"line1": "1 Fleet Street", "postal_code": "EC4A 2BB", "country": "GB"},
        },
        shipping={"name": "A Reader", "address": {"line1": "1 Fleet Street"}},
    )
    return payloads.event("charge.refunded", charge, event_id)


def session_event(event_id):
    session = payloads.session(
        f"cs_{event_id}",
        customer_email="reader@example.org",
        customer_details={
            "email": "reader@example.org",
            "name": "A Reader",
            "phone": "+44 20 7946 0000",
            "address": {"line1": "1 Fleet Street", "postal_code": "EC4A 2BB"},
        },
    )
    return payloads.event("checkout.session.completed", session, event_id)


def stored(payload, age_days):
    event = ProviderEvent.objects.create(
        provider="stripe",
        provider_event_id=payload["id"],
        event_type=payload["type"],
        payload=payload,
    )
    ProviderEvent.objects.filter(pk=event.pk).update(received_at=NOW - timedelta(days=age_days))
    return event


def text_of(queryset):
    return json.dumps(list(queryset.values_list("payload", flat=True)))


def checkout(key, age_days, email="reader@example.org"):
    row = Checkout.objects.create(
        provider="stripe",
        provider_checkout_id=f"cs_{key}",
        idempotency_key=key,
        purpose="donation",
        reference=key,
        mode="payment",
        amount=1000,
        currency="GBP",
        customer_email=email,
    )
    Checkout.objects.filter(pk=row.pk).update(created_at=NOW - timedelta(days=age_days))
    return row


def test_the_job_is_registered_and_the_defaults_are_the_dispute_window_and_90_days(settings):
    assert "payments.forget_payers" in periodic_jobs()
    assert settings.PAYMENTS_PERSONAL_DATA_RETENTION_DAYS == 120
    assert settings.PAYMENTS_IP_RETENTION_DAYS == 90


def test_no_personal_detail_older_than_its_limit_remains_in_provider_events(settings):
    settings.PAYMENTS_PERSONAL_DATA_RETENTION_DAYS = 120
    settings.PAYMENTS_IP_RETENTION_DAYS = 90
    for age in (10, 100, 130, 400):
        for make in (mandate_event, charge_event, session_event):
            stored(make(f"evt_{make.__name__}_{age}"), age)

    assert forget_payers(now=NOW) == 9

    events = ProviderEvent.objects.all()
    past_window = events.filter(received_at__lt=NOW - timedelta(days=120))
    past_ip_limit = events.filter(received_at__lt=NOW - timedelta(days=90))
    young = events.filter(received_at__gte=NOW - timedelta(days=90))
    assert past_window.count() == 6 and past_ip_limit.count() == 9
    for detail in PERSONAL:
        assert detail not in text_of(past_window)
    for detail in (IP, AGENT):
        assert detail not in text_of(past_ip_limit)
    # Inside the dispute window the payer's details are still there; younger events are whole.
    assert "reader@example.org" in text_of(past_ip_limit.exclude(pk__in=past_window))
    assert IP in text_of(young) and "reader@example.org" in text_of(young)
    assert set(young.values_list("redaction", flat=True)) == {"none"}
    assert set(past_window.values_list("redaction", flat=True)) == {"personal"}

    # What identifies the payment stays.
    charge = past_window.get(provider_event_id="evt_charge_event_400").payload
    assert charge["id"] == "evt_charge_event_400" and charge["type"] == "charge.refunded"
    assert charge["created"] == 1_800_000_000
    assert {key: charge["data"]["object"][key] for key in ("id", "amount", "currency")} == {
        "id": "ch_evt_charge_event_400",
        "amount": 1250,
        "currency": "gbp",
    }
    assert charge["data"]["object"]["billing_details"] == "[redacted]"
    assert charge["data"]["object"]["metadata"] == payloads.ROUTING
    mandate = past_window.get(provider_event_id="evt_mandate_event_400").payload
    assert mandate["data"]["object"]["customer_acceptance"]["accepted_at"] == 1_800_000_000

    # A second run has nothing left to do.
    assert forget_payers(now=NOW) == 0


def test_checkouts_and_demo_checkouts_past_the_window_keep_no_email(settings):
    settings.PAYMENTS_PERSONAL_DATA_RETENTION_DAYS = 120
    old, young = checkout("old", 121), checkout("young", 119)
    demo = DemoCheckout.objects.create(
        id="cs_demo_old",
        mode="payment",
        purpose="donation",
        reference="r",
        amount=1000,
        currency="GBP",
        customer_email="reader@example.org",
        success_url="/",
        cancel_url="/",
    )
    DemoCheckout.objects.filter(pk=demo.pk).update(created_at=NOW - timedelta(days=200))

    forget_payers(now=NOW)

    assert list(Checkout.objects.order_by("pk").values_list("reference", "customer_email")) == [
        (old.reference, ""),
        (young.reference, "reader@example.org"),
    ]
    assert DemoCheckout.objects.get().customer_email == ""
