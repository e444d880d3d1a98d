"""Refunds are claimed and committed before the provider is asked: a refusal gives the claim
back, a claim being asked is not asked twice, one whose asker died is asked again with the
same idempotency key, and an order is not cancelled while one of its refunds is in flight."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from masthead.payments.models import DemoPayment
from masthead.payments.providers import stripe as stripe_provider
from masthead.shop import orders, refunds
from masthead.shop.models import Order, OrderRefund
from tests.payments import stripe_payloads
from tests.payments.conftest import RecordedHTTPClient
from tests.shop.order_helpers import history, line_for, make_order, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def tee(catalogue):
    return catalogue.tee.variants.get(sku="TEE-S")


def claim_and_die(order, **plan):
    """What a refund leaves behind when its process dies right after the claim committed."""
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        record = refunds.claim(
            locked,
            orders.plan_refund(locked, **plan),
            restock=plan.get("lines") is not None,
            reason="Wrong size",
        )
    return record


def long_ago(record):
    OrderRefund.objects.filter(pk=record.pk).update(
        created_at=timezone.now() - refunds.LEASE - timedelta(minutes=1)
    )


def test_a_refused_refund_gives_the_claim_back_and_says_why(tee):
    order = make_order([(tee, 2)])
    line = line_for(order, "TEE-S")
    DemoPayment.objects.filter(pk=order.payment_id).delete()

    with pytest.raises(orders.OrderActionError, match="There is no such payment"):
        orders.refund(order, lines={line.pk: 1}, restock=True)

    assert not OrderRefund.objects.exists()
    assert line_for(order, "TEE-S").quantity_refunded == 0
    assert stock(tee) == 3
    assert orders.refundable_amount(Order.objects.get(pk=order.pk)) == order.total
    assert history(order) == [
        "Refund of £18.00 asked of the payment provider for 1 x Ledger logo tee — S, items "
        "back in stock.",
        "The payment provider refused the refund of £18.00: There is no such payment.",
    ]


def test_a_claim_takes_its_units_and_amount_before_the_provider_is_asked(tee):
    order = make_order([(tee, 2)])
    line = line_for(order, "TEE-S")

    record = claim_and_die(order, lines={line.pk: 2})

    assert record.status == OrderRefund.Status.PENDING
    assert line_for(order, "TEE-S").quantity_refunded == 2
    assert orders.refundable_amount(Order.objects.get(pk=order.pk)) == 0
    with pytest.raises(orders.OrderActionError, match="refunded already"):
        orders.refund(order, lines={line.pk: 1})
    assert DemoPayment.objects.get(pk=order.payment_id).amount_refunded == 0


def test_a_claim_being_asked_is_not_asked_again(tee):
    order = make_order([(tee, 2)])
    record = claim_and_die(order, amount=500)
    OrderRefund.objects.filter(pk=record.pk).update(
        lease_until=timezone.now() + timedelta(minutes=5)
    )
    long_ago(record)

    assert refunds.request(record.pk) == refunds.RefundOutcome(None)
    assert orders.resume_stale_refunds() == 0
    assert DemoPayment.objects.get(pk=order.payment_id).amount_refunded == 0
    assert OrderRefund.objects.get().status == OrderRefund.Status.PENDING


def test_a_fresh_claim_is_left_to_its_asker(tee):
    order = make_order([(tee, 2)])
    claim_and_die(order, amount=500)

    assert orders.resume_stale_refunds() == 0
    assert DemoPayment.objects.get(pk=order.payment_id).amount_refunded == 0


def test_a_claim_whose_asker_died_is_asked_again_and_completed(
    tee, smtp_mailbox, django_capture_on_commit_callbacks
):
    order = make_order([(tee, 2)])
    line = line_for(order, "TEE-S")
    record = claim_and_die(order, lines={line.pk: 1})
    long_ago(record)

    with django_capture_on_commit_callbacks(execute=True):
        assert orders.resume_stale_refunds() == 1

    record.refresh_from_db()
    assert (record.status, record.lease_until) == (OrderRefund.Status.REQUESTED, None)
    assert DemoPayment.objects.get(pk=order.payment_id).amount_refunded == 1800
    assert Order.objects.get(pk=order.pk).refunded_amount == 1800
    assert stock(tee) == 4
    [mail] = smtp_mailbox.wait_for(1)
    assert "We have refunded £18.00" in mail.text()
    assert orders.resume_stale_refunds() == 0


def test_a_claim_asked_again_carries_its_own_idempotency_key(tee, settings, monkeypatch):
    settings.STRIPE_SECRET_KEY = "sk_test_123"
    settings.STRIPE_WEBHOOK_SECRET = stripe_payloads.WEBHOOK_SECRET
    settings.STRIPE_API_BASE = ""
    stripe_api = RecordedHTTPClient({"POST /v1/refunds": (200, "refund.json")})
    monkeypatch.setattr(stripe_provider, "http_client", stripe_api)
    order = make_order([(tee, 2)])
    Order.objects.filter(pk=order.pk).update(provider="stripe", payment_id="pi_1")
    record = claim_and_die(Order.objects.get(pk=order.pk), amount=500)
    OrderRefund.objects.filter(pk=record.pk).update(
        lease_until=timezone.now() - timedelta(seconds=1)
    )

    assert orders.resume_stale_refunds() == 1

    [asked] = stripe_api.requests
    assert asked["headers"]["Idempotency-Key"] == record.idempotency_key
    assert asked["params"] == {"payment_intent": "pi_1", "amount": "500"}
    assert OrderRefund.objects.get().status == OrderRefund.Status.REQUESTED


def test_an_order_is_not_cancelled_while_one_of_its_refunds_is_in_flight(tee):
    order = make_order([(tee, 2)])
    claim_and_die(order, amount=500)

    with pytest.raises(orders.OrderActionError, match="being made right now"):
        orders.cancel(order, reason="Misprint")

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert OrderRefund.objects.count() == 1
    assert stock(tee) == 3


def test_a_cancellation_whose_asker_died_is_completed_with_one_email(
    tee, smtp_mailbox, django_capture_on_commit_callbacks
):
    order = make_order([(tee, 2)])
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        record = refunds.claim(
            locked, orders.plan_refund(locked), restock=False, reason="", cancels_order=True
        )
    long_ago(record)

    with django_capture_on_commit_callbacks(execute=True):
        orders.resume_stale_refunds()

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert order.refunded_amount == order.total
    assert stock(tee) == 5
    [mail] = smtp_mailbox.wait_for(1)
    assert "cancelled" in mail.subject
    assert f"We have refunded £{order.total / 100:.2f}" in mail.text()
    assert history(order)[-1] == "Cancelled."
