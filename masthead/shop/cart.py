"""The reader's basket: found by a signed cookie, changed only through these functions.

A guest basket lives in the database and is found by its uuid in the ``masthead_cart``
cookie, signed with SECRET_KEY so no one can guess or forge another reader's basket. The
cookie lasts SHOP_CART_RETENTION_DAYS (60 by default), as long as an untouched basket is
kept, so a basket survives the browser closing; it is HttpOnly and SameSite=Lax, so no
script reads it and no other site's form carries it.

Each line remembers the price the reader saw when adding it. When the catalogue price
changes the line is flagged (see ``pricing.quote``) until the reader accepts the new price:
the basket never silently charges more, or less, than what was shown.

A basket holds at most ``ShopSettings.max_units_per_item`` of an item whose stock is
tracked (one order may hold no more while the reader pays). A discount code that cannot be
applied gets one answer, whatever the reason (no such code, not active, not started,
expired, used up, or a minimum the basket does not reach), so trying codes tells no one
which exist; the views rate-limit the attempts too.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from masthead.shop import pricing
from masthead.shop.models import Cart, CartLine, Variant

COOKIE_NAME = "masthead_cart"
COOKIE_SALT = "masthead.shop.cart"
# A second, readable cookie that says only "this browser has a basket", so the header's
# script asks /shop/cart/summary/ for the count only then (every other reader costs nothing).
HINT_COOKIE_NAME = "masthead_basket"
MAX_QUANTITY = pricing.MAX_QUANTITY
UNUSABLE_CODE = gettext_lazy(
    "The code %(code)s cannot be used on this basket. Check how it is spelt; a code may "
    "also have ended, not have started yet, be used up or need more in the basket."
)


def cookie_max_age():
    """Seconds the basket cookie lasts: as long as an untouched basket is kept."""
    return settings.SHOP_CART_RETENTION_DAYS * 24 * 60 * 60


class CartError(ValueError):
    """A change to the basket that cannot be made; the message says why, for the reader."""


def cart_from_request(request):
    """The basket named by the request's cookie, or None (no cookie, a bad signature, an
    expired cookie or a basket that no longer exists)."""
    value = request.get_signed_cookie(
        COOKIE_NAME, default=None, salt=COOKIE_SALT, max_age=cookie_max_age()
    )
    try:
        cart_id = uuid.UUID(str(value))
    except ValueError:
        return None
    return Cart.objects.filter(pk=cart_id).first()


def remember(response, cart):
    """Set (or renew) the basket cookie on ``response``."""
    response.set_signed_cookie(
        COOKIE_NAME,
        str(cart.pk),
        salt=COOKIE_SALT,
        max_age=cookie_max_age(),
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    response.set_cookie(
        HINT_COOKIE_NAME,
        "1",
        max_age=cookie_max_age(),
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


def parse_quantity(value, *, allow_zero=False):
    """A quantity typed or posted by the reader, as an int in 1..99 (0..99 with
    ``allow_zero``); raises CartError with a clear message otherwise."""
    text = str(value if value is not None else "").strip()
    if not text:
        raise CartError(_("Please enter how many you would like."))
    if len(text) > 3 or not text.isdigit():
        raise CartError(_("The quantity must be a whole number from 1 to 99."))
    quantity = int(text)
    if quantity > MAX_QUANTITY or quantity < (0 if allow_zero else 1):
        raise CartError(_("The quantity must be a whole number from 1 to 99."))
    return quantity


def parse_id(value, what):
    """A primary key from a form field, or CartError naming ``what`` does not exist."""
    text = str(value if value is not None else "").strip()
    if not text or len(text) > 18 or not text.isdigit():
        raise CartError(_("That %(what)s does not exist.") % {"what": what})
    return int(text)


def buyable_variant(variant_id):
    """The variant with this id if it can be bought (it and its product are live)."""
    variant = (
        Variant.objects.select_related("product").filter(pk=parse_id(variant_id, _("item"))).first()
    )
    if variant is None:
        raise CartError(_("That item does not exist."))
    if not variant.product.live:
        raise CartError(_("%(item)s is no longer on sale.") % {"item": variant.product.title})
    return variant


def _check_most_per_order(variant, quantity, shop_settings):
    most = shop_settings.max_units_per_item
    if variant.track_stock and quantity > most:
        raise CartError(
            _("You can buy at most %(max)d of %(item)s in one order.")
            % {"max": most, "item": variant}
        )


def _check_stock(variant, quantity):
    if not variant.track_stock or variant.stock >= quantity:
        return
    if variant.stock <= 0:
        raise CartError(_("Sorry, %(item)s is sold out.") % {"item": variant})
    raise CartError(
        _("Sorry, only %(count)d left of %(item)s.") % {"count": variant.stock, "item": variant}
    )


def add(cart, variant_id, quantity, *, shop_settings=None):
    """Put ``quantity`` of a variant in the basket (added to any already there); returns
    the line. Refuses unknown or withdrawn items, bad quantities, more than 99 of one item,
    more of a tracked item than one order may hold (``shop_settings``, the default site's
    when None) and more than the stock left, with CartError."""
    shop_settings = shop_settings or pricing.shop_settings_for()
    variant = buyable_variant(variant_id)
    quantity = parse_quantity(quantity)
    with transaction.atomic():
        line = CartLine.objects.select_for_update().filter(cart=cart, variant=variant).first()
        wanted = quantity + (line.quantity if line else 0)
        if wanted > MAX_QUANTITY:
            raise CartError(
                _("You can have at most %(max)d of one item in your basket.")
                % {"max": MAX_QUANTITY}
            )
        _check_most_per_order(variant, wanted, shop_settings)
        _check_stock(variant, wanted)
        if line is None:
            try:
                with transaction.atomic():
                    line = CartLine.objects.create(
                        cart=cart,
                        variant=variant,
                        quantity=quantity,
                        price_when_added=variant.price,
                    )
            except IntegrityError:
                # The same basket added the same item in another tab at the same moment.
                line = CartLine.objects.select_for_update().get(cart=cart, variant=variant)
                line.quantity = line.quantity + quantity
                _check_most_per_order(variant, line.quantity, shop_settings)
                line.quantity = min(line.quantity, MAX_QUANTITY)
                line.save(update_fields=["quantity"])
        else:
            # The promise stays the one first shown; a changed price is flagged, not hidden.
            line.quantity = wanted
            line.save(update_fields=["quantity"])
        Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now())
    return line


def _line(cart, line_id):
    line = (
        CartLine.objects.select_related("variant__product")
        .filter(cart=cart, pk=parse_id(line_id, _("basket line")))
        .first()
    )
    if line is None:
        raise CartError(_("That item is no longer in your basket."))
    return line


def set_quantity(cart, line_id, quantity, *, shop_settings=None):
    """Change how many of a line the reader wants; 0 removes it. Returns the line, or None
    when removed."""
    quantity = parse_quantity(quantity, allow_zero=True)
    line = _line(cart, line_id)
    if quantity == 0:
        line.delete()
        return None
    if quantity > line.quantity:
        _check_most_per_order(line.variant, quantity, shop_settings or pricing.shop_settings_for())
        _check_stock(line.variant, quantity)
    line.quantity = quantity
    line.save(update_fields=["quantity"])
    return line


def remove(cart, line_id):
    """Take a line out of the basket."""
    _line(cart, line_id).delete()


def accept_prices(cart):
    """The reader accepts today's prices for every line whose price changed."""
    changed = 0
    for line in CartLine.objects.filter(cart=cart).select_related("variant"):
        if line.price_when_added != line.variant.price:
            line.price_when_added = line.variant.price
            line.save(update_fields=["price_when_added"])
            changed += 1
    return changed


def apply_discount(cart, code):
    """Keep a discount code on the basket if it can be used on it now, else CartError
    with UNUSABLE_CODE (the same for every reason: see the module docstring). Returns the
    DiscountCode."""
    cleaned = (code or "").strip().upper()
    if not cleaned:
        raise CartError(_("Please enter a discount code."))
    discount = pricing.find_discount(cleaned)
    if discount is not None:
        current = pricing.quote(cart.lines.all())
        if pricing.discount_refusal(discount, current.subtotal, current.currency):
            discount = None
    if discount is None:
        raise CartError(UNUSABLE_CODE % {"code": cleaned[:40]})
    cart.discount_code = discount.code
    cart.save(update_fields=["discount_code", "updated_at"])
    return discount


def remove_discount(cart):
    """Take the discount code off the basket."""
    cart.discount_code = ""
    cart.save(update_fields=["discount_code", "updated_at"])


def item_count(cart):
    """How many items (units) are in the basket."""
    if cart is None:
        return 0
    return CartLine.objects.filter(cart=cart).aggregate(count=Sum("quantity"))["count"] or 0


def take_out_ordered(cart_id, ordered):
    """Remove what an order bought from the basket it came from: ``ordered`` maps variant
    id to quantity. Lines the reader added since starting to pay stay."""
    for variant_id, quantity in ordered.items():
        lines = CartLine.objects.filter(cart_id=cart_id, variant_id=variant_id)
        lines.filter(quantity__lte=quantity).delete()
        lines.filter(quantity__gt=quantity).update(quantity=F("quantity") - quantity)
    Cart.objects.filter(pk=cart_id).update(discount_code="", updated_at=timezone.now())


def delete_stale_carts():
    """Delete baskets nobody has touched for SHOP_CART_RETENTION_DAYS days (their cookie has
    expired)."""
    cutoff = timezone.now() - timedelta(days=settings.SHOP_CART_RETENTION_DAYS)
    deleted, _by_model = Cart.objects.filter(updated_at__lt=cutoff).delete()
    return deleted
