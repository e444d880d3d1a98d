"""Everything that happens to an order once it exists: its number and history, what payment
means for it (confirmation email, print-on-demand submission), dispatch, refunds,
cancellation, putting stock back, the emails the reader receives, and the shop's margin for
the funding page.

Every transition happens once. Each service locks the order row (``select_for_update``)
before reading what it is about to change, and per-line transitions are conditional
updates (``stock_state``), so a double click, a replayed webhook or two workers at once
change nothing twice. Emails are sent by background tasks enqueued only after the
transaction commits, so a failing mail server never undoes a payment, a dispatch or a
refund; each email records that it went (``confirmation_sent_at``, ``email_sent_at``) so a
task that runs twice sends once.
"""

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task

from masthead.core.emails import send_transactional_email
from masthead.core.sites import absolute_url, default_site, outlet_name
from masthead.payments import services as payments
from masthead.payments.money import format_money
from masthead.payments.providers.base import PaymentProviderError
from masthead.shop.models import (
    DiscountCode,
    Order,
    OrderEvent,
    OrderLine,
    OrderRefund,
    Shipment,
    ShipmentLine,
    ShopSettings,
    Variant,
)

logger = logging.getLogger("masthead.shop")

MARGIN_LABEL = gettext_lazy("Shop margin")

# Orders whose money has been taken and that may still have items to send.
DISPATCHABLE_STATUSES = (
    Order.Status.PAID,
    Order.Status.PARTIALLY_FULFILLED,
    Order.Status.PARTIALLY_REFUNDED,
)
UNPAID_STATUSES = (Order.Status.AWAITING_PAYMENT, Order.Status.EXPIRED)


class OrderActionError(ValueError):
    """An order action that cannot be done as asked; the message says why, for an editor."""


# --- Site helpers ---------------------------------------------------------------------------------


def shop_settings():
    """The default site's ShopSettings (unsaved defaults when there is no site yet)."""
    site = default_site()
    return ShopSettings.for_site(site) if site is not None else ShopSettings()


def order_url(order):
    """The reader's own page for an order (its unguessable token is the key)."""
    return absolute_url(reverse("shop:order", args=[order.token]))


def _after_commit(function, *args):
    transaction.on_commit(lambda: function.enqueue(*args))


def _locked(order):
    """The order re-read with its row locked, for the rest of the transaction."""
    return Order.objects.select_for_update().get(pk=order.pk)


# --- Numbers and history --------------------------------------------------------------------------


def log(order, message, user=None):
    """Add a line to the order's history (what the admin shows under "History")."""
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    return OrderEvent.objects.create(order=order, message=str(message)[:500], user=user)


def assign_number(order):
    """Give a freshly created order its number, e.g. MH-10042 (prefix from ShopSettings).

    Derived from the primary key, so two checkouts at once can never share one.
    """
    prefix = (shop_settings().order_prefix or "MH").strip().upper()
    order.number = f"{prefix}-{10000 + order.pk}"
    Order.objects.filter(pk=order.pk).update(number=order.number)
    return order.number


# --- Payment --------------------------------------------------------------------------------------


def on_paid(order):
    """What follows payment, called by the payment handler inside the webhook transaction
    after it marked the order paid and committed its stock: the confirmation email and the
    print-on-demand submission are queued for after the commit, and the history says so."""
    log(
        order,
        _("Paid %(amount)s (%(provider)s %(payment)s).")
        % {
            "amount": format_money(order.total, order.currency),
            "provider": order.provider or _("provider"),
            "payment": order.payment_id or "-",
        },
    )
    _after_commit(send_confirmation_task, order.pk)
    if order.lines.filter(fulfilment=Variant.Fulfilment.PRINTFUL).exists():
        _after_commit(submit_print_on_demand_task, order.pk)


# --- Stock ----------------------------------------------------------------------------------------


def _restocked_quantities(order):
    """Units per line already put back on sale by refunds with "restock" ticked."""
    restocked = {}
    for refund_lines in order.refunds.filter(restocked=True).values_list("lines", flat=True):
        for line_id, quantity in (refund_lines or {}).items():
            restocked[int(line_id)] = restocked.get(int(line_id), 0) + int(quantity)
    return restocked


def release_stock(order):
    """Put back on sale the units an order holds (while paying) or has bought but not yet
    been sent, and give back a discount use it was holding.

    Each line moves to "released" with a conditional update, so however often this runs
    (the expiry job on two workers, a cancel racing an expiry) units go back once. Returns
    the number of units put back.
    """
    restocked = _restocked_quantities(order)
    returned = 0
    lines = OrderLine.objects.filter(
        order=order, stock_state__in=[OrderLine.StockState.HELD, OrderLine.StockState.COMMITTED]
    )
    for line in lines:
        moved = OrderLine.objects.filter(pk=line.pk, stock_state=line.stock_state).update(
            stock_state=OrderLine.StockState.RELEASED
        )
        if not moved or line.variant_id is None:
            continue
        if line.stock_state == OrderLine.StockState.HELD:
            units = line.quantity
        else:
            units = line.quantity - line.quantity_dispatched - restocked.get(line.pk, 0)
        if units > 0:
            Variant.objects.filter(pk=line.variant_id).update(stock=F("stock") + units)
            returned += units
    _release_discount(order, states=("held",))
    return returned


def _release_discount(order, states):
    released = Order.objects.filter(pk=order.pk, discount_state__in=states).update(
        discount_state="released"
    )
    if released and order.discount_id:
        DiscountCode.objects.filter(pk=order.discount_id, times_used__gt=0).update(
            times_used=F("times_used") - 1
        )
    if released:
        order.discount_state = "released"


def item_name(line):
    """An order line as the reader knows it: "Press pass tote — Natural"."""
    if line.variant_label:
        return f"{line.product_title} — {line.variant_label}"
    return line.product_title


# --- Dispatch -------------------------------------------------------------------------------------


def _clean_quantities(order, quantities, *, field="to_dispatch"):
    """``{line id: quantity}`` checked against the order's own lines; zero quantities are
    dropped. Raises OrderActionError naming the first problem."""
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
        if field == "to_dispatch":
            limit = line.quantity_to_dispatch
        else:
            limit = line.quantity - line.quantity_refunded
        if raw_quantity > limit:
            raise OrderActionError(
                _("Only %(limit)d of %(item)s can be %(what)s.")
                % {
                    "limit": limit,
                    "item": item_name(line),
                    "what": _("dispatched") if field == "to_dispatch" else _("refunded"),
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
    shipment = Shipment.objects.create(
        order=order,
        carrier=carrier[:100],
        tracking_number=tracking_number[:100],
        tracking_url=tracking_url[:500],
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
    items = ", ".join(f"{quantity} x {item_name(line)}" for line, quantity in cleaned.items())
    log(
        order,
        _("Dispatched %(items)s by %(carrier)s%(tracking)s.")
        % {
            "items": items,
            "carrier": carrier,
            "tracking": f" ({tracking_number})" if tracking_number else "",
        },
        user,
    )
    _after_commit(send_dispatch_task, shipment.pk)
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
    if tracking_url and not tracking_url.startswith(("https://", "http://")):
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
    return order.refunds.aggregate(total=Sum("amount"))["total"] or 0


def refundable_amount(order):
    """What can still be refunded: the total less what was refunded or asked for already."""
    if not order.is_paid:
        return 0
    already = max(order.refunded_amount, _requested_so_far(order))
    return max(order.total - already, 0)


@dataclass(frozen=True)
class RefundPlan:
    """What one refund gives back: money, and units per line."""

    amount: int
    lines: dict


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
    cleaned = _clean_quantities(order, lines, field="refund") if lines is not None else {}
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


def _make_refund(order, plan, *, restock, reason, user):
    """Record a planned refund and ask the provider for it, inside the caller's transaction
    (with the order locked). A provider error propagates, so the caller's rollback leaves
    nothing recorded."""
    count = order.refunds.count()
    record = OrderRefund.objects.create(
        order=order,
        amount=plan.amount,
        lines={str(line.pk): quantity for line, quantity in plan.lines.items()},
        reason=reason[:300],
        restocked=bool(restock and plan.lines),
        idempotency_key=f"order-{order.pk}-refund-{count + 1}",
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    for line, quantity in plan.lines.items():
        OrderLine.objects.filter(pk=line.pk).update(
            quantity_refunded=F("quantity_refunded") + quantity
        )
        if restock and line.variant_id and line.stock_state == OrderLine.StockState.COMMITTED:
            Variant.objects.filter(pk=line.variant_id).update(stock=F("stock") + quantity)
    items = ", ".join(f"{quantity} x {item_name(line)}" for line, quantity in plan.lines.items())
    message = _("Refund of %(amount)s asked of the payment provider") % {
        "amount": format_money(plan.amount, order.currency)
    }
    if items:
        message += _(" for %(items)s") % {"items": items}
    if restock and plan.lines:
        message += _(", items back in stock")
    if reason:
        message += f": {reason}"
    log(order, message + ".", user)
    try:
        payments.refund(
            order.payment_id,
            plan.amount,
            currency=order.currency,
            provider_name=order.provider or None,
            idempotency_key=record.idempotency_key,
        )
    except (PaymentProviderError, payments.PaymentsUnavailable, payments.InvalidCheckout) as error:
        raise OrderActionError(
            _("The payment provider refused the refund: %(error)s") % {"error": error}
        ) from error
    return record


def refund(order, *, lines=None, amount=None, restock=False, reason="", user=None):
    """Give money back for a paid order through its payment provider.

    ``lines`` is ``{line id: quantity}`` for a refund per item, whose amount is each unit's
    share of what was paid for its line (after the discount), plus the shipping when this
    refunds the last items; ``amount`` (pence) overrides that, or alone refunds money with
    no items. Neither: the whole order, whatever is left. ``restock`` puts the units back on
    sale. Records an OrderRefund and asks the provider (with an idempotency key); the money's
    return is confirmed by the provider's refund event (:func:`apply_refund_event`), which
    sets ``refunded_amount`` and emails the reader. Raises OrderActionError for a refund that
    does not add up or that the provider refuses; then nothing is recorded.
    """
    with transaction.atomic():
        order = _locked(order)
        if order.status == Order.Status.CANCELLED:
            raise OrderActionError(_("This order is cancelled; its refund was made then."))
        plan = plan_refund(order, lines=lines, amount=amount)
        return _make_refund(order, plan, restock=restock, reason=reason.strip(), user=user)


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
        log(
            order,
            _("The payment provider confirmed refunds totalling %(amount)s.")
            % {"amount": format_money(new, order.currency)},
        )
        if order.status != Order.Status.CANCELLED:
            _after_commit(send_refund_task, order.pk)
    return order


# --- Cancellation ---------------------------------------------------------------------------------


def end_provider_checkout(order):
    """Once the transaction commits, ask the provider to end the unpaid order's checkout
    page, so nobody pays for items that have gone back on sale (a payment that gets through
    anyway takes the late-payment path in ``payment_events``)."""
    if order.checkout_id and order.provider:
        _after_commit(end_provider_checkout_task, order.provider, order.checkout_id)


@task()
def end_provider_checkout_task(provider_name, checkout_id):
    """Background task: end a checkout at the provider; one that is no longer open (paid,
    expired) is left as it is."""
    try:
        payments.expire_checkout(checkout_id, provider_name=provider_name)
    except (PaymentProviderError, payments.PaymentsUnavailable) as error:
        logger.info("Checkout %s was not ended: %s", checkout_id, error)


SOLD_OUT_REASON = gettext_lazy(
    "Your payment reached us after the items you chose had sold out, so we could not fulfil "
    "your order."
)


def cancel(order, user=None, reason=""):
    """Cancel an order and tell the reader why (``reason`` is shown to them; use
    SOLD_OUT_REASON when a payment came too late for the stock).

    Unpaid: the held stock and discount use go back. Paid with nothing sent yet: whatever
    was not refunded is refunded through the provider, the stock goes back on sale and the
    discount use is returned. An order with items already sent cannot be cancelled (refund
    per item instead). Cancelling twice changes nothing. Raises OrderActionError.
    """
    reason = str(reason or "").strip()
    with transaction.atomic():
        order = _locked(order)
        if order.status == Order.Status.CANCELLED:
            return order
        if order.status in (Order.Status.REFUNDED,) or (
            order.is_paid and order.lines.filter(quantity_dispatched__gt=0).exists()
        ):
            raise OrderActionError(
                _("Items from this order have been sent or it is fully refunded; refund per item.")
            )
        order.status = Order.Status.CANCELLED
        order.cancelled_at = timezone.now()
        order.save(update_fields=["status", "cancelled_at", "updated_at"])
        refunded = 0
        if order.is_paid and order.payment_id and refundable_amount(order) > 0:
            plan = plan_refund(order)
            _make_refund(
                order, plan, restock=False, reason=reason or _("Order cancelled"), user=user
            )
            refunded = plan.amount
        release_stock(order)
        if order.is_paid:
            _release_discount(order, states=("committed",))
        else:
            end_provider_checkout(order)
        log(
            order,
            _("Cancelled%(reason)s.") % {"reason": f": {reason}" if reason else ""},
            user,
        )
        _after_commit(send_cancellation_task, order.pk, reason, refunded)
    return order


# --- Emails ---------------------------------------------------------------------------------------


def _send(template, subject, to, context):
    send_transactional_email(f"shop/email/{template}", subject, to, context)


def _order_context(order):
    config = shop_settings()
    return {
        "order": order,
        "lines": list(order.lines.all()),
        "order_url": order_url(order),
        "dispatch_note": config.dispatch_note,
        "vat_number": config.vat_number if order.vat_total else "",
    }


def send_confirmation(order_id):
    """Email the order confirmation for one paid order, once; True if it was sent now."""
    with transaction.atomic():
        order = (
            Order.objects.select_for_update()
            .filter(pk=order_id, confirmation_sent_at__isnull=True, paid_at__isnull=False)
            .first()
        )
        if order is None:
            return False
        _send(
            "confirmation",
            _("Your order %(number)s from %(outlet)s")
            % {"number": order.number, "outlet": outlet_name()},
            order.email,
            _order_context(order),
        )
        order.confirmation_sent_at = timezone.now()
        order.save(update_fields=["confirmation_sent_at"])
    return True


@task()
def send_confirmation_task(order_id):
    """Background task: the order confirmation (sent at most once)."""
    return send_confirmation(order_id)


def resend_confirmation(order, user=None):
    """Send the confirmation again (an editor asked: the reader lost it)."""
    if not order.is_paid:
        raise OrderActionError(_("Only a paid order has a confirmation to send."))
    Order.objects.filter(pk=order.pk).update(confirmation_sent_at=None)
    log(order, _("Confirmation email sent again."), user)
    _after_commit(send_confirmation_task, order.pk)


def send_dispatch(shipment_id):
    """Email the reader that a parcel left (which items, carrier, tracking), once."""
    with transaction.atomic():
        shipment = (
            Shipment.objects.select_for_update()
            .filter(pk=shipment_id, email_sent_at__isnull=True)
            .first()
        )
        if shipment is None:
            return False
        order = shipment.order
        _send(
            "dispatch",
            _("Your order %(number)s is on its way") % {"number": order.number},
            order.email,
            {
                **_order_context(order),
                "shipment": shipment,
                "shipment_lines": list(shipment.lines.select_related("order_line")),
                "remaining": sum(line.quantity_to_dispatch for line in order.lines.all()),
            },
        )
        shipment.email_sent_at = timezone.now()
        shipment.save(update_fields=["email_sent_at"])
    return True


@task()
def send_dispatch_task(shipment_id):
    """Background task: the dispatch email for one shipment (sent at most once)."""
    return send_dispatch(shipment_id)


def _confirmed_unsent_refunds(order):
    """The refunds the provider has confirmed (in order, up to ``refunded_amount``) whose
    email has not gone yet."""
    confirmed, running = [], 0
    for record in order.refunds.select_for_update().order_by("pk"):
        running += record.amount
        if running > order.refunded_amount:
            break
        if record.email_sent_at is None:
            confirmed.append(record)
    return confirmed


def send_refund(order_id):
    """Email the reader about confirmed refunds not yet announced; True if one was sent."""
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(pk=order_id).first()
        if order is None:
            return False
        records = _confirmed_unsent_refunds(order)
        if not records:
            return False
        lines = {line.pk: line for line in order.lines.all()}
        items = []
        for record in records:
            for line_id, quantity in record.lines.items():
                line = lines.get(int(line_id))
                if line is not None:
                    items.append((quantity, line))
        _send(
            "refund",
            _("A refund on your order %(number)s") % {"number": order.number},
            order.email,
            {
                **_order_context(order),
                "amount": sum(record.amount for record in records),
                "items": items,
                "restocked_note": any(record.restocked for record in records),
            },
        )
        OrderRefund.objects.filter(pk__in=[record.pk for record in records]).update(
            email_sent_at=timezone.now()
        )
    return True


@task()
def send_refund_task(order_id):
    """Background task: the refund email (each confirmed refund announced once)."""
    return send_refund(order_id)


def send_cancellation(order_id, reason="", refunded=0):
    """Email the reader that their order is cancelled, why, and what comes back to them."""
    order = Order.objects.filter(pk=order_id, status=Order.Status.CANCELLED).first()
    if order is None:
        return False
    _send(
        "cancellation",
        _("Your order %(number)s has been cancelled") % {"number": order.number},
        order.email,
        {**_order_context(order), "reason": reason, "refunded": refunded},
    )
    return True


@task()
def send_cancellation_task(order_id, reason="", refunded=0):
    """Background task: the cancellation email."""
    return send_cancellation(order_id, reason, refunded)


# --- Print on demand ------------------------------------------------------------------------------


@task()
def submit_print_on_demand_task(order_id):
    """Background task: send a paid order's print-on-demand lines to the provider. Safe to
    run again: the provider is asked first whether it already has the order."""
    from masthead.shop.fulfilment import printful

    return printful.submit_order(order_id)


# --- Funding --------------------------------------------------------------------------------------


def margin_between(start, end, currency):
    """What the shop earned after the cost of the goods, for orders paid in [start, end):
    what was paid for the items (after discounts, without shipping), less refunds, less
    the cost of the units not refunded. In minor units; can be negative."""
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
        .values_list("goods", "goods_cost", "refunded_amount")
    )
    margin = 0
    for goods, goods_cost, refunded in orders:
        goods = goods or 0
        # A refund of shipping is not the shop's loss on goods: count refunds up to the goods.
        margin += goods - min(refunded, goods) - (goods_cost or 0)
    return margin


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
