"""The shop in the reader's account (issue 12): a paid order joins the Reader of its address,
existing orders are linked on sign-in and by the data migration, "Your orders" shows the
reader's own orders only, and Order again refills the basket as far as stock and the
per-order cap allow, saying what it could not add. The order page reached by its token
keeps working for buyers who never sign in."""

import hashlib
import importlib
import secrets
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.test import Client
from django.utils import timezone

from masthead.core.ratelimit import mailbox
from masthead.readers import identity
from masthead.readers.models import Reader, ReaderSession
from masthead.shop import cart as carts
from masthead.shop import orders
from masthead.shop.models import Cart, CartLine, Order, OrderLine, Variant
from tests.shop.checkout_helpers import (
    add_to_cart,
    checkout_to_payment,
    latest_order,
    pay_on_demo,
)
from tests.shop.factories import make_default_zones, shop_settings
from tests.shop.order_helpers import make_order

pytestmark = pytest.mark.django_db

link_migration = importlib.import_module("masthead.shop.migrations.0006_order_reader")


def make_reader(address, name=""):
    return Reader.objects.create(email=address.lower(), mailbox=mailbox(address), name=name)


def signed_in(reader, client=None):
    """A browser signed in as ``reader`` (a ReaderSession whose key is in its cookie)."""
    client = client or Client()
    key = secrets.token_urlsafe(32)
    ReaderSession.objects.create(
        reader=reader,
        key_hash=hashlib.sha256(key.encode()).hexdigest(),
        expires_at=timezone.now() + timedelta(days=1),
    )
    client.cookies["reader_session"] = key
    return client


def variant(sku):
    return Variant.objects.get(sku=sku)


def set_stock(sku, stock):
    Variant.objects.filter(sku=sku).update(stock=stock)


def basket_of(response):
    """The basket named by the cookie a response set, as {sku: quantity}."""
    cart_id = response.cookies[carts.COOKIE_NAME].value.split(":", 1)[0]
    cart = Cart.objects.get(pk=cart_id)
    return {line.variant.sku: line.quantity for line in CartLine.objects.filter(cart=cart)}


@pytest.fixture
def zones(catalogue):
    return make_default_zones()


# --- Linking --------------------------------------------------------------------------------------


def test_a_paid_order_joins_the_reader_of_its_address(client, catalogue, zones):
    earlier = make_order([(variant("TEE-S"), 1)], paid=False, email="Sam.Reader+shop@Example.org")
    Order.objects.filter(pk=earlier.pk).update(status=Order.Status.EXPIRED)
    add_to_cart(client, variant("TEE-M"), 1)
    checkout_to_payment(
        client, zones["uk"].rates.get(name="Royal Mail 2nd Class"), email="sam.reader@example.org"
    )
    order = latest_order()
    assert order.reader is None

    order = pay_on_demo(order)

    reader = Reader.objects.get(mailbox="sam.reader@example.org")
    assert order.reader == reader
    assert reader.name == "Sam Reader"
    # Verifying the address linked the earlier order to the same mailbox as well.
    assert Order.objects.get(pk=earlier.pk).reader == reader
    assert Reader.objects.count() == 1


def test_an_unpaid_order_is_not_linked(client, catalogue, zones):
    add_to_cart(client, variant("TEE-M"), 1)
    checkout_to_payment(client, zones["uk"].rates.get(name="Royal Mail 2nd Class"))

    assert latest_order().reader is None
    assert not Reader.objects.exists()


def test_signing_in_links_the_orders_already_made_with_that_address(catalogue):
    mine = make_order([(variant("TEE-S"), 1)], email="Kim@example.org")
    theirs = make_order([(variant("TEE-S"), 1)], email="someone@example.org")

    reader = identity.verified("kim@example.org")

    assert Order.objects.get(pk=mine.pk).reader == reader
    assert Order.objects.get(pk=theirs.pk).reader is None


def test_the_data_migration_links_paid_orders_to_one_reader_per_mailbox(catalogue):
    tee = variant("TEE-S")
    first = make_order([(tee, 1)], email="Ann.Lee@gmail.com", full_name="Ann Lee")
    second = make_order([(tee, 1)], email="annlee+shop@gmail.com")
    unpaid_same = make_order([(tee, 1)], paid=False, email="ann.lee@gmail.com")
    unpaid_only = make_order([(tee, 1)], paid=False, email="never@example.org")
    known = make_reader("known@example.org", name="Known Reader")
    known_order = make_order([(tee, 1)], email="Known@example.org", full_name="Someone Else")
    erased = make_order([(tee, 1)], email="")
    Order.objects.update(reader=None)

    link_migration.link_paid_orders(django_apps, None)

    ann = Reader.objects.get(mailbox="annlee@gmail.com")
    assert (ann.email, ann.name) == ("ann.lee@gmail.com", "Ann Lee")
    linked = dict(Order.objects.values_list("pk", "reader_id"))
    assert linked[first.pk] == linked[second.pk] == linked[unpaid_same.pk] == ann.pk
    assert linked[known_order.pk] == known.pk
    assert linked[unpaid_only.pk] is None
    assert linked[erased.pk] is None
    assert Reader.objects.get(pk=known.pk).name == "Known Reader"
    assert Reader.objects.count() == 2

    link_migration.link_paid_orders(django_apps, None)

    assert Reader.objects.count() == 2
    assert dict(Order.objects.values_list("pk", "reader_id")) == linked


# --- Your orders ----------------------------------------------------------------------------------


@pytest.fixture
def reader(catalogue):
    return make_reader("sam@example.org", name="Sam Reader")


def test_your_orders_shows_the_readers_own_orders_with_safe_tracking_links(reader, catalogue):
    order = make_order([(variant("TEE-S"), 2), (variant("POSTER-A3"), 1)], reader=reader)
    lines = {line.sku: line.pk for line in order.lines.all()}
    orders.mark_dispatched(
        order, {lines["TEE-S"]: 1}, "Royal Mail", "RM123", "https://track.example/RM123"
    )
    orders.mark_dispatched(order, {lines["TEE-S"]: 1}, "Courier", "CX9", "")
    # Whatever reached the database, only an http(s) address becomes a link.
    order.shipments.filter(carrier="Courier").update(tracking_url="javascript:alert(1)")
    other = make_order([(variant("TEE-S"), 1)], email="other@example.org")
    other.reader = make_reader("other@example.org")
    other.save()
    expired = make_order([(variant("TEE-S"), 1)], paid=False, reader=reader)
    Order.objects.filter(pk=expired.pk).update(status=Order.Status.EXPIRED)

    response = signed_in(reader).get("/account/")

    assert response.status_code == 200
    page = response.content.decode()
    assert f"Order {order.number}" in page
    assert f"/shop/order/{order.token}/" in page
    assert "Ledger logo tee — S" in page and "Riverside map poster — A3" in page
    assert "2 \N{MULTIPLICATION SIGN} Ledger logo tee — S — £36.00" in page
    assert f"Total £{order.total // 100}.{order.total % 100:02d}" in page
    assert 'href="https://track.example/RM123"' in page
    assert "javascript:" not in page
    assert "(CX9)" in page
    assert other.number not in page
    assert expired.number not in page
    assert f"/shop/account/orders/{order.pk}/again/" in page
    assert "no-store" in response["Cache-Control"]


def test_a_reader_with_no_orders_is_pointed_to_the_shop(reader):
    page = signed_in(reader).get("/account/").content.decode()

    assert "You have no orders from the shop yet." in page


def test_the_order_page_still_works_for_a_buyer_who_never_signed_in(catalogue):
    order = make_order([(variant("TEE-S"), 1)], email="guest@example.org")

    response = Client().get(f"/shop/order/{order.token}/")

    assert response.status_code == 200
    assert "12 Quay Street" in response.content.decode()
    assert "guest@example.org" in response.content.decode()


# --- Order again ----------------------------------------------------------------------------------


def test_order_again_refills_the_basket_and_says_what_could_not_be_added(reader, catalogue):
    set_stock("TEE-L", 1)
    order = make_order(
        [
            (variant("TEE-S"), 2),
            (variant("TEE-M"), 2),
            (variant("TEE-OLD-M"), 1),
            (variant("POSTER-A3"), 1),
            (variant("TEE-L"), 1),
        ],
        reader=reader,
    )
    gone = order.lines.get(sku="TEE-L")
    OrderLine.objects.filter(pk=gone.pk).update(variant=None)
    set_stock("TEE-S", 5)
    set_stock("TEE-M", 1)
    client = signed_in(reader)

    response = client.post(f"/shop/account/orders/{order.pk}/again/")

    assert response.status_code == 302 and response["Location"] == "/shop/cart/"
    assert basket_of(response) == {"TEE-S": 2, "TEE-M": 1, "POSTER-A3": 1}
    page = client.get("/shop/cart/").content.decode()
    assert "Added to your basket from order" in page
    assert "Only 1 of the 2 of Ledger logo tee — M could be added" in page
    assert "Old masthead tee is no longer on sale." in page
    assert "Ledger logo tee — L is no longer sold." in page
    assert 'class="notice notice--warning"' in page
    assert Variant.objects.get(sku="TEE-S").stock == 5  # a basket holds nothing


def test_order_again_adds_to_the_basket_already_in_the_browser_within_the_cap(reader, catalogue):
    shop_settings(max_units_per_item=3)
    order = make_order([(variant("TEE-S"), 2)], reader=reader)
    set_stock("TEE-S", 5)
    client = signed_in(reader)
    add_to_cart(client, variant("TEE-S"), 2)
    basket = Cart.objects.get()

    response = client.post(f"/shop/account/orders/{order.pk}/again/")

    assert Cart.objects.count() == 1
    assert basket_of(response) == {"TEE-S": 3}
    assert CartLine.objects.get(cart=basket).quantity == 3
    page = client.get("/shop/cart/").content.decode()
    assert "Only 1 of the 2 of Ledger logo tee — S could be added" in page
    assert "at most 3" in page


def test_order_again_with_nothing_available_adds_nothing(reader, catalogue):
    order = make_order([(variant("TEE-M"), 2)], reader=reader)
    set_stock("TEE-M", 0)
    client = signed_in(reader)

    client.post(f"/shop/account/orders/{order.pk}/again/")

    assert not CartLine.objects.exists()
    page = client.get("/shop/cart/").content.decode()
    assert f"Nothing from order {order.number} could be added" in page
    assert "sold out" in page


def test_order_again_is_only_for_the_readers_own_orders(reader, catalogue):
    someone = make_reader("someone@example.org")
    theirs = make_order([(variant("TEE-S"), 1)], email="someone@example.org", reader=someone)

    response = signed_in(reader).post(f"/shop/account/orders/{theirs.pk}/again/")

    assert response.status_code == 404
    assert not CartLine.objects.exists()


def test_order_again_needs_a_signed_in_reader_a_post_and_a_csrf_token(reader, catalogue):
    order = make_order([(variant("TEE-S"), 1)], reader=reader)
    url = f"/shop/account/orders/{order.pk}/again/"

    anonymous = Client().post(url)
    assert anonymous.status_code == 302 and "/account/sign-in/" in anonymous["Location"]
    assert signed_in(reader).get(url).status_code == 405
    forged = signed_in(reader, Client(enforce_csrf_checks=True)).post(url)
    assert forged.status_code == 403
    assert not CartLine.objects.exists()


def test_order_again_refuses_while_the_shop_is_closed(reader, catalogue):
    shop_settings(is_open=False)
    order = make_order([(variant("TEE-S"), 1)], reader=reader)
    client = signed_in(reader)

    client.post(f"/shop/account/orders/{order.pk}/again/")

    assert not CartLine.objects.exists()
    assert "The shop is closed" in client.get("/shop/cart/").content.decode()
