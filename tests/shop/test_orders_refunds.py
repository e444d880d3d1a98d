"""Refunds and cancellations through the demo payment provider: the provider's refund event
comes back through the real webhook path, sets what was refunded and emails the reader
once; bad requests are refused with nothing recorded."""

import re

import pytest

from masthead.payments.models import DemoPayment
from masthead.shop import emails, orders
from masthead.shop.models import DiscountCode, Order, OrderRefund
from tests.shop.factories import make_code
from tests.shop.order_helpers import line_for, make_order, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def tee_s(catalogue):
    return catalogue.tee.variants.get(sku="TEE-S")


@pytest.fixture
def tee_m(catalogue):
    return catalogue.tee.variants.get(sku="TEE-M")


def demo_refunded(order):
    return DemoPayment.objects.get(pk=order.payment_id).amount_refunded


def test_a_per_item_refund_gives_back_the_units_share_after_discount_and_emails_once(
    tee_s, tee_m, smtp_mailbox, django_capture_on_commit_callbacks
):
    # £36 + £18 of tees, £5.40 off shared £3.60 / £1.80, £3.50 shipping: £52.10.
    order = make_order([(tee_s, 2), (tee_m, 1)], discount=540)
    s_line = line_for(order, "TEE-S")

    with django_capture_on_commit_callbacks(execute=True):
        record = orders.refund(order, lines={s_line.pk: 1}, restock=True, reason="Wrong size")

    assert record.amount == 1620  # (3600 - 360) / 2
    assert demo_refunded(order) == 1620
    order.refresh_from_db()
    assert (order.refunded_amount, order.status) == (1620, Order.Status.PARTIALLY_REFUNDED)
    s_line.refresh_from_db()
    assert s_line.quantity_refunded == 1
    assert stock(tee_s) == 4  # 5 - 2 sold + 1 back
    [mail] = smtp_mailbox.wait_for(1)
    assert order.number in mail.subject
    assert "We have refunded £16.20" in mail.text()
    assert "1 x Ledger logo tee (S)" in mail.text()
    assert "5 to 10 working days" in mail.text()

    # The same running total delivered again (a replay, or Stripe's second event) changes
    # nothing and sends nothing.
    with django_capture_on_commit_callbacks(execute=True):
        orders.apply_refund_event(order, 1620, False)
    assert emails.send_refund(order.pk) is False
    assert len(smtp_mailbox.messages) == 1


def test_refunding_every_unit_one_by_one_adds_up_to_the_total_with_shipping(
    tee_s, django_capture_on_commit_callbacks
):
    # £54 of tees with £1 off: 5300 over three units does not divide evenly.
    order = make_order([(tee_s, 3)], discount=100)
    line = line_for(order, "TEE-S")

    with django_capture_on_commit_callbacks(execute=True):
        amounts = [orders.refund(order, lines={line.pk: 1}).amount for _ in range(3)]

    assert amounts == [1766, 1767, 1767 + 350]
    order.refresh_from_db()
    assert (order.refunded_amount, order.status) == (order.total, Order.Status.REFUNDED)


def test_a_whole_order_refund_refunds_what_is_left(tee_s, django_capture_on_commit_callbacks):
    order = make_order([(tee_s, 2)])

    with django_capture_on_commit_callbacks(execute=True):
        orders.refund(order, amount=500)
        record = orders.refund(order)

    assert record.amount == order.total - 500
    order.refresh_from_db()
    assert order.refunded_amount == order.total == demo_refunded(order)
    assert order.status == Order.Status.REFUNDED
    assert line_for(order, "TEE-S").quantity_refunded == 2


@pytest.mark.parametrize(
    "lines, amount, message",
    [
        (None, 0, "A refund must be between £0.01 and £39.50."),
        (None, 3951, "A refund must be between £0.01 and £39.50."),
        (None, "10", "whole number"),
        ({"S": 3}, None, "Only 2 of Ledger logo tee — S can be refunded."),
        ({"S": 0}, None, "Choose at least one item."),
        ({424242: 1}, None, "That item is not part of this order."),
        ({"S": True}, None, "Quantities must be whole numbers."),
    ],
)
def test_a_refund_that_does_not_add_up_is_refused_and_records_nothing(
    tee_s, lines, amount, message
):
    order = make_order([(tee_s, 2)])
    line = line_for(order, "TEE-S")
    if lines is not None:
        lines = {line.pk if key == "S" else key: value for key, value in lines.items()}

    with pytest.raises(orders.OrderActionError, match=re.escape(message)):
        orders.refund(order, lines=lines, amount=amount)

    assert not OrderRefund.objects.exists()
    assert demo_refunded(order) == 0
    assert line_for(order, "TEE-S").quantity_refunded == 0


def test_units_already_refunded_cannot_be_refunded_again(tee_s, django_capture_on_commit_callbacks):
    order = make_order([(tee_s, 1)])
    line = line_for(order, "TEE-S")
    with django_capture_on_commit_callbacks(execute=True):
        orders.refund(order, lines={line.pk: 1})

    with pytest.raises(orders.OrderActionError):
        orders.refund(order, lines={line.pk: 1})
    assert OrderRefund.objects.count() == 1


def test_an_unpaid_order_cannot_be_refunded(tee_s):
    order = make_order([(tee_s, 1)], paid=False)

    with pytest.raises(orders.OrderActionError, match="Only a paid order can be refunded"):
        orders.refund(order)
    assert not OrderRefund.objects.exists()


def test_a_refund_the_provider_refuses_records_nothing(tee_s):
    order = make_order([(tee_s, 2)])
    line = line_for(order, "TEE-S")
    DemoPayment.objects.filter(pk=order.payment_id).delete()

    with pytest.raises(orders.OrderActionError, match="The payment provider refused the refund"):
        orders.refund(order, lines={line.pk: 1}, restock=True)

    assert not OrderRefund.objects.exists()
    assert line_for(order, "TEE-S").quantity_refunded == 0
    assert stock(tee_s) == 3


def test_a_refund_made_in_the_providers_dashboard_is_recorded_and_announced(
    tee_s, smtp_mailbox, django_capture_on_commit_callbacks
):
    order = make_order([(tee_s, 1)])

    with django_capture_on_commit_callbacks(execute=True):
        orders.apply_refund_event(order, 700, False)
        orders.apply_refund_event(order, 500, False)  # an older event, arriving late

    order.refresh_from_db()
    assert (order.refunded_amount, order.status) == (700, Order.Status.PARTIALLY_REFUNDED)
    [record] = OrderRefund.objects.all()
    assert (record.amount, record.reason) == (700, "Refunded at the payment provider")
    [mail] = smtp_mailbox.wait_for(1)
    assert "We have refunded £7.00" in mail.text()


def test_cancelling_an_unpaid_order_releases_its_stock_and_discount_and_tells_the_reader(
    tee_s, smtp_mailbox, django_capture_on_commit_callbacks
):
    code = make_code("HELD")
    DiscountCode.objects.filter(pk=code.pk).update(times_used=1)
    order = make_order([(tee_s, 2)], paid=False, discount_code=code, discount=360)

    with django_capture_on_commit_callbacks(execute=True):
        orders.cancel(order, reason="We found a misprint on this batch.")

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED and order.cancelled_at is not None
    assert stock(tee_s) == 5
    assert DiscountCode.objects.get(pk=code.pk).times_used == 0
    [mail] = smtp_mailbox.wait_for(1)
    assert order.number in mail.subject
    assert "We found a misprint on this batch." in mail.text()
    assert "No payment was taken" in mail.text()


def test_cancelling_a_paid_order_refunds_it_puts_stock_back_and_sends_one_email(
    tee_s, smtp_mailbox, django_capture_on_commit_callbacks
):
    code = make_code("USED")
    DiscountCode.objects.filter(pk=code.pk).update(times_used=1)
    order = make_order([(tee_s, 2)], discount_code=code, discount=360)

    with django_capture_on_commit_callbacks(execute=True):
        orders.cancel(order, reason=str(orders.SOLD_OUT_REASON))
        orders.cancel(order)

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert order.refunded_amount == order.total == demo_refunded(order)
    assert stock(tee_s) == 5
    assert DiscountCode.objects.get(pk=code.pk).times_used == 0
    [mail] = smtp_mailbox.wait_for(1)
    assert "sold out" in mail.text()
    assert f"We have refunded £{order.total / 100:.2f}" in mail.text()
    assert len(smtp_mailbox.messages) == 1


def test_an_order_with_items_sent_cannot_be_cancelled(tee_s):
    order = make_order([(tee_s, 2)])
    orders.mark_dispatched(order, {line_for(order, "TEE-S").pk: 1}, "Royal Mail")

    with pytest.raises(orders.OrderActionError, match="refund per item"):
        orders.cancel(order)

    order.refresh_from_db()
    assert order.status == Order.Status.PARTIALLY_FULFILLED
    assert demo_refunded(order) == 0
