"""The shop's actions on the reader's account page (signed-in readers only, never cached):
Order again puts a past order's items back in the reader's basket."""

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from masthead.readers.sessions import current_reader, reader_required
from masthead.shop import account, pricing
from masthead.shop import cart as carts
from masthead.shop.models import Cart, Order


@require_POST
@never_cache
@reader_required
def order_again(request, order_id):
    """Put the items of one of the reader's own orders back in their basket, and say what
    could not be added."""
    order = Order.objects.filter(pk=order_id, reader=current_reader(request)).first()
    if order is None:
        raise Http404
    config = pricing.shop_settings_for_request(request)
    if not config.is_open:
        messages.error(request, _("The shop is closed at the moment, so nothing can be added."))
        return redirect("shop:cart")
    with transaction.atomic():
        basket = carts.cart_from_request(request) or Cart.objects.create()
        outcome = account.order_again(order, basket, config)
    if outcome.added:
        messages.success(
            request,
            _("Added to your basket from order %(number)s, at today's prices: %(items)s.")
            % {"number": order.number, "items": ", ".join(outcome.added)},
        )
    else:
        messages.error(
            request,
            _("Nothing from order %(number)s could be added to your basket.")
            % {"number": order.number},
        )
    for sentence in outcome.not_added:
        messages.warning(request, sentence)
    return carts.remember(redirect("shop:cart"), basket)
