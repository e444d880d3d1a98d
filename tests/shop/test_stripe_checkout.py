"""A shop order through Stripe: the Checkout Session carries the order's lines at the prices
the server worked out, its shipping, its expiry (the end of the stock hold) and its routing;
Stripe's signed webhook then pays the order. Stripe's HTTP API is answered from a recorded
response and the webhook is signed locally exactly as Stripe signs it."""

from pathlib import Path

import pytest
from django.core import mail

from masthead.payments.models import ProviderEvent
from masthead.shop.checkout import CheckoutDetails, start_order
from masthead.shop.models import Cart, CartLine, Order
from tests.payments import stripe_payloads
from tests.payments.conftest import RecordedHTTPClient
from tests.shop.factories import make_code, make_default_zones

RECORDED = Path(__file__).parent / "recorded" / "stripe"

pytestmark = pytest.mark.django_db


@pytest.fixture
def stripe_http(settings, monkeypatch):
    from masthead.payments.providers import stripe as stripe_provider

    settings.PAYMENTS_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_123"
    settings.STRIPE_WEBHOOK_SECRET = stripe_payloads.WEBHOOK_SECRET
    settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS = 300
    settings.STRIPE_PAYMENT_METHOD_TYPES = ["card"]
    settings.STRIPE_ENABLE_BACS = False
    settings.STRIPE_API_BASE = ""
    client = RecordedHTTPClient({})
    client.responses["POST /v1/checkout/sessions"] = (
        200,
        str((RECORDED / "order_session.json").resolve()),
    )
    monkeypatch.setattr(stripe_provider, "http_client", client)
    return client


def test_an_order_checkout_session_and_its_paid_webhook(
    client, catalogue, stripe_http, django_capture_on_commit_callbacks
):
    zones = make_default_zones()
    make_code("TENOFF", value=10)
    medium = catalogue.tee.variants.get(sku="TEE-M")
    small = catalogue.tee.variants.get(sku="TEE-S")
    cart = Cart.objects.create(discount_code="TENOFF")
    CartLine.objects.create(cart=cart, variant=medium, quantity=1, price_when_added=1800)
    CartLine.objects.create(cart=cart, variant=small, quantity=1, price_when_added=1800)
    rate = zones["uk"].rates.order_by("price").first()
    details = CheckoutDetails(
        email="buyer@example.org",
        full_name="A Buyer",
        address_line1="2 Quay Street",
        city="Wennmouth",
        postcode="SW1A 1AA",
        country="GB",
    )

    started = start_order(cart, details, rate.pk)

    order = started.order
    assert started.checkout_url == "https://checkout.stripe.com/c/pay/cs_test_order_1"
    [request] = stripe_http.requests
    params = request["params"]
    assert request["headers"]["Idempotency-Key"] == f"order-{order.pk}"
    assert params["mode"] == "payment"
    assert params["metadata[purpose]"] == "order"
    assert params["metadata[reference]"] == str(order.pk)
    assert params["customer_email"] == "buyer@example.org"
    assert int(params["expires_at"]) == int(order.reserved_until.timestamp())
    # Two tees at £18 less 10% (£16.20 each), then the delivery: they add up to the total.
    items = {}
    index = 0
    while f"line_items[{index}][quantity]" in params:
        prefix = f"line_items[{index}]"
        items[params[f"{prefix}[price_data][product_data][name]"]] = (
            int(params[f"{prefix}[price_data][unit_amount]"]),
            int(params[f"{prefix}[quantity]"]),
        )
        assert params[f"{prefix}[price_data][currency]"] == "gbp"
        index += 1
    assert items["Ledger logo tee — M"] == (1620, 1)
    assert items["Ledger logo tee — S"] == (1620, 1)
    assert sum(amount * quantity for amount, quantity in items.values()) == order.total
    assert order.total == 3240 + rate.price

    session = stripe_payloads.session(
        "cs_test_order_1",
        amount_total=order.total,
        customer=None,
        customer_details={"email": "buyer@example.org", "name": "A Buyer"},
        payment_intent="pi_order_1",
        metadata={"purpose": "order", "reference": str(order.pk)},
    )
    body = stripe_payloads.event("checkout.session.completed", session, event_id="evt_order_1")
    with django_capture_on_commit_callbacks(execute=True):
        response = stripe_payloads.deliver(client, body)
        assert response.status_code == 200, response.content
        # Stripe retries a delivery it thinks failed: the second changes nothing.
        assert stripe_payloads.deliver(client, body).status_code == 200

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert order.payment_id == "pi_order_1"
    assert set(order.lines.values_list("stock_state", flat=True)) == {"committed"}
    assert order.discount_state == "committed"
    medium.refresh_from_db()
    assert medium.stock == 1
    assert ProviderEvent.objects.filter(provider_event_id="evt_order_1").count() == 1
    [confirmation] = mail.outbox
    assert confirmation.to == ["buyer@example.org"]
    assert order.number in confirmation.subject
