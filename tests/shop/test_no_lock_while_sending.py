"""No database lock is held while a reader's order email (dispatch, refund, cancellation) is
delivered or while the payment provider is asked for a refund: a slow SMTP server or a slow
provider does not hold up a write from another request.

These commit for real (each thread has its own connection). On SQLite an open transaction
holds the database's only write lock, so any write from another thread would wait for it;
on PostgreSQL a locked order row makes a write to that order wait.
"""

import threading
import time

import pytest
from django.db import connections

from masthead.payments.providers import stripe as stripe_provider
from masthead.shop import orders
from masthead.shop.models import Order, OrderRefund, Shipment
from tests.conftest import SLOW_SMTP_SECONDS
from tests.payments import stripe_payloads
from tests.payments.conftest import RecordedHTTPClient
from tests.shop.order_helpers import line_for, make_order

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# How long the slow provider waits for the test to let it answer.
PROVIDER_WAIT_SECONDS = 6


class SlowStripe(RecordedHTTPClient):
    """Stripe's API answered from recorded responses, except that a refund waits until the
    test lets it answer (as a slow or distant provider would)."""

    def __init__(self):
        super().__init__({"POST /v1/refunds": (200, "refund.json")})
        self.asked = threading.Event()
        self.may_answer = threading.Event()

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        if url.endswith("/v1/refunds"):
            self.asked.set()
            self.may_answer.wait(PROVIDER_WAIT_SECONDS)
        return super().request(method, url, headers, post_data, _usage=_usage)


@pytest.fixture
def slow_stripe(settings, monkeypatch):
    settings.STRIPE_SECRET_KEY = "sk_test_123"
    settings.STRIPE_WEBHOOK_SECRET = stripe_payloads.WEBHOOK_SECRET
    settings.STRIPE_API_BASE = ""
    client = SlowStripe()
    monkeypatch.setattr(stripe_provider, "http_client", client)
    return client


class Worker(threading.Thread):
    """Runs ``work()`` on its own database connection, keeping what it returned or raised."""

    def __init__(self, work):
        super().__init__()
        self.work = work
        self.outcome = None

    def run(self):
        try:
            self.outcome = self.work()
        except Exception as error:  # the outcome is what the test checks
            self.outcome = error
        finally:
            connections.close_all()


def timed_write(order, phone):
    """An editor correcting the order's phone number; returns how long the write took."""
    started = time.monotonic()
    Order.objects.filter(pk=order.pk).update(phone=phone)
    return time.monotonic() - started


@pytest.fixture
def tee(catalogue):
    return catalogue.tee.variants.get(sku="TEE-S")


def test_another_order_can_be_saved_while_a_dispatch_email_is_delivered(tee, slow_mailbox):
    order = make_order([(tee, 2)])
    other = make_order([(tee, 1)], email="other@example.org")
    line = line_for(order, "TEE-S")
    dispatcher = Worker(lambda: orders.mark_dispatched(order, {line.pk: 2}, "Royal Mail"))
    dispatcher.start()
    try:
        assert slow_mailbox.delivering.wait(10)
        waited = timed_write(other, "01632 960001")
        still_delivering = dispatcher.is_alive()
    finally:
        dispatcher.join(SLOW_SMTP_SECONDS * 3)

    assert waited < 1
    assert still_delivering
    assert isinstance(dispatcher.outcome, Shipment)
    assert Order.objects.get(pk=other.pk).phone == "01632 960001"
    assert Order.objects.get(pk=order.pk).status == Order.Status.FULFILLED
    assert Shipment.objects.get().email_sent_at is not None
    assert [mail.rcpt_tos for mail in slow_mailbox.messages] == [["reader@example.org"]]


def test_the_order_can_be_saved_while_its_refund_email_is_delivered(tee, slow_mailbox):
    order = make_order([(tee, 2)])
    line = line_for(order, "TEE-S")
    refunder = Worker(lambda: orders.refund(order, lines={line.pk: 1}, reason="Wrong size"))
    refunder.start()
    try:
        assert slow_mailbox.delivering.wait(10)
        waited = timed_write(order, "01632 960002")
        still_delivering = refunder.is_alive()
    finally:
        refunder.join(SLOW_SMTP_SECONDS * 3)

    assert waited < 1
    assert still_delivering
    assert isinstance(refunder.outcome, OrderRefund)
    order.refresh_from_db()
    assert (order.phone, order.refunded_amount) == ("01632 960002", 1800)
    assert OrderRefund.objects.get().email_sent_at is not None
    assert [mail.subject for mail in slow_mailbox.messages] == [
        f"A refund on your order {order.number}"
    ]


def test_the_order_can_be_saved_while_its_cancellation_email_is_delivered(tee, slow_mailbox):
    order = make_order([(tee, 2)])
    canceller = Worker(lambda: orders.cancel(order, reason="Misprint"))
    canceller.start()
    try:
        assert slow_mailbox.delivering.wait(10)
        waited = timed_write(order, "01632 960004")
        still_delivering = canceller.is_alive()
    finally:
        canceller.join(SLOW_SMTP_SECONDS * 3)

    assert waited < 1
    assert still_delivering
    assert isinstance(canceller.outcome, Order)
    order.refresh_from_db()
    assert (order.status, order.phone, order.refunded_amount) == (
        Order.Status.CANCELLED,
        "01632 960004",
        order.total,
    )
    assert [mail.subject for mail in slow_mailbox.messages] == [
        f"Your order {order.number} has been cancelled"
    ]


def test_the_order_can_be_saved_while_the_provider_is_asked_for_a_refund(tee, slow_stripe):
    order = make_order([(tee, 2)])
    Order.objects.filter(pk=order.pk).update(provider="stripe", payment_id="pi_1")
    refunder = Worker(lambda: orders.refund(Order.objects.get(pk=order.pk), amount=500))
    refunder.start()
    try:
        assert slow_stripe.asked.wait(10)
        waited = timed_write(order, "01632 960003")
        still_asking = refunder.is_alive()
    finally:
        slow_stripe.may_answer.set()
        refunder.join(PROVIDER_WAIT_SECONDS * 2)

    assert waited < 1
    assert still_asking
    refund = OrderRefund.objects.get()
    assert refunder.outcome == refund
    assert (refund.amount, refund.status) == (500, OrderRefund.Status.REQUESTED)
    [asked] = slow_stripe.requests
    assert asked["params"] == {"payment_intent": "pi_1", "amount": "500"}
    assert asked["headers"]["Idempotency-Key"] == refund.idempotency_key
    assert Order.objects.get(pk=order.pk).phone == "01632 960003"
