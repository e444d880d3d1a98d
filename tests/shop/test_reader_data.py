"""The shop's share of a reader's data (issue 12): the export holds their orders with
addresses, lines, parcels, refunds, history and baskets; erasure leaves no trace of who
bought in any shop table while the accounts still add up and the order page still answers;
an erasure waits while a paid order still has items to send."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.utils import timezone

from masthead.core.ratelimit import mailbox
from masthead.readers import registry
from masthead.readers.models import Reader
from masthead.readers.registry import ErasureMustWait
from masthead.shop import emails, history, orders, reader_data, retention
from masthead.shop.models import (
    Cart,
    CartLine,
    Order,
    OrderEvent,
    OrderLine,
    OrderRefund,
    Shipment,
    Variant,
)
from tests.shop.order_helpers import make_order

pytestmark = pytest.mark.django_db

EMAIL = "Robin.Quill@example.org"
NAME = "Robin Quill"
STREET = "42 Heron Lane"
POSTCODE = "ZX9 8QP"
PHONE = "07700 900123"
IP = "203.0.113.77"
SECRETS = (EMAIL, NAME, STREET, POSTCODE, POSTCODE.replace(" ", ""), PHONE, IP, "Robin", "Quill")

BUYER = {
    "email": EMAIL,
    "full_name": NAME,
    "address_line1": STREET,
    "address_line2": "Second floor",
    "city": "Marshbury",
    "region": "Fenshire",
    "postcode": POSTCODE,
    "phone": PHONE,
    "country": "GB",
}


def variant(sku):
    return Variant.objects.get(sku=sku)


@pytest.fixture
def reader(catalogue):
    return Reader.objects.create(email=EMAIL.lower(), mailbox=mailbox(EMAIL), name=NAME)


@pytest.fixture
def bought(reader, catalogue):
    """A paid, dispatched and partly refunded order with an address, history and the basket
    it came from; an earlier checkout that expired unpaid; and a checkout still holding
    stock after its time to pay ran out."""
    basket = Cart.objects.create(discount_code="SPRING")
    CartLine.objects.create(
        cart=basket, variant=variant("POSTER-A3"), quantity=1, price_when_added=1200
    )
    order = make_order(
        [(variant("TEE-S"), 2), (variant("POSTER-A3"), 1)],
        reader=reader,
        cart=basket,
        client_network="a1b2c3",
        **{key: value for key, value in BUYER.items() if key != "email"},
        email=EMAIL,
    )
    lines = {line.sku: line for line in order.lines.all()}
    orders.mark_dispatched(
        order,
        {lines["TEE-S"].pk: 2, lines["POSTER-A3"].pk: 1},
        "Royal Mail",
        "RM998877GB",
        f"https://track.example/?code=RM998877GB&postcode={POSTCODE.replace(' ', '')}",
    )
    OrderRefund.objects.create(
        order=order,
        amount=1800,
        lines={str(lines["TEE-S"].pk): 1},
        reason=f"Torn seam, {NAME} sent a photo",
        idempotency_key="refund-test-1",
    )
    Order.objects.filter(pk=order.pk).update(refunded_amount=1800)
    history.record(order, OrderEvent.Kind.NOTE, text=f"{NAME} called from {IP} about {STREET}")
    history.record(
        order,
        OrderEvent.Kind.REFUND_REQUESTED,
        amount=1800,
        currency="GBP",
        items=[[1, "Ledger logo tee — S"]],
        restocked=False,
        reason=f"Asked by {EMAIL}",
    )
    expired = make_order([(variant("TEE-S"), 1)], paid=False, **BUYER)
    Order.objects.filter(pk=expired.pk).update(status=Order.Status.EXPIRED)
    # A checkout whose hold ran out, not yet released by the periodic job.
    holding = make_order([(variant("TEE-M"), 1)], paid=False, **BUYER)
    Order.objects.filter(pk=holding.pk).update(reserved_until=timezone.now() - timedelta(minutes=1))
    order.refresh_from_db()
    return order


def shop_text():
    """Every value of every column of every shop table, as text, lower case."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            if not table.startswith("shop_"):
                continue
            # A table name from the database's own list, quoted: nothing comes from outside.
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                found += [str(value).lower() for value in row if value is not None]
    return found


def sales_by_month():
    totals = {}
    for order in Order.objects.filter(paid_at__isnull=False):
        month = order.paid_at.strftime("%Y-%m")
        totals[month] = totals.get(month, 0) + order.total - order.refunded_amount
    return totals


def margin():
    now = timezone.now()
    return orders.margin_by_month(now - timedelta(days=400), now + timedelta(days=1), "GBP")


# --- Registration ---------------------------------------------------------------------------------


def test_the_shop_registers_its_share_covering_every_shop_model_with_buyer_data():
    share = {share.name: share for share in registry.personal_data()}["shop"]

    assert set(share.models) >= {
        "shop.Order",
        "shop.OrderLine",
        "shop.Shipment",
        "shop.OrderRefund",
        "shop.OrderEvent",
        "shop.Cart",
        "shop.CartLine",
    }
    assert "6 years" in str(share.kept)
    assert "shop" in {section.name for section in registry.account_sections()}


# --- Export ---------------------------------------------------------------------------------------


def test_the_export_holds_orders_with_addresses_lines_parcels_refunds_history_and_baskets(
    reader, bought
):
    someone = make_order([(variant("TEE-S"), 1)], email="someone@example.org")

    data = reader_data.export(reader)

    numbers = [row["number"] for row in data["orders"]]
    assert bought.number in numbers and someone.number not in numbers
    assert len(data["orders"]) == 3  # the paid order and both unpaid checkouts
    row = next(row for row in data["orders"] if row["number"] == bought.number)
    assert (row["email"], row["name"], row["address_line1"], row["postcode"], row["phone"]) == (
        EMAIL,
        NAME,
        STREET,
        POSTCODE,
        PHONE,
    )
    assert (row["total"], row["refunded"], row["currency"]) == (bought.total, 1800, "GBP")
    assert row["order_page"] == f"http://testserver/shop/order/{bought.token}/"
    assert {(line["order"], line["sku"], line["quantity"]) for line in data["order_lines"]} >= {
        (bought.number, "TEE-S", 2),
        (bought.number, "POSTER-A3", 1),
    }
    [parcel] = data["shipments"]
    assert parcel["tracking_number"] == "RM998877GB"
    assert "2 x Ledger logo tee — S" in parcel["items"]
    assert data["refunds"][0]["reason"] == f"Torn seam, {NAME} sent a photo"
    assert any(IP in event["what_happened"] for event in data["order_history"])
    assert data["baskets"][0]["discount_code"] == "SPRING"
    assert data["basket_lines"][0]["sku"] == "POSTER-A3"


def test_an_editor_finds_the_orders_of_someone_who_never_signed_in(catalogue):
    order = make_order([(variant("TEE-S"), 1)], email="Guest+shop@Example.org")
    unsaved = Reader(email="guest@example.org", mailbox=mailbox("guest@example.org"))

    data = reader_data.export(unsaved)

    assert [row["number"] for row in data["orders"]] == [order.number]


# --- Erasure --------------------------------------------------------------------------------------


def test_erasure_leaves_no_trace_of_the_buyer_and_the_accounts_still_add_up(
    reader, bought, django_capture_on_commit_callbacks
):
    someone = make_order([(variant("TEE-S"), 1)], email="someone@example.org")
    sales, margins = sales_by_month(), margin()
    held_stock = variant("TEE-M").stock
    text = shop_text()
    assert any(STREET.lower() in value for value in text)  # the dump can see them

    reader_data.prepare_erasure(reader)
    with django_capture_on_commit_callbacks(execute=True):
        reader_data.erase(reader)

    text = shop_text()
    for secret in SECRETS:
        assert not [value for value in text if secret.lower() in value], secret
    assert sales_by_month() == sales
    assert margin() == margins
    order = Order.objects.get(pk=bought.pk)
    assert order.reader is None and order.personal_data_erased_at is not None
    kept = (order.number, order.country, order.currency, order.total, order.refunded_amount)
    assert kept == (bought.number, "GB", "GBP", bought.total, 1800)
    assert (order.subtotal, order.shipping_total, order.vat_total) == (
        bought.subtotal,
        bought.shipping_total,
        bought.vat_total,
    )
    assert OrderLine.objects.filter(order=order).count() == 2
    assert OrderRefund.objects.get(order=order).amount == 1800
    assert Shipment.objects.get(order=order).carrier == "Royal Mail"
    assert not Cart.objects.exists() and not CartLine.objects.exists()
    # The checkout that was still holding stock ended and gave its item back.
    assert not Order.objects.filter(status=Order.Status.AWAITING_PAYMENT).exists()
    assert variant("TEE-M").stock == held_stock + 1
    # Someone else's order is untouched.
    assert Order.objects.get(pk=someone.pk).email == "someone@example.org"
    # The history still reads, without the particulars.
    messages = [event.message for event in order.events.all()]
    assert any("Refund of £18.00" in message for message in messages)

    response = Client().get(f"/shop/order/{order.token}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert order.number in page
    assert "were erased" in page
    for secret in SECRETS:
        assert secret not in page


def test_erasing_twice_changes_nothing_more(reader, bought):
    reader_data.erase(reader)
    first = shop_text()

    reader_data.erase(reader)

    assert shop_text() == first


def test_erasure_waits_while_a_paid_order_still_has_items_to_send(reader, catalogue):
    order = make_order([(variant("TEE-S"), 1)], reader=reader, email=EMAIL)

    with pytest.raises(ErasureMustWait) as waiting:
        reader_data.prepare_erasure(reader)

    assert order.number in str(waiting.value)
    assert Order.objects.get(pk=order.pk).email == EMAIL
    orders.mark_dispatched(order, {order.lines.get().pk: 1}, "Royal Mail")
    reader_data.prepare_erasure(reader)


def test_erasure_waits_while_a_payment_may_still_arrive(reader, catalogue):
    checkout = make_order([(variant("TEE-S"), 1)], paid=False, email=EMAIL)
    Order.objects.filter(pk=checkout.pk).update(
        reserved_until=timezone.now() + timedelta(minutes=20)
    )

    with pytest.raises(ErasureMustWait, match=checkout.number):
        reader_data.prepare_erasure(reader)

    Order.objects.filter(pk=checkout.pk).update(
        reserved_until=timezone.now() - timedelta(minutes=1)
    )
    reader_data.prepare_erasure(reader)


def test_an_erased_order_makes_no_reader_and_gets_no_email(reader, catalogue, mailoutbox):
    order = make_order([(variant("TEE-S"), 1)], reader=reader, email=EMAIL)
    orders.mark_dispatched(order, {order.lines.get().pk: 1}, "Royal Mail")
    reader_data.erase(reader)
    order.refresh_from_db()

    assert reader_data.link_paid_order(order) is None
    assert not Reader.objects.exclude(pk=reader.pk).exists()
    assert emails.send_confirmation(order.pk) is True  # claimed, but there is no one to send to
    assert mailoutbox == []


# --- Retention ------------------------------------------------------------------------------------


def test_paid_orders_lose_the_buyers_details_after_the_retention_years(catalogue, settings):
    settings.SHOP_ORDER_ADDRESS_YEARS = 6
    now = timezone.now()
    old = make_order([(variant("TEE-S"), 1)], **BUYER)
    history.record(old, OrderEvent.Kind.NOTE, text=f"Call {NAME} on {PHONE}")
    recent = make_order([(variant("TEE-S"), 1)], **BUYER)
    Order.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=6 * 366))
    Order.objects.filter(pk=recent.pk).update(created_at=now - timedelta(days=5 * 365))

    assert retention.anonymise_old_orders(now) == 1
    assert retention.anonymise_old_orders(now) == 0

    old = Order.objects.get(pk=old.pk)
    assert (old.email, old.full_name, old.address_line1, old.postcode, old.phone) == ("",) * 5
    assert (old.country, old.total, old.personal_data_erased_at) == ("GB", 2150, now)
    assert [event.parameters["text"] for event in old.events.all()] == [""]
    assert Order.objects.get(pk=recent.pk).email == EMAIL


def test_a_year_back_from_the_29th_of_february_is_the_28th():
    leap_day = timezone.now().replace(year=2028, month=2, day=29)

    assert retention.years_before(leap_day, 6).date().isoformat() == "2022-02-28"


def test_editors_see_that_an_order_was_erased_and_cannot_resend_its_confirmation(
    reader, bought, client
):
    client.force_login(
        get_user_model().objects.create_superuser("boss", "boss@example.org", "pw-123456")
    )
    reader_data.erase(reader)

    page = client.get(f"/admin/orders/inspect/{bought.pk}/").content.decode()

    assert "The buyer's details were erased on" in page
    for secret in (EMAIL, NAME, STREET, POSTCODE, PHONE):
        assert secret not in page
    with pytest.raises(orders.OrderActionError, match="erased"):
        orders.resend_confirmation(Order.objects.get(pk=bought.pk))
