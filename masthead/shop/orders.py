"""Everything that happens to an order once it exists: its number, what payment means for
it (confirmation email, print-on-demand submission), dispatch (by the outlet or reported by
the print-on-demand provider), refunds, cancellation, and the shop's margin for the funding
page.

Every transition happens once. Each service locks the order row (``select_for_update``)
before reading what it is about to change, and per-line transitions are conditional
updates, so a double click, a replayed webhook or two workers at once change nothing twice.
No lock is held while an email is sent or a provider is called: emails are background
tasks (``tasks``) enqueued only after the transaction commits, and a refund is claimed and
committed before the provider is asked (``refunds``), so a slow mail server or provider
never stops other writes, and a failing one never undoes a payment, a dispatch or a refund.
"""

import logging

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from masthead.payments.money import format_money
from masthead.shop import history, refunds, tasks
from masthead.shop.fulfilment.base import ShipmentUpdate
from masthead.shop.models import (
    Order,
    OrderEvent,
    OrderLine,
    OrderRefund,
    Shipment,
    ShipmentLine,
    Variant,
    web_link,
)
from masthead.shop.pricing import shop_settings_for
from masthead.shop.refunds import RefundPlan

logger = logging.getLogger("masthead.shop")

MARGIN_LABEL = gettext_lazy("Shop margin")

# Orders whose money has been taken and that may still have items to send.
DISPATCHABLE_STATUSES = (
    Order.Status.PAID,
    Order.Status.PARTIALLY_FULFILLED,
    Order.Status.PARTIALLY_REFUNDED,
)

SOLD_OUT_REASON = gettext_lazy(
    "Your payment reached us after the items you chose had sold out, so we could not fulfil "
    "your order."
)


class OrderActionError(ValueError):
    """An order action that cannot be done as asked; the message says why, for an editor."""


def _after_commit(task, *args):
    transaction.on_commit(lambda: task.enqueue(*args))


def _locked(order):
    """The order re-read with its row locked, for the rest of the transaction."""
    return Order.objects.select_for_update().get(pk=order.pk)


def assign_number(order):
    """Give a freshly created order its number, e.g. MH-10042 (prefix from ShopSettings).

    Derived from the primary key, so two checkouts at once can never share one.
    """
    prefix = (shop_settings_for().order_prefix or "MH").strip().upper()
    order.number = f"{prefix}-{10000 + order.pk}"
    Order.objects.filter(pk=order.pk).update(number=order.number)
    return order.number


# --- Payment --------------------------------------------------------------------------------------


def on_paid(order):
    """What follows payment, called by the payment handler inside the webhook transaction
    after it marked the order paid and committed its stock: the confirmation email and the
    print-on-demand submission are queued for after the commit, and the history says so."""
    history.record(
        order,
        OrderEvent.Kind.PAID,
        amount=order.total,
        currency=order.currency,
        provider=order.provider,
        payment=order.payment_id,
    )
    _after_commit(tasks.send_confirmation_task, order.pk)
    if order.lines.filter(fulfilment=Variant.Fulfilment.PRINTFUL).exists():
        _after_commit(tasks.submit_print_on_demand_task, order.pk)


def resend_confirmation(order, user=None):
    """Send the confirmation again (an editor asked: the reader lost it)."""
    if not order.is_paid:
        raise OrderActionError(_("Only a paid order has a confirmation to send."))
    if not order.email:
        raise OrderActionError(
            _("The buyer's details were erased, so there is no address to send it to.")
        )
    Order.objects.filter(pk=order.pk).update(confirmation_sent_at=None)
    history.record(order, OrderEvent.Kind.CONFIRMATION_RESENT, user=user)
    _after_commit(tasks.send_confirmation_task, order.pk)


# --- Dispatch -------------------------------------------------------------------------------------


def _clean_quantities(order, quantities, *, refunding=False):
    """``{line id: quantity}`` checked against the order's own lines (what is left to
    send, or to refund), as ``{line: quantity}``; zero quantities are dropped. Raises
    OrderActionError naming the first problem."""
    if not isinstance(quantities, dict):
        raise OrderActionError(_("Say how many of each item."))
    lines = {line.pk: line for line in order.lines.select_for_update()}
    cleaned = {}
    for raw_id, raw_quantity in quantities.items():
        try:
            line_id = int(raw_id)
        except (TypeError, ValueError):
            raise OrderActionError(_("That item is not part of this order.")) from None
        line = lines.get(line_id)
        if line is None:
            raise OrderActionError(_("That item is not part of this order."))
        if isinstance(raw_quantity, bool) or not isinstance(raw_quantity, int):
            raise OrderActionError(_("Quantities must be whole numbers."))
        if raw_quantity < 0:
            raise OrderActionError(_("Quantities cannot be negative."))
        if raw_quantity == 0:
            continue
        limit = line.quantity - line.quantity_refunded if refunding else line.quantity_to_dispatch
        if raw_quantity > limit:
            raise OrderActionError(
                _("Only %(limit)d of %(item)s can be %(what)s.")
                % {
                    "limit": limit,
                    "item": line.item_name,
                    "what": _("refunded") if refunding else _("dispatched"),
                }
            )
        cleaned[line] = raw_quantity
    if not cleaned:
        raise OrderActionError(_("Choose at least one item."))
    return cleaned


def _status_after_dispatch(order):
    remaining = sum(line.quantity_to_dispatch for line in order.lines.all())
    return Order.Status.FULFILLED if remaining == 0 else Order.Status.PARTIALLY_FULFILLED


def _record_shipment(order, cleaned, carrier, tracking_number, tracking_url, external_id, user):
    # Whoever sent it (an editor, a provider's webhook), a tracking link is kept only when
    # it is a web address: it becomes a link in emails and on pages.
    tracking_url = web_link(tracking_url)
    shipment = Shipment.objects.create(
        order=order,
        carrier=carrier[:100],
        tracking_number=tracking_number[:100],
        tracking_url=tracking_url if len(tracking_url) <= 500 else "",
        external_id=external_id[:100],
    )
    for line, quantity in cleaned.items():
        ShipmentLine.objects.create(shipment=shipment, order_line=line, quantity=quantity)
        OrderLine.objects.filter(pk=line.pk).update(
            quantity_dispatched=F("quantity_dispatched") + quantity
        )
    status = _status_after_dispatch(order)
    order.status = status
    update = ["status", "updated_at"]
    if status == Order.Status.FULFILLED:
        order.fulfilled_at = timezone.now()
        update.append("fulfilled_at")
    order.save(update_fields=update)
    history.record(
        order,
        OrderEvent.Kind.DISPATCHED,
        user=user,
        items=[[quantity, line.item_name] for line, quantity in cleaned.items()],
        carrier=carrier,
        tracking_number=tracking_number,
    )
    _after_commit(tasks.send_dispatch_task, shipment.pk)
    return shipment


def mark_dispatched(order, quantities, carrier, tracking_number="", tracking_url="", user=None):
    """Record a parcel the outlet sent: how many of each line, by which carrier, with what
    tracking. Moves the order to partially dispatched or dispatched and emails the reader
    after the commit. Raises OrderActionError for anything that does not add up."""
    carrier = (carrier or "").strip()
    tracking_number = (tracking_number or "").strip()
    tracking_url = (tracking_url or "").strip()
    if not carrier:
        raise OrderActionError(_("Say which carrier took the parcel."))
    if tracking_url and not web_link(tracking_url):
        raise OrderActionError(_("A tracking link must start with https://."))
    with transaction.atomic():
        order = _locked(order)
        if order.status not in DISPATCHABLE_STATUSES:
            raise OrderActionError(
                _("An order that is %(status)s cannot be dispatched.")
                % {"status": order.get_status_display().lower()}
            )
        cleaned = _clean_quantities(order, quantities)
        return _record_shipment(order, cleaned, carrier, tracking_number, tracking_url, "", user)


def record_external_shipment(order, external_id, items, carrier, tracking_number, tracking_url):
    """A print-on-demand provider's parcel: ``items`` is ``{line id: quantity}``. Returns the
    Shipment, or None when this provider shipment is already recorded (a webhook replay).
    Quantities beyond what is left to send are capped rather than refused: the provider's
    word on what left its warehouse wins."""
    with transaction.atomic():
        order = _locked(order)
        if order.shipments.filter(external_id=external_id).exists():
            return None
        lines = {line.pk: line for line in order.lines.select_for_update()}
        cleaned = {}
        for line_id, quantity in items.items():
            line = lines.get(line_id)
            if line is None:
                continue
            quantity = min(quantity, line.quantity_to_dispatch)
            if quantity > 0:
                cleaned[line] = quantity
        try:
            with transaction.atomic():
                return _record_shipment(
                    order, cleaned, carrier, tracking_number, tracking_url, external_id, None
                )
        except IntegrityError:
            return None


def _apply_print_status(order, update):
    with transaction.atomic():
        moved = (
            Order.objects.filter(pk=order.pk)
            .exclude(pod_status=update.status)
            .update(pod_status=update.status[:40])
        )
        if moved:
            history.record(
                order, OrderEvent.Kind.PRINT_STATUS, status=update.status, reason=update.reason
            )
    return bool(moved)


def apply_fulfilment_updates(updates):
    """Apply what a print-on-demand provider's webhook said (the ShipmentUpdate and
    StatusUpdate dataclasses its client parsed): shipments once each, with the dispatch
    email, and status changes, written to the history when they change something. Returns
    how many updates changed something."""
    changed = 0
    for update in updates:
        order = Order.objects.filter(number=update.order_number).first()
        if order is None:
            logger.info("Fulfilment webhook for unknown order %s", update.order_number)
            continue
        if isinstance(update, ShipmentUpdate):
            items = update.items or {
                line.pk: line.quantity_to_dispatch
                for line in order.lines.filter(fulfilment=Variant.Fulfilment.PRINTFUL)
            }
            shipment = record_external_shipment(
                order,
                update.external_id,
                items,
                update.carrier,
                update.tracking_number,
                update.tracking_url,
            )
            changed += shipment is not None
        else:
            changed += _apply_print_status(order, update)
    return changed


# --- Refunds --------------------------------------------------------------------------------------


def _int_amount(value):
    if isinstance(value, bool) or not isinstance(value, int):
        raise OrderActionError(_("The amount must be a whole number of pence."))
    return value


def line_refund_amount(line, quantity):
    """What ``quantity`` more units of a line give back: its share of what was paid for the
    line (after discount), worked out so refunding every unit one by one adds up exactly."""
    before = line.paid_amount * line.quantity_refunded // line.quantity
    after = line.paid_amount * (line.quantity_refunded + quantity) // line.quantity
    return after - before


def _requested_so_far(order):
    """What refunds have asked for or claimed (a pending claim counts: it is on its way)."""
    return order.refunds.aggregate(total=Sum("amount"))["total"] or 0


def refundable_amount(order):
    """What can still be refunded: the total less what was refunded or asked for already."""
    if not order.is_paid:
        return 0
    already = max(order.refunded_amount, _requested_so_far(order))
    return max(order.total - already, 0)


def plan_refund(order, lines=None, amount=None):
    """Work out (and check) a refund without making it; see :func:`refund`."""
    if not order.is_paid or not order.payment_id:
        raise OrderActionError(_("Only a paid order can be refunded."))
    available = refundable_amount(order)
    if available <= 0:
        raise OrderActionError(_("Everything on this order has been refunded already."))
    if lines is None and amount is None:
        cleaned = {
            line: line.quantity - line.quantity_refunded
            for line in order.lines.select_for_update()
            if line.quantity > line.quantity_refunded
        }
        return RefundPlan(available, cleaned)
    cleaned = _clean_quantities(order, lines, refunding=True) if lines is not None else {}
    if amount is None:
        amount = sum(line_refund_amount(line, quantity) for line, quantity in cleaned.items())
        everything = all(
            line.quantity_refunded + cleaned.get(line, 0) >= line.quantity
            for line in order.lines.all()
        )
        if everything:
            amount += order.shipping_total
        amount = min(amount, available)
        if amount <= 0:
            raise OrderActionError(_("Those items were free: there is nothing to refund."))
    else:
        amount = _int_amount(amount)
        if not 1 <= amount <= available:
            raise OrderActionError(
                _("A refund must be between %(low)s and %(high)s.")
                % {
                    "low": format_money(1, order.currency),
                    "high": format_money(available, order.currency),
                }
            )
    return RefundPlan(amount, cleaned)


def _refused(outcome):
    return OrderActionError(
        _("The payment provider refused the refund: %(error)s") % {"error": outcome.error}
    )


def refund(order, *, lines=None, amount=None, restock=False, reason="", user=None):
    """Give money back for a paid order through its payment provider.

    ``lines`` is ``{line id: quantity}`` for a refund per item, whose amount is each unit's
    share of what was paid for its line (after the discount), plus the shipping when this
    refunds the last items; ``amount`` (pence) overrides that, or alone refunds money with
    no items. Neither: the whole order, whatever is left. ``restock`` puts the units back on
    sale. Claims an OrderRefund and commits, then asks the provider (with an idempotency
    key) holding no lock; the money's return is confirmed by the provider's refund event
    (:func:`apply_refund_event`), which sets ``refunded_amount`` and emails the reader.
    Raises OrderActionError for a refund that does not add up (then nothing is recorded)
    or that the provider refuses (then the claim is given back and the history says so).
    """
    with transaction.atomic():
        order = _locked(order)
        if order.status == Order.Status.CANCELLED:
            raise OrderActionError(_("This order is cancelled; its refund was made then."))
        plan = plan_refund(order, lines=lines, amount=amount)
        record = refunds.claim(order, plan, restock=restock, reason=reason.strip(), user=user)
    outcome = refunds.request(record.pk)
    if outcome.error:
        raise _refused(outcome)
    return record


def apply_refund_event(order, amount_refunded, fully_refunded):
    """The provider says ``amount_refunded`` (its running total) has gone back to the reader.

    Takes the larger of what we knew and what it says, so replays and reordered events
    converge; moves the order to partially refunded or refunded (a cancelled order stays
    cancelled); and, when the total went up, records any refund made outside Masthead (in
    the provider's dashboard) and emails the reader after the commit.
    """
    with transaction.atomic():
        order = _locked(order)
        previous = order.refunded_amount
        new = min(max(previous, amount_refunded), order.total)
        status = order.status
        if status != Order.Status.CANCELLED:
            if fully_refunded or new >= order.total:
                status = Order.Status.REFUNDED
            elif new > 0:
                status = Order.Status.PARTIALLY_REFUNDED
        if new == previous and status == order.status:
            return order
        order.refunded_amount = new
        order.status = status
        order.save(update_fields=["refunded_amount", "status", "updated_at"])
        if new == previous:
            return order
        requested = _requested_so_far(order)
        if new > requested:
            OrderRefund.objects.get_or_create(
                idempotency_key=f"order-{order.pk}-external-{new}",
                defaults={
                    "order": order,
                    "amount": new - requested,
                    "reason": _("Refunded at the payment provider"),
                },
            )
        history.record(
            order, OrderEvent.Kind.REFUNDS_CONFIRMED, amount=new, currency=order.currency
        )
        if order.status != Order.Status.CANCELLED:
            _after_commit(tasks.send_refund_task, order.pk)
    return order


def resume_stale_refunds():
    """Periodic job: ask again for refunds whose asker died after claiming them (see
    ``refunds``); the provider's idempotency key makes a refund already made come back as
    the same refund. Returns how many were handed to the task."""
    stale = refunds.stale_claims()
    for refund_id in stale:
        tasks.request_refund_task.enqueue(refund_id)
    return len(stale)


# --- Cancellation ---------------------------------------------------------------------------------


def end_provider_checkout(order):
    """Once the transaction commits, ask the provider to end the unpaid order's checkout
    page, so nobody pays for items that have gone back on sale (a payment that gets through
    anyway takes the late-payment path in ``payment_events``)."""
    if order.checkout_id and order.provider:
        _after_commit(tasks.end_provider_checkout_task, order.provider, order.checkout_id)


def _claim_cancellation(order, reason, user):
    """Inside a transaction with ``order`` locked: refuse what cannot be cancelled, then
    either cancel it now (nothing to refund; returns None) or claim the refund whose
    completion will cancel it (returns the pending OrderRefund)."""
    if order.status in (Order.Status.REFUNDED,) or (
        order.is_paid and order.lines.filter(quantity_dispatched__gt=0).exists()
    ):
        raise OrderActionError(
            _("Items from this order have been sent or it is fully refunded; refund per item.")
        )
    if order.refunds.filter(status=OrderRefund.Status.PENDING).exists():
        raise OrderActionError(
            _("A refund of this order is being made right now; try again in a minute.")
        )
    if order.is_paid and order.payment_id and refundable_amount(order) > 0:
        return refunds.claim(
            order, plan_refund(order), restock=False, reason=reason, user=user, cancels_order=True
        )
    refunds.complete_cancellation(order, reason=reason, user=user)
    if not order.is_paid:
        end_provider_checkout(order)
    _after_commit(tasks.send_cancellation_task, order.pk, reason, 0)
    return None


def cancel(order, user=None, reason=""):
    """Cancel an order and tell the reader why (``reason`` is shown to them).

    Unpaid: the held stock and discount use go back. Paid with nothing sent yet: whatever
    was not refunded is refunded through the provider, then the stock goes back on sale
    and the discount use is returned; if the provider refuses the refund, the order is not
    cancelled and OrderActionError says why. An order with items already sent cannot be
    cancelled (refund per item instead). Cancelling twice changes nothing. The provider is
    asked with no lock held (see ``refunds``).
    """
    reason = str(reason or "").strip()
    with transaction.atomic():
        order = _locked(order)
        if order.status == Order.Status.CANCELLED:
            return order
        claimed = _claim_cancellation(order, reason, user)
    if claimed is None:
        return order
    outcome = refunds.request(claimed.pk)
    if outcome.error:
        raise _refused(outcome)
    if outcome.cancelled:
        _after_commit(tasks.send_cancellation_task, order.pk, reason, claimed.amount)
    order.refresh_from_db()
    return order


def cancel_after_commit(order, reason):
    """For a payment that arrived after its items sold out, inside the payment handler's
    transaction (``order`` locked): claim the full refund that cancels the order, and ask
    the provider for it in a task once the transaction has committed (the reader is
    emailed when it is made)."""
    if order.status == Order.Status.CANCELLED:
        return
    claimed = _claim_cancellation(order, str(reason), None)
    if claimed is not None:
        _after_commit(tasks.request_refund_task, claimed.pk)


# --- Funding --------------------------------------------------------------------------------------


def margin_between(start, end, currency):
    """What the shop earned after the cost of the goods, for orders paid in [start, end):
    what was paid for the items (after discounts, without shipping), less refunds, less
    the cost of the units not refunded. In minor units; can be negative."""
    return sum(margin_by_month(start, end, currency).values())


def margin_by_month(start, end, currency):
    """``margin_between`` for each month (its first day, in the site's time zone) in which
    orders were paid between ``start`` and ``end``: one query for the whole range."""
    orders = (
        Order.objects.filter(
            paid_at__gte=start, paid_at__lt=end, currency=currency, paid_at__isnull=False
        )
        .annotate(
            goods=Sum(F("lines__line_total") - F("lines__discount_share")),
            goods_cost=Sum(
                F("lines__unit_cost") * (F("lines__quantity") - F("lines__quantity_refunded"))
            ),
        )
        .values_list("paid_at", "goods", "goods_cost", "refunded_amount")
    )
    margins = {}
    for paid_at, goods, goods_cost, refunded in orders:
        goods = goods or 0
        month = timezone.localtime(paid_at).date().replace(day=1)
        # A refund of shipping is not the shop's loss on goods: count refunds up to the goods.
        margins[month] = margins.get(month, 0) + goods - min(refunded, goods) - (goods_cost or 0)
    return margins


# --- Queries for the admin ------------------------------------------------------------------------


def fulfilment_queue():
    """Paid orders with items the outlet packs still to send, oldest first."""
    return (
        Order.objects.filter(
            status__in=DISPATCHABLE_STATUSES,
            lines__fulfilment=Variant.Fulfilment.OUTLET,
            lines__quantity__gt=F("lines__quantity_dispatched") + F("lines__quantity_refunded"),
        )
        .distinct()
        .order_by("paid_at", "pk")
    )
