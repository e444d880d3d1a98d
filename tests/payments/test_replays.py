"""Replays and reordering: every event delivered three times, in random order, leaves the
same state as delivering each once in order."""

import random
from collections import defaultdict

import pytest

from masthead.payments import events, registry
from masthead.payments.models import Checkout, PaymentRoute, ProviderEvent
from tests.payments import stripe_payloads as payloads
from tests.payments.stripe_payloads import deliver, event

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_settings")]

REFERENCES = 20
EVENTS_PER_REFERENCE = 10


class Ledger:
    """A domain handler for the "replay" purpose that tolerates any order, as handlers
    must, but counts what it is given, so a duplicate that got through would show."""

    def __init__(self):
        self.state = defaultdict(lambda: defaultdict(int))

    def __call__(self, event):
        entry = self.state[event.reference]
        entry[type(event).__name__] += 1
        if isinstance(event, events.PaymentSucceeded):
            entry["collected"] += event.amount
        if isinstance(event, events.PaymentRefunded):
            entry["refunded"] = max(entry["refunded"], event.amount_refunded)
        if isinstance(event, events.SubscriptionCancelled):
            entry["cancelled"] = 1

    def snapshot(self):
        return {reference: dict(entry) for reference, entry in self.state.items()}


@pytest.fixture
def ledger():
    handler = Ledger()
    registry.register_handler("replay", handler)
    yield handler
    registry.unregister_handler("replay")


def event_stream():
    """200 events over 20 monthly supporters: checkout, first invoice, renewals, a raised
    amount, a failed renewal, partial then full refunds, cancellation."""
    stream = []
    for number in range(REFERENCES):
        routing = {"purpose": "replay", "reference": f"supporter-{number}"}
        session_id, sub_id = f"cs_replay_{number}", f"sub_replay_{number}"

        def make(kind, data, suffix, number=number):
            stream.append(event(kind, data, f"evt_{number}_{suffix}"))

        common = {"metadata": routing, "customer": f"cus_{number}"}
        make(
            "checkout.session.completed",
            payloads.session(session_id, mode="subscription", subscription=sub_id, **common),
            "completed",
        )
        for month, reason in enumerate(["subscription_create", *["subscription_cycle"] * 3]):
            invoice = payloads.invoice(f"in_{number}_{month}", billing_reason=reason, **common)
            invoice["parent"]["subscription_details"].update(subscription=sub_id, metadata=routing)
            make("invoice.paid", invoice, f"invoice_{month}")
        make(
            "customer.subscription.updated",
            payloads.subscription(sub_id, amount=900, **common),
            "updated",
        )
        failed = payloads.invoice(f"in_{number}_failed", status="open", amount_paid=0, **common)
        failed["parent"]["subscription_details"].update(subscription=sub_id, metadata=routing)
        make("invoice.payment_failed", failed, "failed")
        for step, refunded in enumerate([200, 500]):
            charge = payloads.charge(
                f"ch_{number}",
                amount=500,
                amount_refunded=refunded,
                payment_intent=f"pi_in_{number}_0",
                **common,
            )
            make("charge.refunded", charge, f"refund_{step}")
        make(
            "customer.subscription.deleted",
            payloads.subscription(sub_id, status="canceled", **common),
            "deleted",
        )
    assert len(stream) == REFERENCES * EVENTS_PER_REFERENCE == 200
    return stream


def make_checkouts():
    for number in range(REFERENCES):
        Checkout.objects.update_or_create(
            idempotency_key=f"replay-{number}",
            defaults={
                "provider": "stripe",
                "provider_checkout_id": f"cs_replay_{number}",
                "purpose": "replay",
                "reference": f"supporter-{number}",
                "mode": "subscription",
                "amount": 500,
                "currency": "GBP",
                "status": "open",
                "customer_id": "",
                "subscription_id": "",
                "payment_id": "",
            },
        )


def database_state():
    return {
        "events": sorted(ProviderEvent.objects.values_list("provider_event_id", "outcome")),
        "checkouts": sorted(
            Checkout.objects.values_list("reference", "status", "customer_id", "subscription_id")
        ),
        "routes": sorted(PaymentRoute.objects.values_list("object_id", "purpose", "reference")),
    }


def test_three_random_deliveries_of_each_event_equal_one_in_order(client, ledger):
    stream = event_stream()

    make_checkouts()
    for payload in stream:
        assert deliver(client, payload).status_code == 200
    in_order = (ledger.snapshot(), database_state())

    ProviderEvent.objects.all().delete()
    PaymentRoute.objects.all().delete()
    make_checkouts()
    ledger.state.clear()

    deliveries = stream * 3
    random.Random(20260401).shuffle(deliveries)  # noqa: S311 - a fixed, repeatable order
    duplicates = 0
    for payload in deliveries:
        response = deliver(client, payload)
        assert response.status_code == 200
        duplicates += response.json()["duplicate"]

    assert duplicates == 400
    assert (ledger.snapshot(), database_state()) == in_order
    first = in_order[0]["supporter-0"]
    assert first == {
        "CheckoutCompleted": 1,
        "PaymentSucceeded": 4,
        "collected": 2000,
        "SubscriptionUpdated": 1,
        "PaymentFailed": 1,
        "PaymentRefunded": 2,
        "refunded": 500,
        "SubscriptionCancelled": 1,
        "cancelled": 1,
    }
    assert {status for _, status, _, _ in in_order[1]["checkouts"]} == {"paid"}
