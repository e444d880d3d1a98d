"""The reader's own order page, reached by the unguessable token in its address (the
payment page sends the reader back here, and every order email links to it).

It shows what the webhooks recorded and never decides anything: while the payment is being
confirmed it reloads itself a few times, like the donations thanks page. Never cached.
"""

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from masthead.shop.countries import country_name
from masthead.shop.models import Order

# How many times the page reloads itself while the payment is being confirmed.
ORDER_MAX_WAITS = 15


@never_cache
@require_GET
def order_status(request, token):
    """Thank-you and status page for one order: items, totals, address, parcels."""
    order = Order.objects.filter(token=token).first()
    if order is None:
        raise Http404
    try:
        waited = max(int(request.GET.get("wait", "0")), 0)
    except ValueError:
        waited = 0
    waiting = order.status == Order.Status.AWAITING_PAYMENT
    refresh_url = None
    if waiting and waited < ORDER_MAX_WAITS:
        refresh_url = f"{reverse('shop:order', args=[order.token])}?wait={waited + 1}"
    shipments = [
        (shipment, list(shipment.lines.select_related("order_line")))
        for shipment in order.shipments.all()
    ]
    return render(
        request,
        "shop/order.html",
        {
            "order": order,
            "lines": list(order.lines.all()),
            "shipments": shipments,
            "waiting": waiting,
            "refresh_url": refresh_url,
            "country_name": country_name(order.country),
        },
    )
