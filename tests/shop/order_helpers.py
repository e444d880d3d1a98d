"""Orders for the ORDERS tests, made straight in the database as a finished checkout leaves
them (lines snapshotted, stock taken, a number assigned), with a real demo-provider payment
behind a paid one, so refunds go through the provider and come back through the webhook."""

import secrets

from django.utils import timezone

from masthead.payments.models import DemoPayment
from masthead.shop import orders
from masthead.shop.models import Order, OrderLine, Variant

ADDRESS = {
    "full_name": "Sam Reader",
    "address_line1": "12 Quay Street",
    "address_line2": "Flat 3",
    "city": "Riverside",
    "region": "",
    "postcode": "RV1 2AB",
    "country": "GB",
}


def make_order(
    items,
    *,
    paid=True,
    shipping=350,
    discount=0,
    email="reader@example.org",
    vat_total=0,
    discount_code=None,
    **fields,
):
    """An order for ``items`` (a list of ``(variant, quantity)``).

    Paid (the default): units taken off stock and committed, a DemoPayment of the total
    behind it. Unpaid: units held, awaiting payment. ``discount`` (pence) is shared between
    the lines in proportion to their totals, the last line taking the rounding.
    """
    subtotal = sum(variant.price * quantity for variant, quantity in items)
    total = subtotal - discount + shipping
    order = Order.objects.create(
        email=email,
        currency="GBP",
        subtotal=subtotal,
        discount_total=discount,
        shipping_total=shipping,
        total=total,
        vat_total=vat_total,
        discount=discount_code,
        discount_code=discount_code.code if discount_code else "",
        discount_state=("committed" if paid else "held") if discount_code else "",
        shipping_zone_name="United Kingdom",
        shipping_method="Royal Mail 2nd Class",
        provider="demo",
        status=Order.Status.PAID if paid else Order.Status.AWAITING_PAYMENT,
        **{"paid_at": timezone.now() if paid else None, **ADDRESS, **fields},
    )
    shared = 0
    for position, (variant, quantity) in enumerate(items):
        line_total = variant.price * quantity
        if position == len(items) - 1:
            share = discount - shared
        else:
            share = discount * line_total // subtotal if subtotal else 0
        shared += share
        if variant.track_stock:
            Variant.objects.filter(pk=variant.pk).update(stock=variant.stock - quantity)
            state = OrderLine.StockState.COMMITTED if paid else OrderLine.StockState.HELD
        else:
            state = OrderLine.StockState.UNTRACKED
        OrderLine.objects.create(
            order=order,
            variant=variant,
            product_title=variant.product.title,
            variant_label=variant.label,
            sku=variant.sku,
            unit_price=variant.price,
            unit_cost=variant.cost,
            quantity=quantity,
            line_total=line_total,
            discount_share=share,
            stock_state=state,
            fulfilment=variant.fulfilment,
        )
    orders.assign_number(order)
    if paid:
        payment = DemoPayment.objects.create(
            id=f"pi_demo_{secrets.token_hex(8)}",
            charge_id=f"ch_demo_{secrets.token_hex(8)}",
            purpose="order",
            reference=str(order.pk),
            amount=total,
            currency="GBP",
        )
        order.payment_id = payment.id
        order.save(update_fields=["payment_id"])
    order.refresh_from_db()
    return order


def stock(variant):
    return Variant.objects.get(pk=variant.pk).stock


def line_for(order, sku):
    return order.lines.get(sku=sku)


def history(order):
    """The order's history as the admin shows it, oldest first."""
    return [event.message for event in order.events.order_by("created_at", "pk")]
