"""The shop's part of the reader's account page: "Your orders" (each order with its status,
items, total, parcels with their tracking links, and its own page), and "Order again", which
puts an order's items that can still be bought back in the reader's basket.

Only orders linked to the signed-in reader are shown or reordered; the order page reached by
its token keeps working for buyers who never sign in. Checkouts that ended unpaid are not
orders the reader made, so they are left out.

Order again goes through the basket's own rules (``cart.add``): an item off sale, sold out
or above the per-order cap is not added, or fewer are, and the reader is told which and
why. Items go in at today's prices, which the basket shows as usual.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from masthead.readers.registry import AccountSection
from masthead.shop import cart as carts
from masthead.shop.models import CartLine, Order, OrderLine, Shipment, Variant

# The most orders the account page lists (the newest first).
MOST_ORDERS_SHOWN = 50


@dataclass
class OrderSummary:
    """One order as the account page shows it."""

    order: Order
    lines: list
    parcels: list  # (shipment, safe tracking link or "")

    @property
    def can_order_again(self):
        return any(line.variant_id for line in self.lines)


def orders_of(reader):
    """The reader's orders worth showing (paid, or being paid), newest first."""
    return (
        Order.objects.filter(reader=reader)
        .filter(Q(paid_at__isnull=False) | Q(status=Order.Status.AWAITING_PAYMENT))
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("pk")),
            Prefetch("shipments", queryset=Shipment.objects.order_by("dispatched_at", "pk")),
        )
        .order_by("-created_at", "-pk")
    )


def summaries(reader):
    return [
        OrderSummary(
            order=order,
            lines=list(order.lines.all()),
            parcels=[(shipment, shipment.tracking_link) for shipment in order.shipments.all()],
        )
        for order in orders_of(reader)[:MOST_ORDERS_SHOWN]
    ]


def section_context(request, reader):
    """The context of the "Your orders" section."""
    return {"shop_orders": summaries(reader)}


SECTION = AccountSection(
    name="shop",
    title=gettext_lazy("Your orders"),
    template="shop/account/orders.html",
    context=section_context,
    order=300,
)


# --- Order again ----------------------------------------------------------------------------------


@dataclass
class Reorder:
    """What Order again did: the items added (``"2 x Tee — M"``) and a sentence for each
    item that could not be added, or not as many."""

    added: list = field(default_factory=list)
    not_added: list = field(default_factory=list)


def _most_addable(basket, variant_id, shop_settings):
    """How many more units of a variant the basket may take now (stock, per-order cap and
    the basket's own limit), 0 when it cannot be bought."""
    variant = Variant.objects.select_related("product").filter(pk=variant_id).first()
    if variant is None or not variant.product.live:
        return 0
    in_basket = (
        CartLine.objects.filter(cart=basket, variant=variant)
        .values_list("quantity", flat=True)
        .first()
        or 0
    )
    most = carts.MAX_QUANTITY
    if variant.track_stock:
        most = min(most, shop_settings.max_units_per_item, max(variant.stock, 0))
    return max(most - in_basket, 0)


def _add(basket, line, quantity, shop_settings):
    with transaction.atomic():
        carts.add(basket, line.variant_id, quantity, shop_settings=shop_settings)


def order_again(order, basket, shop_settings):
    """Put the items of ``order`` back in ``basket`` as far as they can be bought; returns
    a Reorder saying what was added and what was not, and why."""
    outcome = Reorder()
    for line in order.lines.order_by("pk"):
        name = line.item_name
        if line.variant_id is None:
            outcome.not_added.append(_("%(item)s is no longer sold.") % {"item": name})
            continue
        try:
            _add(basket, line, line.quantity, shop_settings)
        except carts.CartError as error:
            fewer = min(_most_addable(basket, line.variant_id, shop_settings), line.quantity)
            try:
                if not fewer:
                    raise error
                _add(basket, line, fewer, shop_settings)
            except carts.CartError as refusal:
                outcome.not_added.append(str(refusal))
                continue
            outcome.added.append(f"{fewer} x {name}")
            outcome.not_added.append(
                _("Only %(count)d of the %(wanted)d of %(item)s could be added: %(reason)s")
                % {"count": fewer, "wanted": line.quantity, "item": name, "reason": error}
            )
            continue
        outcome.added.append(f"{line.quantity} x {name}")
    return outcome
