"""The whole way through with the demo provider: basket, details, delivery, review, pay on
the demo checkout page, and what the webhooks make of it."""

import pytest
from django.test import Client

from masthead.shop.models import CartLine, Order, OrderLine
from tests.shop.checkout_helpers import (
    abandon_on_demo,
    add_to_cart,
    checkout_to_payment,
    latest_order,
    offers,
    pay_on_demo,
)
from tests.shop.factories import make_default_zones

pytestmark = pytest.mark.django_db


@pytest.fixture
def zones(catalogue):
    return make_default_zones()


def test_paying_on_the_demo_checkout_pays_the_order_commits_stock_and_empties_the_basket(
    client, catalogue, zones, smtp_mailbox, django_capture_on_commit_callbacks
):
    medium = catalogue.tee.variants.get(sku="TEE-M")
    poster = catalogue.poster.variants.get()
    add_to_cart(client, medium, 2)
    add_to_cart(client, poster, 1)
    second_class = zones["uk"].rates.get(name="Royal Mail 2nd Class")

    response = checkout_to_payment(client, second_class)

    assert response.status_code == 302
    order = latest_order()
    assert response["Location"] == f"/payments/demo/checkout/{order.checkout_id}/"
    assert order.status == Order.Status.AWAITING_PAYMENT
    assert order.total == 2 * 1800 + 1200  # £48: over £40, so delivery is free
    assert order.shipping_total == 0
    assert order.postcode == "RV1 2AB"
    medium.refresh_from_db()
    assert medium.stock == 0
    assert [line.stock_state for line in order.lines.order_by("sku")] == ["untracked", "held"]
    assert CartLine.objects.count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        order = pay_on_demo(order)

    assert order.status == Order.Status.PAID
    assert order.paid_at is not None and order.payment_id
    assert set(order.lines.values_list("stock_state", flat=True)) == {"untracked", "committed"}
    assert CartLine.objects.count() == 0
    medium.refresh_from_db()
    assert medium.stock == 0
    page = client.get(f"/shop/order/{order.token}/")
    assert page.status_code == 200
    assert f"Thank you — order {order.number}" in page.content.decode()
    assert "RV1 2AB" in page.content.decode()
    mail = smtp_mailbox.wait_for(1)
    assert [message.rcpt_tos for message in mail] == [["reader@example.org"]]
    assert order.number in mail[0].subject


def test_abandoning_the_payment_releases_the_stock_and_keeps_the_basket(client, catalogue, zones):
    small = catalogue.tee.variants.get(sku="TEE-S")
    add_to_cart(client, small, 3)
    checkout_to_payment(client, zones["uk"].rates.first())
    order = latest_order()
    small.refresh_from_db()
    assert small.stock == 2

    order = abandon_on_demo(order)

    assert order.status == Order.Status.EXPIRED
    small.refresh_from_db()
    assert small.stock == 5
    assert order.lines.get().stock_state == OrderLine.StockState.RELEASED
    assert CartLine.objects.get().quantity == 3
    page = client.get(f"/shop/order/{order.token}/").content.decode()
    assert "No payment was made" in page


def test_holding_the_last_units_refreshes_the_cached_product_page_so_it_shows_sold_out(
    client, catalogue, zones, django_capture_on_commit_callbacks
):
    reader = Client()
    assert offers(reader, catalogue.tee)[0] == "miss"
    assert offers(reader, catalogue.tee) == (
        "hit",
        {"TEE-S": "InStock", "TEE-M": "LimitedAvailability", "TEE-L": "OutOfStock"},
    )
    add_to_cart(client, catalogue.tee.variants.get(sku="TEE-M"), 2)

    with django_capture_on_commit_callbacks(execute=True):
        checkout_to_payment(client, zones["uk"].rates.first())

    assert catalogue.tee.variants.get(sku="TEE-M").stock == 0
    assert offers(reader, catalogue.tee) == (
        "miss",
        {"TEE-S": "InStock", "TEE-M": "OutOfStock", "TEE-L": "OutOfStock"},
    )
