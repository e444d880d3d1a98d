"""What payments holds for a payer's address, found by mailbox and by the provider ids the
payer's own rows carry, exported whole, and erased: addresses, names, IP addresses and
customer ids gone, amounts, states and payment ids kept, other payers untouched."""

import json

import pytest
from django.utils import timezone

from masthead.payments import personal_data
from masthead.payments.models import (
    Checkout,
    DemoCheckout,
    DemoPayment,
    DemoSubscription,
    PaymentRoute,
    ProviderEvent,
)

pytestmark = pytest.mark.django_db


def _checkout(email, number, **fields):
    return Checkout.objects.create(
        provider="stripe",
        provider_checkout_id=f"cs_{number}",
        idempotency_key=f"key-{number}",
        purpose="donation",
        reference=f"ref-{number}",
        mode="subscription",
        amount=500,
        currency="GBP",
        customer_email=email,
        customer_id=f"cus_{number}",
        subscription_id=f"sub_{number}",
        payment_id=f"pi_{number}",
        status="paid",
        **fields,
    )


def _event(number, payload, event_type="invoice.paid"):
    return ProviderEvent.objects.create(
        provider="stripe", provider_event_id=f"evt_{number}", event_type=event_type, payload=payload
    )


@pytest.fixture
def held():
    """Ada's checkout (under a +tag address), the events about it (a renewal invoice that
    names only her subscription and customer, a charge with her name and IP), another
    payer's checkout whose ids start like hers, and the demo provider's records."""
    mine = _checkout("Ada+gifts@Example.org", 1)
    theirs = _checkout("bob@example.org", 10)
    _event(1, {"data": {"object": {"id": "cs_1", "customer_email": "Ada+gifts@Example.org"}}})
    _event(2, {"data": {"object": {"subscription": "sub_1", "customer": "cus_1", "paid": True}}})
    _event(
        3,
        {
            "data": {
                "object": {
                    "payment_intent": "pi_1",
                    "billing_details": {"name": "Ada Lovelace", "address": {"line1": "1 Row"}},
                    "mandate": {"customer_acceptance": {"online": {"ip_address": "198.51.100.4"}}},
                    "description": "Gift from Ada Lovelace",
                    "amount": 500,
                }
            }
        },
        event_type="charge.updated",
    )
    _event(
        10, {"data": {"object": {"subscription": "sub_10", "customer_email": "bob@example.org"}}}
    )
    PaymentRoute.objects.create(
        provider="stripe", object_id="cus_1", purpose="donation", reference="ref-1"
    )
    PaymentRoute.objects.create(
        provider="stripe", object_id="pi_1", purpose="donation", reference="ref-1"
    )
    DemoCheckout.objects.create(
        id="dcs_1",
        mode="payment",
        purpose="donation",
        reference="ref-d",
        metadata={"note": "for ada@example.org"},
        amount=900,
        currency="GBP",
        customer_email="ada@example.org",
        customer_id="cus_d",
        success_url="/thanks/",
        cancel_url="/",
        payment_id="pi_d",
    )
    DemoSubscription.objects.create(
        id="sub_d",
        customer_id="cus_d",
        customer_email="ada@example.org",
        purpose="donation",
        reference="ref-d",
        amount=900,
        currency="GBP",
        current_period_end=timezone.now(),
    )
    DemoPayment.objects.create(
        id="pi_d2",
        charge_id="ch_d2",
        purpose="donation",
        reference="ref-d",
        amount=900,
        currency="GBP",
        customer_id="cus_d",
        subscription_id="sub_d",
    )
    return mine, theirs


def test_the_payer_is_found_by_mailbox_and_by_the_ids_their_rows_carry(held):
    payer = personal_data.find_payer("ada@example.org")

    assert [row.provider_checkout_id for row in payer.checkouts] == ["cs_1"]
    assert [event.provider_event_id for event in payer.events] == ["evt_1", "evt_2", "evt_3"]
    assert [row.id for row in payer.demo_checkouts] == ["dcs_1"]
    assert [row.id for row in payer.demo_subscriptions] == ["sub_d"]
    assert [row.id for row in payer.demo_payments] == ["pi_d2"]
    assert {"cus_1", "cus_d"} <= payer.customer_ids


def test_ids_the_domain_knows_find_events_the_checkout_does_not_name(held):
    _event(20, {"data": {"object": {"payment_intent": "pi_renewal_7", "amount": 500}}})

    assert "evt_20" not in [
        e.provider_event_id for e in personal_data.find_payer("ada@example.org").events
    ]
    payer = personal_data.find_payer("ada@example.org", ids={"pi_renewal_7"})
    assert "evt_20" in [event.provider_event_id for event in payer.events]


def test_the_export_is_json_with_every_table(held):
    copy = personal_data.export_payer("ada@example.org")

    json.dumps(copy)
    assert [row["customer_email"] for row in copy["payment_checkouts"]] == ["Ada+gifts@Example.org"]
    assert len(copy["payment_provider_events"]) == 3
    assert copy["demo_checkouts"][0]["metadata"] == {"note": "for ada@example.org"}
    assert "bob@example.org" not in json.dumps(copy)


def test_erasure_removes_the_payer_and_keeps_the_accounts_and_other_payers(held):
    mine, theirs = held

    personal_data.erase_payer("ada@example.org", names={"Ada Lovelace"})

    everything = json.dumps(
        [
            list(model.objects.values())
            for model in (
                Checkout,
                ProviderEvent,
                DemoCheckout,
                DemoSubscription,
                DemoPayment,
                PaymentRoute,
            )
        ],
        default=str,
    ).lower()
    for trace in (
        "ada+gifts@example.org",
        "ada@example.org",
        "ada lovelace",
        "198.51.100.4",
        "1 row",
    ):
        assert trace not in everything, trace
    mine.refresh_from_db()
    assert (mine.customer_email, mine.customer_id) == ("", "")
    assert (mine.amount, mine.status, mine.payment_id, mine.subscription_id) == (
        500,
        "paid",
        "pi_1",
        "sub_1",
    )
    theirs.refresh_from_db()
    assert (theirs.customer_email, theirs.customer_id) == ("bob@example.org", "cus_10")
    assert "bob@example.org" in everything
    assert ProviderEvent.objects.get(provider_event_id="evt_10").redaction == "none"
    charge = ProviderEvent.objects.get(provider_event_id="evt_3")
    assert charge.redaction == "personal"
    assert charge.payload["data"]["object"]["amount"] == 500
    assert charge.payload["data"]["object"]["payment_intent"] == "pi_1"
    assert list(PaymentRoute.objects.values_list("object_id", flat=True)) == ["pi_1"]


def test_erasing_twice_changes_nothing_more(held):
    personal_data.erase_payer("ada@example.org")
    first = list(ProviderEvent.objects.order_by("pk").values_list("payload", flat=True))

    personal_data.erase_payer("ada@example.org")

    assert list(ProviderEvent.objects.order_by("pk").values_list("payload", flat=True)) == first


def test_an_address_that_is_no_address_finds_nothing(held):
    payer = personal_data.find_payer("")
    assert (payer.checkouts, payer.events, payer.demo_checkouts) == ([], [], [])
