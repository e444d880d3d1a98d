"""Giving money back through the payment provider with no database lock held while the
provider is called: claim, ask, then record.

1. **Claim** (:func:`claim`, inside the caller's transaction with the order's row locked):
   an OrderRefund is created ``pending`` and its units are counted as refunded at once, so
   a second click, another worker or a cancellation racing it finds them gone; the history
   says the refund is being asked. The caller commits.
2. **Ask** (:func:`request`, outside any transaction): take the claim's lease, then ask the
   provider with the claim's idempotency key.
3. **Record**, in a short transaction of its own: the refund becomes ``requested``, its
   units go back on sale when "restock" was ticked, and the refund of an order being
   cancelled completes the cancellation (status, stock, discount use, history). If the
   provider refused, the claim is given back instead (the record removed, its units
   refundable again) and the history says why.

The money's return is confirmed later by the provider's refund event
(``orders.apply_refund_event``), which may arrive while step 2 is still waiting for its
answer; it counts the pending claim as asked for, so nothing is taken for a refund made
outside Masthead.

A claim whose asker died between steps 1 and 3 keeps its lease for LEASE only; then
:func:`stale_claims` offers it to be asked again with the same idempotency key, which the
provider answers with the refund it already made rather than a second one.
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from masthead.payments import services as payments
from masthead.payments.providers.base import PaymentProviderError
from masthead.shop import history, stock
from masthead.shop.models import Order, OrderEvent, OrderLine, OrderRefund

# Longer than any provider call takes to answer or time out.
LEASE = timedelta(minutes=10)


@dataclass(frozen=True)
class RefundPlan:
    """What one refund gives back: money (minor units), and units per order line."""

    amount: int
    lines: dict


@dataclass(frozen=True)
class RefundOutcome:
    """What asking for a claimed refund came to: ``requested`` when the provider took it;
    ``error`` (the provider's reason) when it refused and the claim was given back;
    neither when someone else holds the claim or has already asked. ``cancelled`` says the
    refund completed its order's cancellation."""

    refund: OrderRefund | None
    requested: bool = False
    error: str = ""
    cancelled: bool = False


def claim(order, plan, *, restock, reason, user=None, cancels_order=False):
    """Claim a planned refund of ``order`` (locked by the caller, in its transaction); see
    the module docstring. Returns the pending OrderRefund to hand to :func:`request` once
    the transaction has committed."""
    refund = OrderRefund.objects.create(
        order=order,
        amount=plan.amount,
        lines={str(line.pk): quantity for line, quantity in plan.lines.items()},
        reason=reason[:300],
        restocked=bool(restock and plan.lines),
        cancels_order=cancels_order,
        status=OrderRefund.Status.PENDING,
        idempotency_key=f"order-{order.pk}-refund-{uuid.uuid4().hex}",
        created_by=user if user is not None and user.is_authenticated else None,
    )
    for line, quantity in plan.lines.items():
        OrderLine.objects.filter(pk=line.pk).update(
            quantity_refunded=F("quantity_refunded") + quantity
        )
    history.record(
        order,
        OrderEvent.Kind.REFUND_REQUESTED,
        user=user,
        amount=plan.amount,
        currency=order.currency,
        items=[[quantity, line.item_name] for line, quantity in plan.lines.items()],
        restocked=refund.restocked,
        reason=refund.reason,
        cancels_order=cancels_order,
    )
    return refund


def _take_lease(refund_id):
    now = timezone.now()
    return (
        OrderRefund.objects.filter(pk=refund_id, status=OrderRefund.Status.PENDING)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + LEASE)
    )


def request(refund_id):
    """Ask the provider for a claimed refund and record the answer (steps 2 and 3 of the
    module docstring). Must be called with no transaction open. Returns a RefundOutcome."""
    if not _take_lease(refund_id):
        return RefundOutcome(None)
    refund = OrderRefund.objects.select_related("order").get(pk=refund_id)
    order = refund.order
    try:
        payments.refund(
            order.payment_id,
            refund.amount,
            currency=order.currency,
            provider_name=order.provider or None,
            idempotency_key=refund.idempotency_key,
        )
    except (PaymentProviderError, payments.PaymentsUnavailable, payments.InvalidCheckout) as error:
        _give_back(refund, str(error))
        return RefundOutcome(refund, error=str(error))
    return RefundOutcome(refund, requested=True, cancelled=_record(refund))


def _record(refund):
    """The provider took the refund: mark it asked, put its units back on sale if asked
    to, and complete the cancellation it belongs to. True when that cancelled the order."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=refund.order_id)
        moved = OrderRefund.objects.filter(pk=refund.pk, status=OrderRefund.Status.PENDING).update(
            status=OrderRefund.Status.REQUESTED, lease_until=None
        )
        if not moved:
            return False
        if refund.restocked:
            for line in OrderLine.objects.filter(order=order, pk__in=list(refund.lines)):
                stock.put_back(line, int(refund.lines[str(line.pk)]))
        if refund.cancels_order:
            return complete_cancellation(order, reason=refund.reason, user=refund.created_by)
    return False


def _give_back(refund, error):
    """The provider refused: remove the claim and make its units refundable again."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=refund.order_id)
        removed, _ = OrderRefund.objects.filter(
            pk=refund.pk, status=OrderRefund.Status.PENDING
        ).delete()
        if not removed:
            return
        for line_id, quantity in refund.lines.items():
            OrderLine.objects.filter(pk=int(line_id)).update(
                quantity_refunded=F("quantity_refunded") - quantity
            )
        history.record(
            order,
            OrderEvent.Kind.REFUND_REFUSED,
            amount=refund.amount,
            currency=order.currency,
            error=error,
        )


def complete_cancellation(order, *, reason, user=None):
    """Cancel ``order`` (locked by the caller) once what it was paid is being refunded, or
    when nothing was paid: its units and discount use go back, and the history says why.
    False when it was already cancelled."""
    if order.status == Order.Status.CANCELLED:
        return False
    order.status = Order.Status.CANCELLED
    order.cancelled_at = timezone.now()
    order.save(update_fields=["status", "cancelled_at", "updated_at"])
    stock.release_stock(order)
    if order.is_paid:
        stock.release_discount(order, Order.DiscountState.COMMITTED)
    history.record(order, OrderEvent.Kind.CANCELLED, user=user, reason=reason)
    return True


def stale_claims():
    """Pending refunds nobody is asking for any more: their lease ran out, or they were
    claimed longer than LEASE ago and never leased (their asker died before asking)."""
    cutoff = timezone.now() - LEASE
    return list(
        OrderRefund.objects.filter(status=OrderRefund.Status.PENDING)
        .filter(
            Q(lease_until__lt=timezone.now()) | Q(lease_until__isnull=True, created_at__lt=cutoff)
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:100]
    )
