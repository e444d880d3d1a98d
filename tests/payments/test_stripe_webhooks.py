"""The Stripe webhook endpoint: signatures, the event store, and what each handled event
type means for the domains."""

import json
import time
from datetime import UTC, datetime

import pytest
import stripe

from masthead.payments import events
from masthead.payments.models import Checkout, ProviderEvent
from tests.payments import stripe_payloads as payloads
from tests.payments.stripe_payloads import deliver, event, sign

URL = "/payments/webhooks/stripe/"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_settings")]


def test_locally_signed_header_is_accepted_by_stripe_library():
    body = json.dumps(event("checkout.session.completed", payloads.session()))
    header = sign(body, "whsec_test")
    constructed = stripe.Webhook.construct_event(body, header, "whsec_test")
    assert constructed.id == "evt_1"
    assert constructed.type == "checkout.session.completed"


def test_valid_signature_stores_event_and_reaches_handler(client, received):
    response = deliver(client, event("checkout.session.completed", payloads.session()))
    assert response.status_code == 200
    assert response.json() == {"received": True, "duplicate": False}
    stored = ProviderEvent.objects.get()
    assert (stored.provider, stored.provider_event_id) == ("stripe", "evt_1")
    assert stored.event_type == "checkout.session.completed"
    assert stored.payload["data"]["object"]["amount_total"] == 1250
    assert stored.processed_at is not None
    assert received == [
        events.CheckoutCompleted(
            provider="stripe",
            provider_event_id="evt_1",
            purpose="test",
            reference="ref-1",
            occurred_at=datetime.fromtimestamp(1_800_000_000, tz=UTC),
            checkout_id="cs_test_1",
            amount=1250,
            currency="GBP",
            email="reader@example.org",
            customer_id="cus_1",
            payment_id="pi_1",
            paid=True,
        )
    ]


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(lambda body: sign(body, "whsec_wrong"), id="wrong-secret"),
        pytest.param(lambda body: sign(body.replace("1250", "1"), "whsec_test"), id="tampered"),
        pytest.param(lambda body: sign(body, timestamp=int(time.time()) - 301), id="stale"),
        pytest.param(lambda body: sign(body, timestamp=int(time.time()) + 3600), id="future"),
        pytest.param(lambda body: "t=not-a-number,v1=abc", id="garbled"),
        pytest.param(lambda body: f"t={int(time.time())}", id="no-signature"),
        pytest.param(lambda body: None, id="missing"),
    ],
)
def test_bad_signature_is_400_and_changes_nothing(client, received, header):
    body = json.dumps(event("checkout.session.completed", payloads.session()))
    value = header(body)
    headers = {"Stripe-Signature": value} if value else {}
    response = client.post(URL, data=body, content_type="application/json", headers=headers)
    assert response.status_code == 400
    assert ProviderEvent.objects.count() == 0
    assert received == []


def test_signature_within_tolerance_is_accepted(client, received):
    response = deliver(
        client,
        event("checkout.session.completed", payloads.session()),
        timestamp=int(time.time()) - 290,
    )
    assert response.status_code == 200
    assert len(received) == 1


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"id": "evt_1", "type": "checkout.session.completed"}',
        b'{"id": "", "type": "x", "data": {"object": {}}}',
        b"\xff\xfe",
    ],
)
def test_signed_but_malformed_body_is_400(client, received, body):
    text = body.decode("latin-1")
    response = client.post(
        URL,
        data=body,
        content_type="application/json",
        headers={"Stripe-Signature": sign(text)},
    )
    assert response.status_code == 400
    assert ProviderEvent.objects.count() == 0


def test_signed_event_with_malformed_object_is_400(client, received):
    bad = payloads.session(amount_total="12.50")
    response = deliver(client, event("checkout.session.completed", bad))
    assert response.status_code == 400
    assert ProviderEvent.objects.count() == 0
    assert received == []


def test_get_is_refused(client):
    assert client.get(URL).status_code == 405


def test_unknown_provider_is_404(client):
    body = json.dumps(event("checkout.session.completed", payloads.session()))
    response = client.post(
        "/payments/webhooks/paypal/",
        data=body,
        content_type="application/json",
        headers={"Stripe-Signature": sign(body)},
    )
    assert response.status_code == 404


def test_stripe_webhook_without_configured_secret_is_400(client, settings, received):
    settings.STRIPE_WEBHOOK_SECRET = ""
    response = deliver(client, event("checkout.session.completed", payloads.session()))
    assert response.status_code == 400
    assert ProviderEvent.objects.count() == 0


def test_duplicate_delivery_is_200_and_changes_nothing(client, received):
    payload = event("checkout.session.completed", payloads.session())
    first = deliver(client, payload)
    second = deliver(client, payload)
    assert first.status_code == second.status_code == 200
    assert second.json() == {"received": True, "duplicate": True}
    assert ProviderEvent.objects.count() == 1
    assert len(received) == 1


def test_unhandled_type_is_stored_and_answered_200(client, received):
    response = deliver(client, event("customer.created", {"id": "cus_1", "object": "customer"}))
    assert response.status_code == 200
    assert ProviderEvent.objects.get().outcome == "ignored"
    assert received == []


def test_event_for_unregistered_purpose_is_stored_not_dispatched(client, received):
    foreign = payloads.session(metadata={"purpose": "raffle", "reference": "x"})
    response = deliver(client, event("checkout.session.completed", foreign))
    assert response.status_code == 200
    assert ProviderEvent.objects.get().outcome == "no handler for raffle"
    assert received == []


def test_failing_handler_stores_nothing_so_a_retry_is_processed(client, received):
    from masthead.payments import registry

    registry.unregister_handler("test")

    def broken(event):
        raise RuntimeError("database went away")

    registry.register_handler("test", broken)
    client.raise_request_exception = False
    payload = event("checkout.session.completed", payloads.session())
    assert deliver(client, payload).status_code == 500
    assert ProviderEvent.objects.count() == 0

    registry.unregister_handler("test")
    registry.register_handler("test", received.append)
    assert deliver(client, payload).status_code == 200
    assert ProviderEvent.objects.count() == 1
    assert len(received) == 1


PERIOD_END = datetime.fromtimestamp(1_802_592_000, tz=UTC)
# Every mapped event carries when Stripe says it happened (the payloads' "created").
EVENT_CREATED = datetime.fromtimestamp(1_800_000_000, tz=UTC)
COMMON = {
    "provider": "stripe",
    "provider_event_id": "evt_1",
    "purpose": "test",
    "reference": "ref-1",
    "occurred_at": EVENT_CREATED,
}

MAPPING_CASES = [
    (
        "checkout.session.completed",
        payloads.session("cs_test_2", mode="subscription", payment_status="paid", amount_total=500),
        events.CheckoutCompleted(
            **COMMON,
            checkout_id="cs_test_2",
            amount=500,
            currency="GBP",
            email="reader@example.org",
            customer_id="cus_1",
            subscription_id="sub_1",
            paid=True,
        ),
    ),
    (
        "checkout.session.completed",
        payloads.session(payment_status="unpaid"),
        events.CheckoutCompleted(
            **COMMON,
            checkout_id="cs_test_1",
            amount=1250,
            currency="GBP",
            email="reader@example.org",
            customer_id="cus_1",
            payment_id="pi_1",
            paid=False,
        ),
    ),
    (
        "checkout.session.async_payment_succeeded",
        payloads.session(),
        events.PaymentSucceeded(
            **COMMON,
            payment_id="pi_1",
            amount=1250,
            currency="GBP",
            email="reader@example.org",
            checkout_id="cs_test_1",
            customer_id="cus_1",
        ),
    ),
    (
        "checkout.session.async_payment_failed",
        payloads.session(payment_status="unpaid"),
        events.PaymentFailed(
            **COMMON,
            amount=1250,
            currency="GBP",
            email="reader@example.org",
            checkout_id="cs_test_1",
            customer_id="cus_1",
            reason="The bank did not settle the payment.",
        ),
    ),
    (
        "checkout.session.expired",
        payloads.session(status="expired", payment_status="unpaid"),
        events.CheckoutExpired(**COMMON, checkout_id="cs_test_1"),
    ),
    (
        "invoice.paid",
        payloads.invoice(),
        events.PaymentSucceeded(
            **COMMON,
            payment_id="pi_in_1",
            amount=500,
            currency="GBP",
            email="reader@example.org",
            customer_id="cus_1",
            subscription_id="sub_1",
            invoice_id="in_1",
            is_renewal=True,
            period_end=PERIOD_END,
        ),
    ),
    (
        "invoice.paid",
        payloads.invoice("in_0", billing_reason="subscription_create"),
        events.PaymentSucceeded(
            **COMMON,
            payment_id="pi_in_0",
            amount=500,
            currency="GBP",
            email="reader@example.org",
            customer_id="cus_1",
            subscription_id="sub_1",
            invoice_id="in_0",
            is_renewal=False,
            period_end=PERIOD_END,
        ),
    ),
    (
        "invoice.payment_failed",
        payloads.invoice(
            status="open",
            amount_paid=0,
            payments={"object": "list", "data": []},
            last_finalization_error={"message": "Your card has insufficient funds."},
        ),
        events.PaymentFailed(
            **COMMON,
            amount=500,
            currency="GBP",
            email="reader@example.org",
            customer_id="cus_1",
            subscription_id="sub_1",
            invoice_id="in_1",
            reason="Your card has insufficient funds.",
        ),
    ),
    (
        "customer.subscription.updated",
        payloads.subscription(status="past_due", amount=800, cancel_at_period_end=True),
        events.SubscriptionUpdated(
            **COMMON,
            subscription_id="sub_1",
            customer_id="cus_1",
            status="past_due",
            amount=800,
            currency="GBP",
            cancel_at_period_end=True,
            current_period_end=PERIOD_END,
        ),
    ),
    (
        "customer.subscription.deleted",
        payloads.subscription(status="canceled"),
        events.SubscriptionCancelled(**COMMON, subscription_id="sub_1", customer_id="cus_1"),
    ),
    (
        "charge.refunded",
        payloads.charge(amount_refunded=500),
        events.PaymentRefunded(
            **COMMON, payment_id="pi_1", amount_refunded=500, currency="GBP", fully_refunded=False
        ),
    ),
    (
        "charge.refunded",
        payloads.charge(amount_refunded=1250),
        events.PaymentRefunded(
            **COMMON, payment_id="pi_1", amount_refunded=1250, currency="GBP", fully_refunded=True
        ),
    ),
]


@pytest.mark.parametrize(
    ("event_type", "data_object", "expected"),
    MAPPING_CASES,
    ids=[f"{case[0]}-{number}" for number, case in enumerate(MAPPING_CASES)],
)
def test_event_type_maps_to_domain_event(client, received, event_type, data_object, expected):
    response = deliver(client, event(event_type, data_object))
    assert response.status_code == 200
    assert received == [expected]


def test_dispute_is_routed_through_its_payment_intent_metadata(client, received, stripe_api):
    stripe_api.responses["GET /v1/payment_intents/pi_1"] = (200, "payment_intent.json")
    response = deliver(client, event("charge.dispute.created", payloads.dispute()))
    assert response.status_code == 200
    assert received == [
        events.PaymentDisputed(
            **COMMON, payment_id="pi_1", amount=1250, currency="GBP", reason="fraudulent"
        )
    ]
    assert [(r["method"], r["path"]) for r in stripe_api.requests] == [
        ("GET", "/v1/payment_intents/pi_1")
    ]


def test_invoice_without_metadata_fetches_its_subscription(client, received, stripe_api):
    stripe_api.responses["GET /v1/subscriptions/sub_1"] = (200, "subscription.json")
    stripe_api.responses["GET /v1/invoice_payments"] = (200, "invoice_payments.json")
    bare = payloads.invoice(metadata=False, payments=None)
    response = deliver(client, event("invoice.paid", bare))
    assert response.status_code == 200
    [paid] = received
    assert (paid.purpose, paid.reference) == ("test", "ref-1")
    assert paid.payment_id == "pi_from_invoice"
    assert stripe_api.requests[1]["query"]["invoice"] == "in_1"


def test_stripe_outage_while_fetching_is_503_and_stores_nothing(client, received, stripe_api):
    bare = payloads.invoice(metadata=False)
    response = deliver(client, event("invoice.paid", bare))
    assert response.status_code == 503
    assert ProviderEvent.objects.count() == 0


def test_refund_without_metadata_is_routed_by_an_earlier_payment(client, received):
    deliver(client, event("checkout.session.completed", payloads.session(), "evt_a"))
    response = deliver(client, event("charge.refunded", payloads.charge(metadata={}), "evt_b"))
    assert response.status_code == 200
    assert [type(item) for item in received] == [events.CheckoutCompleted, events.PaymentRefunded]
    assert received[1].reference == "ref-1"


def _checkout(status=Checkout.Status.OPEN, provider_checkout_id="cs_test_1"):
    return Checkout.objects.create(
        provider="stripe",
        provider_checkout_id=provider_checkout_id,
        idempotency_key=f"key-{provider_checkout_id}",
        purpose="test",
        reference="ref-1",
        mode="payment",
        amount=1250,
        currency="GBP",
        status=status,
    )


def test_checkout_becomes_paid_and_a_late_expiry_does_not_undo_it(client, received):
    checkout = _checkout()
    deliver(client, event("checkout.session.completed", payloads.session(), "evt_a"))
    deliver(client, event("checkout.session.expired", payloads.session(), "evt_b"))
    checkout.refresh_from_db()
    assert checkout.status == "paid"
    assert (checkout.customer_id, checkout.payment_id) == ("cus_1", "pi_1")


def test_direct_debit_settles_after_completion_in_either_order(client, received):
    first, second = _checkout(), _checkout(provider_checkout_id="cs_test_2")
    unpaid = payloads.session(payment_status="unpaid")
    deliver(client, event("checkout.session.completed", unpaid, "evt_a"))
    first.refresh_from_db()
    assert first.status == "processing"
    deliver(client, event("checkout.session.async_payment_succeeded", payloads.session(), "evt_b"))
    first.refresh_from_db()
    assert first.status == "paid"

    later = payloads.session("cs_test_2")
    deliver(client, event("checkout.session.async_payment_failed", later, "evt_c"))
    deliver(
        client, event("checkout.session.completed", {**later, "payment_status": "unpaid"}, "evt_d")
    )
    second.refresh_from_db()
    assert second.status == "failed"
