"""Order services: numbers, the confirmation after payment, dispatch, stock released once,
and the emails each sends (through a real SMTP server)."""

import re

import pytest

from masthead.shop import emails, orders
from masthead.shop.models import DiscountCode, Order, OrderLine, Shipment
from masthead.shop.stock import release_stock
from tests.shop.factories import make_code, shop_settings
from tests.shop.order_helpers import history, line_for, make_order, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def tee_s(catalogue):
    return catalogue.tee.variants.get(sku="TEE-S")


@pytest.fixture
def tee_m(catalogue):
    return catalogue.tee.variants.get(sku="TEE-M")


@pytest.fixture
def poster(catalogue):
    return catalogue.poster.variants.get()


def test_an_order_number_carries_the_shops_prefix_and_the_primary_key(tee_s):
    shop_settings(order_prefix="RL")

    order = make_order([(tee_s, 1)])

    assert order.number == f"RL-{10000 + order.pk}"


def test_payment_sends_one_confirmation_with_everything_the_reader_needs(
    tee_s, tee_m, smtp_mailbox, django_capture_on_commit_callbacks
):
    shop_settings(dispatch_note="Packed by volunteers on Tuesdays.", vat_registered=True)
    code = make_code("RIVER10")
    order = make_order([(tee_s, 2), (tee_m, 1)], discount=540, vat_total=860, discount_code=code)

    with django_capture_on_commit_callbacks(execute=True):
        orders.on_paid(order)
    [mail] = smtp_mailbox.wait_for(1)

    assert order.number in mail.subject
    assert mail.rcpt_tos == ["reader@example.org"]
    assert mail.message["Auto-Submitted"] == "auto-generated"
    text = mail.text()
    assert "2 x Ledger logo tee (S) [TEE-S]: £36.00" in text
    assert "1 x Ledger logo tee (M) [TEE-M]: £18.00" in text
    assert "Discount (RIVER10): -£5.40" in text
    assert "Shipping: £3.50" in text
    assert "Total paid: £52.10" in text
    assert "Including VAT: £8.60" in text
    assert "12 Quay Street" in text and "RV1 2AB" in text
    assert "Royal Mail 2nd Class" in text
    assert "Packed by volunteers on Tuesdays." in text
    assert f"http://testserver/shop/order/{order.token}/" in text
    html = mail.html()
    assert f"http://testserver/shop/order/{order.token}/" in html
    assert "£52.10" in html and "Ledger logo tee" in html
    order.refresh_from_db()
    assert order.confirmation_sent_at is not None
    assert history(order) == [f"Paid £52.10 (demo {order.payment_id})."]

    assert emails.send_confirmation(order.pk) is False
    assert len(smtp_mailbox.messages) == 1


def test_an_order_with_print_on_demand_lines_is_sent_to_printful_after_payment(
    poster, settings, django_capture_on_commit_callbacks
):
    settings.PRINTFUL_API_KEY = ""
    order = make_order([(poster, 1)])

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        orders.on_paid(order)

    # Confirmation and print-on-demand submission, both after the commit.
    assert len(callbacks) == 2
    assert history(order)[-1] == "Printful is not configured: send the printed items by hand."


def test_dispatch_in_two_parcels_emails_each_and_finishes_the_order(
    tee_s, tee_m, smtp_mailbox, django_capture_on_commit_callbacks
):
    order = make_order([(tee_s, 2), (tee_m, 1)])
    s_line, m_line = line_for(order, "TEE-S"), line_for(order, "TEE-M")

    with django_capture_on_commit_callbacks(execute=True):
        first = orders.mark_dispatched(
            order,
            {s_line.pk: 1},
            "Royal Mail",
            "RM123456789GB",
            "https://www.royalmail.com/track-your-item#/tracking-results/RM123456789GB",
        )
    order.refresh_from_db()
    assert order.status == Order.Status.PARTIALLY_FULFILLED
    [mail] = smtp_mailbox.wait_for(1)
    assert order.number in mail.subject
    assert "1 x Ledger logo tee (S)" in mail.text()
    assert "Royal Mail" in mail.text() and "RM123456789GB" in mail.text()
    assert "another parcel" in mail.text()
    assert "https://www.royalmail.com/track-your-item" in mail.html()

    with django_capture_on_commit_callbacks(execute=True):
        orders.mark_dispatched(order, {s_line.pk: 1, m_line.pk: 1}, "Evri", "H00ABC")
    order.refresh_from_db()
    assert order.status == Order.Status.FULFILLED and order.fulfilled_at is not None
    assert len(smtp_mailbox.wait_for(2)) == 2
    assert [line.quantity_dispatched for line in order.lines.all()] == [2, 1]
    assert emails.send_dispatch(first.pk) is False


@pytest.mark.parametrize(
    "quantities, carrier, message",
    [
        ({"S": 3}, "Royal Mail", "Only 2 of Ledger logo tee — S can be dispatched."),
        ({"S": -1}, "Royal Mail", "Quantities cannot be negative."),
        ({"S": "two"}, "Royal Mail", "Quantities must be whole numbers."),
        ({"S": 0}, "Royal Mail", "Choose at least one item."),
        ({999999: 1}, "Royal Mail", "That item is not part of this order."),
        ({"S": 1}, "  ", "Say which carrier took the parcel."),
    ],
)
def test_a_dispatch_that_does_not_add_up_is_refused_and_changes_nothing(
    tee_s, quantities, carrier, message
):
    order = make_order([(tee_s, 2)])
    line = line_for(order, "TEE-S")
    quantities = {line.pk if key == "S" else key: value for key, value in quantities.items()}

    with pytest.raises(orders.OrderActionError, match=re.escape(message)):
        orders.mark_dispatched(order, quantities, carrier)

    line.refresh_from_db()
    order.refresh_from_db()
    assert (line.quantity_dispatched, order.status) == (0, Order.Status.PAID)
    assert not Shipment.objects.exists()


def test_another_orders_line_or_an_unpaid_order_cannot_be_dispatched(tee_s, tee_m):
    order = make_order([(tee_s, 1)])
    other = make_order([(tee_m, 1)])
    unpaid = make_order([(tee_s, 1)], paid=False)

    with pytest.raises(orders.OrderActionError, match="not part of this order"):
        orders.mark_dispatched(order, {line_for(other, "TEE-M").pk: 1}, "Royal Mail")
    with pytest.raises(orders.OrderActionError, match="awaiting payment cannot be dispatched"):
        orders.mark_dispatched(unpaid, {line_for(unpaid, "TEE-S").pk: 1}, "Royal Mail")
    with pytest.raises(orders.OrderActionError, match="https"):
        orders.mark_dispatched(
            order, {line_for(order, "TEE-S").pk: 1}, "Royal Mail", "X", "javascript:alert(1)"
        )
    assert not Shipment.objects.exists()


def test_releasing_an_unpaid_orders_stock_puts_units_and_the_discount_use_back_once(tee_s):
    code = make_code("ONCE", usage_limit=5)
    DiscountCode.objects.filter(pk=code.pk).update(times_used=1)
    order = make_order([(tee_s, 3)], paid=False, discount_code=code, discount=540)
    assert stock(tee_s) == 2

    assert release_stock(order) == 3
    assert release_stock(order) == 0

    assert stock(tee_s) == 5
    assert line_for(order, "TEE-S").stock_state == OrderLine.StockState.RELEASED
    code.refresh_from_db()
    assert code.times_used == 0
    assert Order.objects.get(pk=order.pk).discount_state == "released"


def test_print_on_demand_lines_have_no_stock_to_release(poster):
    order = make_order([(poster, 2)], paid=False)

    assert release_stock(order) == 0
    assert line_for(order, "POSTER-A3").stock_state == OrderLine.StockState.UNTRACKED


def test_the_fulfilment_queue_holds_paid_orders_with_outlet_items_to_send_oldest_first(
    tee_s, tee_m, poster
):
    older = make_order([(tee_s, 1)])
    newer = make_order([(tee_m, 1), (poster, 1)])
    make_order([(poster, 1)])  # printed and posted by Printful: not the outlet's to pack
    make_order([(tee_s, 1)], paid=False)
    done = make_order([(tee_s, 1)])
    orders.mark_dispatched(done, {line_for(done, "TEE-S").pk: 1}, "Royal Mail")

    assert list(orders.fulfilment_queue()) == [older, newer]
