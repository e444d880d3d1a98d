"""Putting an order's units and its discount use back, once, however often it is asked.

Each line moves to ``released`` with a conditional update on its current stock state, and
the discount use with one on the order's discount state, so the expiry job on two workers,
a cancel racing an expiry or a retried task give units and uses back exactly once.

Units put back on a variant that was sold out clear the cached pages showing its product
(``display.availability_changed``); nothing else here touches the page cache.
"""

from django.db.models import F

from masthead.shop import display
from masthead.shop.models import DiscountCode, Order, OrderLine, OrderRefund, Variant


def _put_on_sale(variant_id, units):
    """Add ``units`` to a variant's stock; True when it was sold out until now."""
    if Variant.objects.filter(pk=variant_id, track_stock=True, stock__lte=0).update(
        stock=F("stock") + units
    ):
        return True
    Variant.objects.filter(pk=variant_id).update(stock=F("stock") + units)
    return False


def restocked_quantities(order):
    """Units per line already put back on sale by refunds with "restock" ticked."""
    restocked = {}
    refunds = order.refunds.filter(restocked=True, status=OrderRefund.Status.REQUESTED)
    for refund_lines in refunds.values_list("lines", flat=True):
        for line_id, quantity in (refund_lines or {}).items():
            restocked[int(line_id)] = restocked.get(int(line_id), 0) + int(quantity)
    return restocked


def release_stock(order):
    """Put back on sale the units an order holds (while paying) or has bought but not yet
    been sent, and give back a discount use it was holding. Returns the number of units
    put back (0 when another caller already did it)."""
    restocked = restocked_quantities(order)
    returned = 0
    back_on_sale = []
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
            if _put_on_sale(line.variant_id, units):
                back_on_sale.append(line.variant_id)
            returned += units
    display.availability_changed(back_on_sale)
    release_discount(order, Order.DiscountState.HELD)
    return returned


def release_discount(order, state):
    """Give back the order's use of its discount code if it is in ``state`` (held while
    paying, or committed once paid), once."""
    released = Order.objects.filter(pk=order.pk, discount_state=state).update(
        discount_state=Order.DiscountState.RELEASED
    )
    if not released:
        return
    if order.discount_id:
        DiscountCode.objects.filter(pk=order.discount_id, times_used__gt=0).update(
            times_used=F("times_used") - 1
        )
    order.discount_state = Order.DiscountState.RELEASED


def put_back(line, quantity):
    """Put ``quantity`` units of a sold line back on sale (a refund with "restock" ticked);
    units of a line that is no longer sold (released, untracked) have nowhere to go."""
    if (
        line.variant_id
        and line.stock_state == OrderLine.StockState.COMMITTED
        and _put_on_sale(line.variant_id, quantity)
    ):
        display.availability_changed([line.variant_id])
