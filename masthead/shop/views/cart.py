"""The basket: adding from the (cached) catalogue, the basket page, changing it, and the
small count the header asks for.

The add-to-basket form sits on catalogue pages cached whole for anonymous readers, so it
carries no CSRF token: ``add`` is CSRF-exempt and defends itself instead. It refuses a post
whose Origin (or Referer) is not this site and rate-limits per IP, and all it can do is put
an item the reader can see into the reader's own basket (the basket cookie is SameSite=Lax,
so another site's form never carries it anyway). Everything else here is per reader:
never cached, and its forms carry a CSRF token as usual.

Per-IP limits count an IPv6 /64 as one client (``ratelimit.client_network``). Discount
codes are rate-limited per basket and per network, on top of the one answer every unusable
code gets (``cart.apply_discount``), so codes cannot be found by trying them.
"""

import logging

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from masthead.core import ratelimit
from masthead.core.origin import is_same_site
from masthead.shop import cart as carts
from masthead.shop import checkout, pricing
from masthead.shop.models import Cart

logger = logging.getLogger("masthead.shop")

# Below this many units left, a basket line says how many remain.
LOW_STOCK = 5


def _cart_page(request, cart, *, error="", status=200):
    """The basket page: its lines with their flags, the totals, and the way to checkout."""
    config = pricing.shop_settings_for_request(request)
    lines = list(cart.lines.select_related("variant__product")) if cart else []
    discount = cart.discount_code if cart else ""
    quote = pricing.quote(
        lines,
        discount=discount or None,
        shop_settings=config,
        held=pricing.held_for_cart(cart),
    )
    rows = list(zip(lines, quote.lines, strict=True))
    return render(
        request,
        "shop/cart.html",
        {
            "cart": cart,
            "rows": rows,
            "quote": quote,
            "shop": config,
            "error": error,
            "low_stock": LOW_STOCK,
            "price_changes": any(line.price_changed for line in quote.lines),
            "can_checkout": config.is_open and quote.is_buyable,
        },
        status=status,
    )


@never_cache
@require_GET
def cart(request):
    """The reader's basket."""
    return _cart_page(request, carts.cart_from_request(request))


def _next_url(request):
    """Where to go after adding: a page of this site the form named, else the basket."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "shop:cart"


@csrf_exempt
@never_cache
def add(request):
    """Put an item in the basket (creating the basket and its cookie on the first add)."""
    if request.method != "POST":
        return redirect("shop:cart")
    if not is_same_site(request):
        return render(request, "shop/refused.html", status=403)
    limit, window = settings.SHOP_CART_ADD_LIMIT_PER_IP
    network = ratelimit.client_network(request) or "unknown"
    if not ratelimit.allow(
        f"shop-cart-add:{network}", limit, window, when_unavailable=ratelimit.ALLOW
    ):
        return render(request, "shop/rate_limited.html", status=429)
    existing = carts.cart_from_request(request)
    config = pricing.shop_settings_for_request(request)
    if not config.is_open:
        return _cart_page(
            request,
            existing,
            error=_("The shop is closed at the moment, so nothing can be added."),
            status=400,
        )
    try:
        with transaction.atomic():
            basket = existing or Cart.objects.create()
            line = carts.add(
                basket,
                request.POST.get("variant"),
                request.POST.get("quantity"),
                shop_settings=config,
            )
    except carts.CartError as error:
        return _cart_page(request, existing, error=str(error), status=400)
    messages.success(
        request,
        _("Added to your basket: %(quantity)d of %(item)s.")
        % {"quantity": carts.parse_quantity(request.POST.get("quantity")), "item": line.variant},
    )
    checkout.remember_attribution(request)
    return carts.remember(redirect(_next_url(request)), basket)


class TooManyCodes(carts.CartError):
    """More discount codes tried from this basket or network than the limits allow."""


def _count_code_attempt(request, basket):
    """Count one discount code tried, per basket and per network; TooManyCodes once
    either limit is reached."""
    network = ratelimit.client_network(request) or "unknown"
    for key, (limit, window) in (
        (f"shop-discount-basket:{basket.pk}", settings.SHOP_DISCOUNT_LIMIT_PER_BASKET),
        (f"shop-discount-network:{network}", settings.SHOP_DISCOUNT_LIMIT_PER_IP),
    ):
        if not ratelimit.allow(key, limit, window, when_unavailable=ratelimit.REFUSE):
            raise TooManyCodes(
                _("Too many codes were tried just now. Please wait a while and try again.")
            )


def _apply(request, basket):
    """Do what the basket form asked; returns the message to show."""
    action = request.POST.get("action", "")
    if action == "update":
        line = carts.set_quantity(
            basket,
            request.POST.get("line"),
            request.POST.get("quantity"),
            shop_settings=pricing.shop_settings_for_request(request),
        )
        if line is None:
            return _("The item was removed from your basket.")
        return _("Quantity updated.")
    if action == "remove":
        carts.remove(basket, request.POST.get("line"))
        return _("The item was removed from your basket.")
    if action == "apply_discount":
        _count_code_attempt(request, basket)
        discount = carts.apply_discount(basket, request.POST.get("code", ""))
        return _("The code %(code)s (%(label)s) is applied.") % {
            "code": discount.code,
            "label": discount.label,
        }
    if action == "remove_discount":
        carts.remove_discount(basket)
        return _("The discount code was removed.")
    if action == "accept_prices":
        carts.accept_prices(basket)
        return _("Your basket now uses today's prices.")
    raise carts.CartError(_("Choose what to change in your basket."))


@never_cache
@require_POST
def update(request):
    """Change the basket: a quantity, removing a line, a discount code, or accepting new
    prices."""
    basket = carts.cart_from_request(request)
    if basket is None:
        return _cart_page(request, None, error=_("Your basket is empty."), status=400)
    try:
        with transaction.atomic():
            message = _apply(request, basket)
    except TooManyCodes as error:
        return _cart_page(request, basket, error=str(error), status=429)
    except carts.CartError as error:
        return _cart_page(request, basket, error=str(error), status=400)
    messages.success(request, message)
    return carts.remember(redirect("shop:cart"), basket)


@never_cache
@require_GET
def summary(request):
    """How many items are in the reader's basket, for the header link (never cached; sets
    no cookie)."""
    return JsonResponse({"count": carts.item_count(carts.cart_from_request(request))})
