"""A payment event must match the order it pays for (issue 10, defect 6, the shop's part):
it must come from the provider the order was started with, for exactly the order's total
in its currency. One that does not changes nothing (no paid order, no stock committed, no
email), is written to the order's history and is shown to editors on the order's page.
Events are signed webhooks through the real endpoint, as the providers send them."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from masthead.payments.providers.demo import DemoProvider, demo_webhook_secret
from masthead.publishing.roles import EDITORS
from masthead.shop.models import Order, OrderEvent
from tests.payments import stripe_payloads
from tests.shop import conftest as shop_fixtures
from tests.shop.checkout_helpers import add_to_cart, checkout_to_payment, latest_order
from tests.shop.factories import make_default_zones
from tests.shop.order_helpers import history

pytestmark = pytest.mark.django_db

outlet = shop_fixtures.outlet
catalogue = shop_fixtures.catalogue


@pytest.fixture
def medium(catalogue):
    return catalogue.tee.variants.get(sku="TEE-M")


@pytest.fixture
def reserved(client, medium):
    """An order started with the demo provider, holding the last two medium tees."""
    zones = make_default_zones()
    add_to_cart(client, medium, 2)
    checkout_to_payment(client, zones["uk"].rates.get(name="Royal Mail 2nd Class"))
    order = latest_order()
    assert (order.provider, order.status, order.total) == ("demo", "awaiting_payment", 3950)
    return order


def paid_session(order, event_id, **overrides):
    """checkout.session.completed for the order's checkout, as its provider words it."""
    data = stripe_payloads.session(
        order.checkout_id,
        amount_total=order.total,
        currency="gbp",
        payment_intent="pi_mismatch_1",
        metadata={"purpose": "order", "reference": str(order.pk)},
    )
    data.update(overrides)
    return stripe_payloads.event("checkout.session.completed", data, event_id=event_id)


def deliver(client, payload, *, provider="demo", secret=None):
    body = json.dumps(payload)
    return client.post(
        f"/payments/webhooks/{provider}/",
        data=body,
        content_type="application/json",
        headers={"Stripe-Signature": stripe_payloads.sign(body, secret or demo_webhook_secret())},
    )


def assert_unchanged(order, medium, mailbox):
    order.refresh_from_db()
    assert (order.status, order.paid_at, order.payment_id) == ("awaiting_payment", None, "")
    assert list(order.lines.values_list("stock_state", flat=True)) == ["held"]
    medium.refresh_from_db()
    assert medium.stock == 0
    assert mailbox.messages == []


@pytest.mark.parametrize(
    ("overrides", "sentence"),
    [
        (
            {"amount_total": 3949},
            "A payment of £39.49 (demo pi_mismatch_1) was ignored: this order was charged "
            "£39.50, so it was not marked paid and no stock was committed.",
        ),
        (
            {"currency": "eur"},
            "A payment of €39.50 (demo pi_mismatch_1) was ignored: this order was charged "
            "£39.50, so it was not marked paid and no stock was committed.",
        ),
    ],
)
def test_a_payment_of_another_amount_or_currency_changes_nothing(
    client, reserved, medium, smtp_mailbox, overrides, sentence
):
    response = deliver(client, paid_session(reserved, "evt_short", **overrides))

    assert response.status_code == 200
    assert_unchanged(reserved, medium, smtp_mailbox)
    [mismatch] = [message for message in history(reserved) if "was ignored" in message]
    assert mismatch.startswith(sentence)

    # The real payment still pays it.
    DemoProvider().pay(reserved.checkout_id)
    reserved.refresh_from_db()
    assert reserved.status == Order.Status.PAID


def test_an_event_from_another_provider_changes_nothing(
    client, settings, reserved, medium, smtp_mailbox
):
    settings.STRIPE_SECRET_KEY = "sk_test_123"
    settings.STRIPE_WEBHOOK_SECRET = stripe_payloads.WEBHOOK_SECRET
    settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS = 300
    settings.STRIPE_API_BASE = ""

    response = deliver(
        client,
        paid_session(reserved, "evt_from_stripe"),
        provider="stripe",
        secret=stripe_payloads.WEBHOOK_SECRET,
    )

    assert response.status_code == 200
    assert_unchanged(reserved, medium, smtp_mailbox)
    assert (
        "An event from stripe was ignored: this order was started with demo. Nothing changed."
        in history(reserved)
    )


def test_editors_see_an_ignored_payment_on_the_orders_page(client, reserved):
    deliver(client, paid_session(reserved, "evt_short", amount_total=100))
    editor = get_user_model().objects.create_user("editor", "editor@example.org", "pw-123456")
    editor.groups.add(Group.objects.get(name=EDITORS))
    client.force_login(editor)

    page = client.get(f"/admin/orders/inspect/{reserved.pk}/").content.decode()

    assert OrderEvent.objects.filter(order=reserved, kind="payment_mismatch").count() == 1
    start = page.index("data-payment-mismatch")
    warning = page[start : page.index("</ul>", start)]
    assert "Payment events that did not match this order were ignored." in warning
    assert "A payment of £1.00 (demo pi_mismatch_1) was ignored" in warning
