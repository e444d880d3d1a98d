"""What the provider's events do to orders: paid, expired, paid after the hold ran out (with
and without stock left), refunds and disputes; replays change nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from masthead.payments.models import DemoPayment
from masthead.payments.providers.demo import DemoProvider
from masthead.shop.checkout import release_expired_reservations
from masthead.shop.models import CartLine, DiscountCode, Order
from tests.shop.checkout_helpers import (
    abandon_on_demo,
    add_to_cart,
    checkout_to_payment,
    latest_order,
    offers,
    pay_on_demo,
)
from tests.shop.factories import make_code, make_default_zones
from tests.shop.order_helpers import history

pytestmark = pytest.mark.django_db


@pytest.fixture
def zones(catalogue):
    return make_default_zones()


@pytest.fixture
def medium(catalogue):
    return catalogue.tee.variants.get(sku="TEE-M")


@pytest.fixture
def reserved(client, medium, zones):
    """An order holding both of the last two medium tees, awaiting payment."""
    add_to_cart(client, medium, 2)
    response = checkout_to_payment(client, zones["uk"].rates.get(name="Royal Mail 2nd Class"))
    assert response.status_code == 302
    medium.refresh_from_db()
    assert medium.stock == 0
    return latest_order()


def run_out_the_clock(order):
    Order.objects.filter(pk=order.pk).update(reserved_until=timezone.now() - timedelta(minutes=1))


def test_expired_reservations_are_released_once(reserved, medium):
    assert release_expired_reservations() == 0
    run_out_the_clock(reserved)

    assert release_expired_reservations() == 1
    assert release_expired_reservations() == 0

    reserved.refresh_from_db()
    assert reserved.status == Order.Status.EXPIRED
    assert reserved.lines.get().stock_state == "released"
    medium.refresh_from_db()
    assert medium.stock == 2
    assert history(reserved).count("The time to pay ran out; the items went back on sale.") == 1


def test_a_release_that_brings_an_item_back_refreshes_the_cached_product_page(
    reserved, catalogue, django_capture_on_commit_callbacks
):
    from django.test import Client

    reader = Client()
    reader.get(catalogue.tee.get_absolute_url())
    assert offers(reader, catalogue.tee) == (
        "hit",
        {"TEE-S": "InStock", "TEE-M": "OutOfStock", "TEE-L": "OutOfStock"},
    )
    run_out_the_clock(reserved)
    with django_capture_on_commit_callbacks(execute=True):
        release_expired_reservations()

    assert offers(reader, catalogue.tee) == (
        "miss",
        {"TEE-S": "InStock", "TEE-M": "LimitedAvailability", "TEE-L": "OutOfStock"},
    )


def test_a_payment_after_expiry_with_stock_left_retakes_it_and_pays(reserved, medium, client):
    run_out_the_clock(reserved)
    release_expired_reservations()

    order = pay_on_demo(reserved)

    assert order.status == Order.Status.PAID
    assert order.lines.get().stock_state == "committed"
    medium.refresh_from_db()
    assert medium.stock == 0
    assert CartLine.objects.count() == 0
    assert "Paid after the hold ran out; the items were still available." in history(order)


def test_a_payment_after_expiry_with_the_stock_gone_is_refunded_and_cancelled(
    reserved, medium, smtp_mailbox, django_capture_on_commit_callbacks
):
    run_out_the_clock(reserved)
    release_expired_reservations()
    medium.stock = 1  # another reader bought one of the two meanwhile
    medium.save()

    with django_capture_on_commit_callbacks(execute=True):
        order = pay_on_demo(reserved)

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert order.paid_at is not None
    assert order.refunded_amount == order.total
    assert DemoPayment.objects.get(pk=order.payment_id).amount_refunded == order.total
    assert order.lines.get().stock_state == "released"
    medium.refresh_from_db()
    assert medium.stock == 1
    assert CartLine.objects.get().quantity == 2
    mail = smtp_mailbox.wait_for(1)
    cancellation = [message for message in mail if "cancelled" in message.subject]
    assert cancellation and "sold out" in cancellation[0].text()


def test_replaying_the_paid_event_changes_nothing(
    reserved, medium, django_capture_on_commit_callbacks
):
    from masthead.payments import services
    from masthead.payments.models import ProviderEvent

    with django_capture_on_commit_callbacks(execute=True):
        order = pay_on_demo(reserved)
    paid_at = order.paid_at
    stored = ProviderEvent.objects.get(event_type="checkout.session.completed")

    # The same payment reported again under a new event id (as after a provider hiccup).
    import json

    from masthead.payments.providers import stripe_events
    from masthead.payments.providers.demo import demo_webhook_secret

    body = dict(stored.payload)
    body["id"] = "evt_demo_replayed"
    raw = json.dumps(body)
    header = stripe_events.sign_payload(raw, demo_webhook_secret())
    services.process_webhook("demo", raw.encode(), {"Stripe-Signature": header})

    order.refresh_from_db()
    assert order.paid_at == paid_at and order.status == Order.Status.PAID
    medium.refresh_from_db()
    assert medium.stock == 0
    assert [message for message in history(order) if message.startswith("Paid")] == [
        f"Paid £39.50 (demo {order.payment_id})."
    ]


def test_an_expiry_event_after_payment_changes_nothing(reserved, medium):
    from masthead.payments.events import CheckoutExpired
    from masthead.shop.payment_events import handle_payment_event

    order = pay_on_demo(reserved)
    handle_payment_event(
        CheckoutExpired(
            provider="demo",
            provider_event_id="evt_late",
            purpose="order",
            reference=str(order.pk),
            checkout_id=order.checkout_id,
        )
    )

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    medium.refresh_from_db()
    assert medium.stock == 0


def test_the_discount_use_is_committed_on_payment_and_given_back_on_abandon(
    client, catalogue, zones
):
    code = make_code("RIVER10", value=10, usage_limit=5)
    small = catalogue.tee.variants.get(sku="TEE-S")
    add_to_cart(client, small, 1)
    client.post("/shop/cart/update/", {"action": "apply_discount", "code": "RIVER10"})

    checkout_to_payment(client, zones["uk"].rates.first())
    first = latest_order()
    code.refresh_from_db()
    assert (first.discount_state, code.times_used) == ("held", 1)

    abandon_on_demo(first)
    code.refresh_from_db()
    assert (first.discount_state, code.times_used) == ("released", 0)

    client.post("/shop/cart/update/", {"action": "apply_discount", "code": "RIVER10"})
    checkout_to_payment(client, zones["uk"].rates.first())
    second = pay_on_demo(latest_order())
    code.refresh_from_db()
    assert (second.discount_state, code.times_used) == ("committed", 1)
    assert DiscountCode.objects.get().times_used == 1


def test_a_refund_at_the_provider_reaches_the_order(reserved, django_capture_on_commit_callbacks):
    order = pay_on_demo(reserved)

    DemoProvider().refund(order.payment_id, 500)

    order.refresh_from_db()
    assert order.refunded_amount == 500
    assert order.status == Order.Status.PARTIALLY_REFUNDED


def test_a_dispute_is_written_to_the_history(reserved):
    order = pay_on_demo(reserved)

    DemoProvider().dispute(order.payment_id)

    assert [message for message in history(order) if "opened a dispute" in message] == [
        "The payer's bank opened a dispute for £39.50 (general); respond to it in the payment "
        "provider's dashboard."
    ]


def test_events_for_unknown_orders_are_ignored(db):
    from masthead.payments.events import CheckoutCompleted
    from masthead.shop.payment_events import handle_payment_event

    handle_payment_event(
        CheckoutCompleted(
            provider="demo",
            provider_event_id="evt_x",
            purpose="order",
            reference="999999",
            checkout_id="cs_unknown",
            amount=100,
            currency="gbp",
            email="x@example.org",
        )
    )

    assert Order.objects.count() == 0


def test_the_order_page_waits_while_payment_is_confirmed(client, reserved):
    page = client.get(f"/shop/order/{reserved.token}/")
    html = page.content.decode()

    assert "no-cache" in page["Cache-Control"]
    assert "Confirming your payment" in html
    assert f"url=/shop/order/{reserved.token}/?wait=1" in html
    html = client.get(f"/shop/order/{reserved.token}/?wait=15").content.decode()
    assert "taking longer than usual" in html and "http-equiv" not in html


def test_the_order_page_shows_parcels_with_tracking_links(client, reserved):
    from masthead.shop.models import Shipment, ShipmentLine

    order = pay_on_demo(reserved)
    shipment = Shipment.objects.create(
        order=order,
        carrier="Royal Mail",
        tracking_number="RM123456785GB",
        tracking_url="https://track.example/RM123456785GB",
    )
    ShipmentLine.objects.create(shipment=shipment, order_line=order.lines.get(), quantity=2)

    html = client.get(f"/shop/order/{order.token}/").content.decode()

    assert f"Thank you — order {order.number}" in html
    assert 'href="https://track.example/RM123456785GB"' in html
    assert "Track parcel RM123456785GB" in html


def test_an_unknown_order_token_is_not_found(client, db):
    assert client.get("/shop/order/3f1d5a52-6a3c-4c1e-9a9b-2f1f0f6b7a10/").status_code == 404
    assert client.get("/shop/order/not-a-token/").status_code == 404


def test_a_direct_debit_still_settling_keeps_the_items_held(reserved, medium):
    from masthead.payments import events
    from masthead.shop.payment_events import SETTLING_HOLD, handle_payment_event

    completed = events.CheckoutCompleted(
        provider="demo",
        provider_event_id="evt_settling",
        purpose="order",
        reference=str(reserved.pk),
        checkout_id=reserved.checkout_id,
        amount=reserved.total,
        currency=reserved.currency,
        email=reserved.email,
        paid=False,
    )
    handle_payment_event(completed)

    reserved.refresh_from_db()
    assert reserved.status == Order.Status.AWAITING_PAYMENT
    assert reserved.reserved_until > timezone.now() + SETTLING_HOLD - timedelta(minutes=1)
    # The usual hold (30 minutes) passing releases nothing while the debit settles.
    assert release_expired_reservations(now=timezone.now() + timedelta(hours=2)) == 0
    medium.refresh_from_db()
    assert medium.stock == 0
    assert [message for message in history(reserved) if "items held" in message] == [
        "Payment is being processed by the provider; items held until "
        f"{timezone.localtime(reserved.reserved_until):%d %b %Y}."
    ]


def test_a_second_checkout_from_the_basket_replaces_the_first_and_ends_its_page(
    client, reserved, medium, zones, django_capture_on_commit_callbacks
):
    from masthead.payments.models import DemoCheckout

    first_checkout = reserved.checkout_id
    # Back from the payment page: the basket does not call the reader's own held tees sold out.
    basket = client.get("/shop/cart/").content.decode()
    assert "sold out" not in basket.lower()
    assert 'href="/shop/checkout/"' in basket
    with django_capture_on_commit_callbacks(execute=True):
        response = checkout_to_payment(client, zones["uk"].rates.get(name="Royal Mail 2nd Class"))
    assert response.status_code == 302

    reserved.refresh_from_db()
    second = latest_order()
    assert second.pk != reserved.pk
    assert reserved.status == Order.Status.EXPIRED
    assert second.status == Order.Status.AWAITING_PAYMENT
    # The last two tees are held once, by the newer order.
    medium.refresh_from_db()
    assert medium.stock == 0
    assert reserved.lines.get().stock_state == "released"
    assert second.lines.get().stock_state == "held"
    # The first payment page was ended, so it can no longer be paid.
    assert DemoCheckout.objects.get(pk=first_checkout).status == DemoCheckout.Status.EXPIRED
    assert DemoCheckout.objects.get(pk=second.checkout_id).status == DemoCheckout.Status.OPEN


def test_an_editor_cancelling_an_unpaid_order_ends_its_payment_page(
    reserved, medium, django_capture_on_commit_callbacks
):
    from masthead.payments.models import DemoCheckout
    from masthead.shop import orders

    with django_capture_on_commit_callbacks(execute=True):
        orders.cancel(reserved, reason="Duplicate order")

    reserved.refresh_from_db()
    assert reserved.status == Order.Status.CANCELLED
    medium.refresh_from_db()
    assert medium.stock == 2
    assert DemoCheckout.objects.get(pk=reserved.checkout_id).status == "expired"
