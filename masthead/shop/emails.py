"""The emails a reader gets about an order: the confirmation, each parcel's dispatch, the
refunds and the cancellation. The tasks in ``tasks`` call these after the change they
announce has committed.

None of them holds a database lock or an open transaction while the mail server talks (on
SQLite that would stop every other write for the whole SMTP exchange). An email that must
go once is claimed first with a conditional update that commits at once (its "sent" time
is set only if it was empty), then sent, and the claim is given back if sending fails, so
the task can be run again; two runs at once send it once.
"""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from masthead.core.emails import send_transactional_email
from masthead.core.sites import absolute_url, outlet_name
from masthead.shop.models import Order, OrderRefund, Shipment
from masthead.shop.pricing import shop_settings_for


def order_url(order):
    """The reader's own page for an order (its unguessable token is the key)."""
    return absolute_url(reverse("shop:order", args=[order.token]))


def _send(template, subject, to, context):
    if not to:
        # The buyer's details were erased (at their request, or after the retention time).
        return
    send_transactional_email(f"shop/email/{template}", subject, to, context)


def _order_context(order):
    config = shop_settings_for()
    return {
        "order": order,
        "lines": list(order.lines.all()),
        "order_url": order_url(order),
        "dispatch_note": config.dispatch_note,
        "vat_number": config.vat_number if order.vat_total else "",
    }


def send_confirmation(order_id):
    """Email the order confirmation for one paid order, once; True if it was sent now."""
    claimed = Order.objects.filter(
        pk=order_id, confirmation_sent_at__isnull=True, paid_at__isnull=False
    ).update(confirmation_sent_at=timezone.now())
    if not claimed:
        return False
    order = Order.objects.get(pk=order_id)
    try:
        _send(
            "confirmation",
            _("Your order %(number)s from %(outlet)s")
            % {"number": order.number, "outlet": outlet_name()},
            order.email,
            _order_context(order),
        )
    except Exception:
        Order.objects.filter(pk=order_id).update(confirmation_sent_at=None)
        raise
    return True


def send_dispatch(shipment_id):
    """Email the reader that a parcel left (which items, carrier, tracking), once."""
    claimed = Shipment.objects.filter(pk=shipment_id, email_sent_at__isnull=True).update(
        email_sent_at=timezone.now()
    )
    if not claimed:
        return False
    shipment = Shipment.objects.select_related("order").get(pk=shipment_id)
    order = shipment.order
    try:
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
    except Exception:
        Shipment.objects.filter(pk=shipment_id).update(email_sent_at=None)
        raise
    return True


def _confirmed_unsent_refunds(order):
    """The refunds the provider has confirmed (in order, up to ``refunded_amount``) whose
    email has not gone yet. A cancellation's refund is announced by the cancellation email
    instead."""
    confirmed, running = [], 0
    for record in order.refunds.order_by("pk"):
        running += record.amount
        if running > order.refunded_amount:
            break
        if record.email_sent_at is None and not record.cancels_order:
            confirmed.append(record)
    return confirmed


def _claim_refunds(order_id):
    """Mark the confirmed, unannounced refunds of an order as being announced, and commit:
    (order, their records), or (None, []) when there is nothing to announce. The order's
    row is locked only for this short transaction, so two runs never claim the same one."""
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(pk=order_id).first()
        if order is None:
            return None, []
        records = _confirmed_unsent_refunds(order)
        OrderRefund.objects.filter(pk__in=[record.pk for record in records]).update(
            email_sent_at=timezone.now()
        )
    return order, records


def send_refund(order_id):
    """Email the reader about confirmed refunds not yet announced; True if one was sent."""
    order, records = _claim_refunds(order_id)
    if not records:
        return False
    lines = {line.pk: line for line in order.lines.all()}
    items = []
    for record in records:
        for line_id, quantity in record.lines.items():
            line = lines.get(int(line_id))
            if line is not None:
                items.append((quantity, line))
    try:
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
    except Exception:
        OrderRefund.objects.filter(pk__in=[record.pk for record in records]).update(
            email_sent_at=None
        )
        raise
    return True


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
