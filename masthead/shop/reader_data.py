"""The shop's share of what is held about a reader (``readers.registry``): linking their
orders to their Reader, the copy of their data, and their erasure.

A reader's orders are those linked to their Reader, and any other order to the mailbox their
address reaches (``Order.mailbox``), so an editor acting for someone who never signed in
finds their orders too.

**Erasure** keeps what the accounts need and nothing that says who bought: each order keeps
its number, dates, status, currency, amounts (items, discount, shipping, VAT, total,
refunded), its lines (items, prices, costs), its refunds' amounts, its history's kinds and
amounts, and the delivery country (VAT depends on it); it loses the email, the name, the
address lines, the town, the region, the postcode, the phone, the network digest, the
tracking numbers and links of its parcels, refund reasons and every free text or personal
value in its history. The baskets the orders came from are deleted. Unpaid orders are kept
anonymised like paid ones rather than deleted, so the shop's figures and stock history stay
whole.

An erasure **waits** while a paid order still has items to send (the address is needed to
deliver them) or a checkout's payment may still arrive (its hold has not run out): the
reader is told which order, and the erasure is retried until it can go on. One whose hold
ran out is expired by the erasure itself, putting its items back on sale.
"""

import logging

from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy, gettext_noop

from masthead.core.sites import absolute_url
from masthead.readers import identity
from masthead.readers.registry import ErasureMustWait, PersonalData
from masthead.shop import checkout, orders
from masthead.shop.models import (
    Cart,
    CartLine,
    Order,
    OrderEvent,
    OrderLine,
    ShipmentLine,
)
from masthead.shop.retention import anonymise_orders

logger = logging.getLogger("masthead.shop")

KEPT = gettext_lazy(
    "Orders: the order number, dates, status, items, prices, discount, shipping, VAT, total, "
    "refunds and the delivery country, without your name, email, address or phone, because "
    "UK law requires the shop's accounting records to be kept for 6 years (VAT needs the "
    "country). Your baskets are deleted."
)


def _mine(reader):
    """The orders of ``reader``: linked to them, or sent to their mailbox."""
    condition = Q(mailbox=reader.mailbox) if reader.mailbox else Q(pk__in=[])
    if reader.pk is not None:
        condition |= Q(reader_id=reader.pk)
    return Order.objects.filter(condition)


def link(reader):
    """Link the orders to ``reader``'s mailbox that belong to no Reader yet."""
    if not reader.mailbox or reader.pk is None:
        return 0
    return Order.objects.filter(mailbox=reader.mailbox, reader__isnull=True).update(reader=reader)


def link_paid_order(order):
    """A paid order verified its address: find or make the Reader for it (which links every
    app's records with that address) and link the order. Called by the payment handler."""
    if not order.email or order.personal_data_erased_at is not None:
        return None
    try:
        with transaction.atomic():
            reader = identity.verified(order.email, name=order.full_name)
            Order.objects.filter(pk=order.pk).update(reader=reader)
    except DatabaseError:
        # The payment must be recorded whatever happens here; the next sign-in links it.
        logger.exception("Order %s could not be linked to its reader", order.number)
        return None
    order.reader = reader
    return reader


# --- Export ---------------------------------------------------------------------------------------


def _when(value):
    return value.isoformat() if value else ""


def _order_row(order):
    return {
        "number": order.number or "",
        "status": order.status,
        "created_at": _when(order.created_at),
        "paid_at": _when(order.paid_at),
        "dispatched_at": _when(order.fulfilled_at),
        "cancelled_at": _when(order.cancelled_at),
        "email": order.email,
        "name": order.full_name,
        "address_line1": order.address_line1,
        "address_line2": order.address_line2,
        "city": order.city,
        "region": order.region,
        "postcode": order.postcode,
        "country": order.country,
        "phone": order.phone,
        "currency": order.currency,
        "items_total": order.subtotal,
        "discount_code": order.discount_code,
        "discount_total": order.discount_total,
        "shipping_method": order.shipping_method,
        "shipping_total": order.shipping_total,
        "vat_included": order.vat_total,
        "total": order.total,
        "refunded": order.refunded_amount,
        "asked_for_newsletter": order.newsletter_opt_in,
        "payment_provider": order.provider,
        "payment_id": order.payment_id,
        "network_digest": order.client_network,
        "order_page": absolute_url(reverse("shop:order", args=[order.token])),
    }


def _line_row(line, number):
    return {
        "order": number,
        "item": line.product_title,
        "variant": line.variant_label,
        "sku": line.sku,
        "unit_price": line.unit_price,
        "quantity": line.quantity,
        "line_total": line.line_total,
        "discount_share": line.discount_share,
        "quantity_dispatched": line.quantity_dispatched,
        "quantity_refunded": line.quantity_refunded,
    }


def _shipment_row(shipment, number):
    items = "; ".join(
        f"{item.quantity} x {item.order_line.item_name}"
        for item in ShipmentLine.objects.filter(shipment=shipment).select_related("order_line")
    )
    return {
        "order": number,
        "carrier": shipment.carrier,
        "tracking_number": shipment.tracking_number,
        "tracking_link": shipment.tracking_url,
        "dispatched_at": _when(shipment.dispatched_at),
        "items": items,
    }


def _refund_row(refund, number):
    return {
        "order": number,
        "amount": refund.amount,
        "reason": refund.reason,
        "status": refund.status,
        "items_back_in_stock": refund.restocked,
        "created_at": _when(refund.created_at),
    }


def _event_row(event, number):
    return {
        "order": number,
        "when": _when(event.created_at),
        "kind": event.kind,
        "what_happened": event.message,
    }


def _basket_rows(cart_ids):
    baskets, lines = [], []
    for cart in Cart.objects.filter(pk__in=cart_ids).order_by("created_at"):
        baskets.append(
            {
                "basket": str(cart.pk),
                "created_at": _when(cart.created_at),
                "updated_at": _when(cart.updated_at),
                "discount_code": cart.discount_code,
            }
        )
    for line in CartLine.objects.filter(cart_id__in=cart_ids).select_related("variant__product"):
        lines.append(
            {
                "basket": str(line.cart_id),
                "item": str(line.variant),
                "sku": line.variant.sku,
                "quantity": line.quantity,
                "price_when_added": line.price_when_added,
                "added_at": _when(line.added_at),
            }
        )
    return baskets, lines


def export(reader):
    """Every order of ``reader`` with its address, lines, parcels, refunds and history, and
    the baskets the orders came from."""
    tables = {
        "orders": [],
        "order_lines": [],
        "shipments": [],
        "refunds": [],
        "order_history": [],
    }
    cart_ids = set()
    for order in _mine(reader).order_by("created_at", "pk"):
        number = order.number or str(order.pk)
        tables["orders"].append(_order_row(order))
        tables["order_lines"] += [_line_row(line, number) for line in order.lines.all()]
        tables["shipments"] += [_shipment_row(item, number) for item in order.shipments.all()]
        tables["refunds"] += [_refund_row(item, number) for item in order.refunds.all()]
        tables["order_history"] += [_event_row(item, number) for item in order.events.all()]
        if order.cart_id:
            cart_ids.add(order.cart_id)
    tables["baskets"], tables["basket_lines"] = _basket_rows(cart_ids)
    return tables


# --- Erasure --------------------------------------------------------------------------------------


def orders_to_send(reader):
    """The reader's paid orders that still have items to send (their address is needed)."""
    return (
        _mine(reader)
        .filter(status__in=orders.DISPATCHABLE_STATUSES)
        .filter(
            pk__in=OrderLine.objects.filter(
                quantity__gt=F("quantity_dispatched") + F("quantity_refunded")
            ).values("order_id")
        )
        .order_by("paid_at", "pk")
    )


def orders_being_paid(reader):
    """The reader's checkouts still waiting for a payment that may yet come (their hold has
    not run out; a Direct Debit settling keeps it for days)."""
    return _mine(reader).filter(
        status=Order.Status.AWAITING_PAYMENT, reserved_until__gt=timezone.now()
    )


def prepare_erasure(reader):
    """Refuse, for now, to erase a reader whose paid order still has items to send, or
    whose payment may still arrive (it would make an order with no address to send it to)."""
    to_send = list(orders_to_send(reader).values_list("number", flat=True))
    if to_send:
        raise ErasureMustWait(
            gettext_noop(
                "Order %(numbers)s still has items to send to your address. Your shop details "
                "will be erased once it has been dispatched (or cancelled)."
            ),
            {"numbers": ", ".join(number or "?" for number in to_send)},
            plural=gettext_noop(
                "Orders %(numbers)s still have items to send to your address. Your shop "
                "details will be erased once they have been dispatched (or cancelled)."
            ),
            count=len(to_send),
        )
    being_paid = list(orders_being_paid(reader).values_list("number", flat=True))
    if being_paid:
        raise ErasureMustWait(
            gettext_noop(
                "A payment for order %(numbers)s may still arrive. Your shop details will be "
                "erased once it has been paid and dispatched, or its checkout has ended."
            ),
            {"numbers": ", ".join(number or "?" for number in being_paid)},
        )


def erase(reader):
    """Erase ``reader`` from the shop: their unpaid checkouts end, their baskets go, their
    orders are anonymised (see the module docstring)."""
    with transaction.atomic():
        for order in _mine(reader).filter(status=Order.Status.AWAITING_PAYMENT):
            if checkout.expire_order(order, OrderEvent.Kind.CHECKOUT_ABANDONED):
                orders.end_provider_checkout(order)
        order_ids = list(_mine(reader).values_list("pk", flat=True))
        cart_ids = list(
            Order.objects.filter(pk__in=order_ids, cart__isnull=False).values_list(
                "cart_id", flat=True
            )
        )
        Cart.objects.filter(pk__in=cart_ids).delete()
        anonymise_orders(order_ids)


SHARE = PersonalData(
    name="shop",
    title=gettext_lazy("Shop"),
    models=(
        "shop.Order",
        "shop.OrderLine",
        "shop.Shipment",
        "shop.ShipmentLine",
        "shop.OrderRefund",
        "shop.OrderEvent",
        "shop.Cart",
        "shop.CartLine",
    ),
    export=export,
    erase=erase,
    link=link,
    prepare_erasure=prepare_erasure,
    kept=KEPT,
    order=300,
)
