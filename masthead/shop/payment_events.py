"""What the payment provider's events mean for orders (the "order" purpose).

The payments app calls :func:`handle_payment_event` inside the transaction that stores the
provider event, so an order's change and the event's record commit together. The payments
app already ignores a second delivery of the same event; this handler is idempotent by
state as well (every transition is guarded by the order's current status or a conditional
update), so events arriving twice or out of order change nothing twice.

An event's ``reference`` is the order's primary key (see ``checkout.start_order``).

**An event must match what it pays for.** Every event about an order must come from the
provider the order was started with (``Order.provider``, set when the order is created), and
a payment must be for exactly the order's total in its currency. An event that does not
match changes nothing (no paid order, no stock committed, no expiry, no refund): it is
written to the order's history as PAYMENT_MISMATCH, which the order's admin page shows
to editors, and logged.

- **Paid** (CheckoutCompleted with ``paid``, or PaymentSucceeded for a checkout): an order
  awaiting payment becomes paid, its held units and discount use become committed, the
  items are taken out of the basket it came from, the order is linked to the Reader of its
  address (``reader_data.link_paid_order``: paying verified it), the ORDERS side takes over
  (``orders.on_paid``: confirmation email, print on demand) and, only if the reader ticked
  the box, the newsletter's double opt-in starts.
- **Paid after the hold ran out.** If the order had already expired (its units went back
  on sale), the handler tries to take each line's units again with the same conditional
  update as checkout. If every line can be had, the order is paid as normal. If any
  cannot, none are taken, the order is recorded as paid, and right after the commit it is
  cancelled with ``orders.SOLD_OUT_REASON`` (``orders.cancel_after_commit``): the refund of
  the whole payment is claimed in the same transaction and asked of the provider (with an
  idempotency key) by a task once it commits, which completes the cancellation; the reader
  gets the cancellation email explaining that the items sold out. We never keep money for items we
  cannot send, and never sell a unit twice.
  An order an editor cancelled before it was paid is treated the same way.
- **Paid, still settling** (CheckoutCompleted without ``paid``: Bacs Direct Debit, when
  the outlet enables it, settles in a few working days): the hold is extended by
  SETTLING_HOLD so the units are not sold to someone else meanwhile; PaymentSucceeded then
  pays the order as above. If the debit fails, the hold runs out and the units go back.
- **Expired** (CheckoutExpired): an order still awaiting payment expires and its units go
  back on sale; a paid order is untouched.
- **Refunded** (PaymentRefunded): ``orders.apply_refund_event``.
- **Disputed** (PaymentDisputed) and failed attempts: written to the order's history.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from masthead.audience import attribution as audience
from masthead.newsletter import consent as newsletter_consent
from masthead.newsletter import services as newsletter
from masthead.payments import events
from masthead.shop import cart as carts
from masthead.shop import display, history, orders, reader_data
from masthead.shop.checkout import (
    CONVERSION_SOURCE,
    NEWSLETTER_WORDING,
    NEWSLETTER_WORDING_VERSION,
    expire_order,
)
from masthead.shop.models import DiscountCode, Order, OrderEvent, OrderLine, Variant

# How long the units stay held while a Direct Debit settles (Bacs takes about three working
# days; a week covers weekends and bank holidays).
SETTLING_HOLD = timedelta(days=7)

logger = logging.getLogger("masthead.shop")

NEWSLETTER_SOURCE = "shop checkout"


def _order_id(reference):
    text = str(reference or "").strip()
    return int(text) if text.isdigit() and len(text) <= 18 else None


def _record_mismatch(order, event, amount=None, currency=""):
    logger.warning(
        "Order %s: ignored %s event %s that does not match it",
        order.number,
        event.provider,
        event.provider_event_id,
    )
    history.record(
        order,
        OrderEvent.Kind.PAYMENT_MISMATCH,
        provider=event.provider,
        expected_provider=order.provider,
        event=event.provider_event_id,
        payment=getattr(event, "payment_id", ""),
        paid=amount,
        paid_currency=currency.upper(),
        total=order.total,
        currency=order.currency,
    )


def _order_for(event):
    """The order an event is about (row locked), or None when it is not one of ours or
    comes from another provider than the order was started with (then written to the
    order's history)."""
    order = _find_order(event)
    if order is not None and order.provider and event.provider != order.provider:
        _record_mismatch(
            order, event, getattr(event, "amount", None), getattr(event, "currency", "")
        )
        return None
    return order


def _pays_the_total(order, event):
    """Whether a payment event is for exactly the order's total and currency; if not, it
    is written to the order's history."""
    if event.amount == order.total and event.currency.upper() == order.currency:
        return True
    _record_mismatch(order, event, event.amount, event.currency)
    return False


def _find_order(event):
    rows = Order.objects.select_for_update()
    order_id = _order_id(event.reference)
    if order_id is not None:
        found = rows.filter(pk=order_id).first()
        if found is not None:
            return found
    checkout_id = getattr(event, "checkout_id", "")
    if checkout_id:
        found = rows.filter(checkout_id=checkout_id).first()
        if found is not None:
            return found
    payment_id = getattr(event, "payment_id", "")
    if payment_id:
        return rows.filter(payment_id=payment_id).first()
    return None


def _is_other_checkout(order, event):
    """Whether the event is about a checkout other than the one this order opened."""
    checkout_id = getattr(event, "checkout_id", "")
    return bool(checkout_id and order.checkout_id and checkout_id != order.checkout_id)


# --- Paid -----------------------------------------------------------------------------------------


def _retake_stock(order):
    """For an order whose hold ran out: take its released units again, all or none.
    Returns True when every line's units were had."""
    lines = list(
        order.lines.filter(stock_state=OrderLine.StockState.RELEASED).order_by("variant_id")
    )
    try:
        with transaction.atomic():
            for line in lines:
                if line.variant_id is None:
                    raise _Unavailable
                taken = Variant.objects.filter(
                    pk=line.variant_id, track_stock=True, stock__gte=line.quantity
                ).update(stock=F("stock") - line.quantity)
                untracked = Variant.objects.filter(pk=line.variant_id, track_stock=False).exists()
                if not taken and not untracked:
                    raise _Unavailable
                OrderLine.objects.filter(
                    pk=line.pk, stock_state=OrderLine.StockState.RELEASED
                ).update(stock_state=OrderLine.StockState.COMMITTED)
    except _Unavailable:
        return False
    display.availability_changed(
        Variant.objects.filter(
            pk__in=[line.variant_id for line in lines], track_stock=True, stock=0
        ).values_list("pk", flat=True)
    )
    return True


class _Unavailable(Exception):
    pass


def _reclaim_discount(order):
    """Take the discount use back for a late payment when the code still has one; the
    reader paid the discounted price either way."""
    if order.discount_id is None or order.discount_state != Order.DiscountState.RELEASED:
        return
    discount = DiscountCode.objects.select_for_update().filter(pk=order.discount_id).first()
    if discount is None:
        return
    if discount.usage_limit is None or discount.times_used < discount.usage_limit:
        DiscountCode.objects.filter(pk=discount.pk).update(times_used=F("times_used") + 1)
        order.discount_state = Order.DiscountState.COMMITTED


def _opt_in_to_newsletter(order_id):
    """Start the double opt-in for a reader who ticked the box; a failure here never
    stands in the way of the order."""
    order = Order.objects.filter(pk=order_id, newsletter_opt_in=True).first()
    if order is None:
        return
    try:
        newsletter.sign_up(
            email=order.email,
            name=order.full_name,
            newsletters=newsletter.public_newsletters(),
            context=newsletter_consent.ConsentContext(source=NEWSLETTER_SOURCE),
            wording=str(NEWSLETTER_WORDING),
            wording_version=NEWSLETTER_WORDING_VERSION,
            attribution=audience.attribution_of(CONVERSION_SOURCE, order.pk),
        )
    except Exception:
        logger.exception("Newsletter opt-in from the shop checkout failed")


def _mark_paid(order, event):
    if not _pays_the_total(order, event):
        return
    if order.paid_at is not None:
        if not order.payment_id and event.payment_id:
            order.payment_id = event.payment_id
            order.save(update_fields=["payment_id", "updated_at"])
        return
    if _is_other_checkout(order, event):
        logger.warning("Order %s: payment for another checkout %s", order.number, event.checkout_id)
        history.record(
            order, OrderEvent.Kind.PAYMENT_FOR_OTHER_CHECKOUT, checkout=event.checkout_id
        )
        return
    late = order.status != Order.Status.AWAITING_PAYMENT
    stock_ok = True
    if late:
        stock_ok = _retake_stock(order)
        if stock_ok:
            _reclaim_discount(order)
    else:
        OrderLine.objects.filter(order=order, stock_state=OrderLine.StockState.HELD).update(
            stock_state=OrderLine.StockState.COMMITTED
        )
        if order.discount_state == Order.DiscountState.HELD:
            order.discount_state = Order.DiscountState.COMMITTED

    order.paid_at = event.occurred_at or timezone.now()
    order.payment_id = order.payment_id or event.payment_id
    order.checkout_id = order.checkout_id or event.checkout_id
    order.provider = order.provider or event.provider
    order.status = Order.Status.PAID
    order.save()
    # Paying verified the address: the order joins its reader's account.
    reader_data.link_paid_order(order)
    if not stock_ok:
        history.record(order, OrderEvent.Kind.PAID_LATE_SOLD_OUT)
        orders.cancel_after_commit(order, orders.SOLD_OUT_REASON)
        return
    if late:
        history.record(order, OrderEvent.Kind.PAID_LATE)
    audience.complete(CONVERSION_SOURCE, order.pk, amount=order.total, when=order.paid_at)
    if order.cart_id:
        carts.take_out_ordered(
            order.cart_id,
            {line.variant_id: line.quantity for line in order.lines.all() if line.variant_id},
        )
    orders.on_paid(order)
    if order.newsletter_opt_in:
        transaction.on_commit(lambda: _opt_in_to_newsletter(order.pk))


def _on_checkout_completed(event):
    order = _order_for(event)
    if order is None:
        logger.warning("Checkout completed for unknown order %s", event.reference)
        return
    if not event.paid:
        if not _pays_the_total(order, event):
            return
        held_until = timezone.now() + SETTLING_HOLD
        extended = Order.objects.filter(
            pk=order.pk, status=Order.Status.AWAITING_PAYMENT, reserved_until__lt=held_until
        ).update(reserved_until=held_until)
        if extended:
            history.record(
                order, OrderEvent.Kind.PAYMENT_SETTLING, held_until=held_until.isoformat()
            )
        return
    _mark_paid(order, event)


def _on_payment_succeeded(event):
    order = _order_for(event)
    if order is None:
        logger.warning("Payment for unknown order %s", event.reference)
        return
    _mark_paid(order, event)


def _on_checkout_expired(event):
    order = _order_for(event)
    if order is None or _is_other_checkout(order, event):
        return
    expire_order(order, OrderEvent.Kind.CHECKOUT_ABANDONED)


def _on_payment_failed(event):
    order = _order_for(event)
    if order is None:
        return
    history.record(order, OrderEvent.Kind.PAYMENT_FAILED, reason=event.reason)


def _on_payment_refunded(event):
    order = _order_for(event)
    if order is None:
        logger.warning("Refund for unknown order %s", event.reference)
        return
    order = orders.apply_refund_event(order, event.amount_refunded, event.fully_refunded)
    # The order's conversion counts what was kept; a full refund withdraws it.
    kept = 0 if order.status == Order.Status.REFUNDED else order.total - order.refunded_amount
    audience.refunded(CONVERSION_SOURCE, order.pk, kept)


def _on_payment_disputed(event):
    order = _order_for(event)
    if order is None:
        return
    history.record(
        order,
        OrderEvent.Kind.DISPUTE_OPENED,
        amount=event.amount,
        currency=event.currency.upper(),
        reason=event.reason,
    )


EVENT_HANDLERS = {
    events.CheckoutCompleted: _on_checkout_completed,
    events.CheckoutExpired: _on_checkout_expired,
    events.PaymentSucceeded: _on_payment_succeeded,
    events.PaymentFailed: _on_payment_failed,
    events.PaymentRefunded: _on_payment_refunded,
    events.PaymentDisputed: _on_payment_disputed,
}


def handle_payment_event(event):
    """Apply one payment event to the order it is about (see the module docstring)."""
    handler = EVENT_HANDLERS.get(type(event))
    if handler is None:
        return
    handler(event)
