"""What a basket costs, worked out from the database alone.

``quote`` is the one place prices are computed: the cart page, every checkout step and the
payment all call it, and none of them takes a price, a quantity's value or a currency from
the reader's browser. It reads each variant's current price and stock, checks the discount
code, picks the shipping zone and rate, and says what (if anything) stands in the way of
buying: a price that changed since the item went into the basket, stock that ran out, an
item taken off sale, more of a tracked item than one order may hold
(``ShopSettings.max_units_per_item``), or a country the shop does not ship to.

All money is integer minor units in the shop's currency (``ShopSettings.currency``).
"""

from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from wagtail.models import Site

from masthead.core import ratelimit
from masthead.payments.money import format_money
from masthead.shop.countries import country_name
from masthead.shop.models import (
    DiscountCode,
    Order,
    OrderLine,
    ShippingRate,
    ShippingZone,
    ShopSettings,
    Variant,
)

MAX_QUANTITY = 99
# An order holding or having used a code counts towards its per-customer limit.
COUNTED_DISCOUNT_STATES = (Order.DiscountState.HELD, Order.DiscountState.COMMITTED)


@dataclass(frozen=True)
class LineRequest:
    """A variant and how many, as a basket line or a test asks for it. ``price_when_added``
    is the price the reader saw (None when there is no such promise to check)."""

    variant_id: int
    quantity: int
    price_when_added: int | None = None


@dataclass
class PricedLine:
    """One line of a quote, priced from the database."""

    variant: Variant | None
    variant_id: int
    quantity: int
    unit_price: int
    line_total: int
    price_when_added: int | None = None
    discount_share: int = 0
    problem: str = ""
    # Units of this variant the reader's own unpaid order holds; starting to pay again
    # releases that order first, so they count as the reader's to buy.
    held_for_reader: int = 0

    @property
    def price_changed(self):
        return self.price_when_added is not None and self.price_when_added != self.unit_price

    @property
    def stock_left(self):
        """Units that can still be sold, or None when the variant's stock is not tracked."""
        if self.variant is None or not self.variant.track_stock:
            return None
        return self.variant.stock + self.held_for_reader

    @property
    def available(self):
        """On sale, with enough stock for the quantity asked for."""
        if self.variant is None or not self.variant.product.live:
            return False
        left = self.stock_left
        return left is None or left >= self.quantity

    @property
    def sold_out(self):
        return self.stock_left is not None and self.stock_left <= 0

    @property
    def name(self):
        return str(self.variant) if self.variant is not None else _("An item no longer sold")

    @property
    def paid_amount(self):
        return self.line_total - self.discount_share


@dataclass(frozen=True)
class ShippingOption:
    """A way to send this basket to the chosen country, at its price for this basket."""

    rate_id: int
    name: str
    price: int
    delivery_estimate: str = ""
    free: bool = False


@dataclass
class Quote:
    """Everything the reader pays for a basket, and what stops them paying now."""

    currency: str
    lines: list[PricedLine]
    subtotal: int = 0
    weight_grams: int = 0
    discount: DiscountCode | None = None
    discount_code: str = ""
    discount_total: int = 0
    # Why a code the reader entered is not taking anything off (not a blocking problem).
    discount_message: str = ""
    country: str = ""
    zone: ShippingZone | None = None
    shipping_options: list[ShippingOption] = field(default_factory=list)
    shipping: ShippingOption | None = None
    shipping_total: int = 0
    vat_total: int = 0
    vat_rate_basis_points: int = 0
    total: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def is_buyable(self):
        return bool(self.lines) and not self.problems

    @property
    def item_count(self):
        return sum(line.quantity for line in self.lines)

    @property
    def items_after_discount(self):
        return self.subtotal - self.discount_total


def shop_settings_for(site=None):
    """The ShopSettings of ``site`` (the default site when None)."""
    if site is None:
        site = Site.objects.filter(is_default_site=True).first() or Site.objects.first()
    return ShopSettings.for_site(site) if site is not None else ShopSettings()


def shop_settings_for_request(request):
    """The ShopSettings of the site serving ``request``."""
    return ShopSettings.for_request(request)


def _money(amount, currency):
    return format_money(amount, currency)


# --- Discounts ------------------------------------------------------------------------------------


def find_discount(code):
    """The DiscountCode whose code is ``code`` (any case, spaces trimmed), or None."""
    cleaned = (code or "").strip().upper()
    if not cleaned or len(cleaned) > 40:
        return None
    return DiscountCode.objects.filter(code=cleaned).first()


def uses_by_customer(discount, email):
    """How many orders to the mailbox ``email`` reaches (``ratelimit.mailbox``, so a +tag
    or Gmail's dots make no new customer) hold or have used ``discount``."""
    mailbox = ratelimit.mailbox(email)
    if not mailbox:
        return 0
    return Order.objects.filter(
        discount=discount, mailbox=mailbox, discount_state__in=COUNTED_DISCOUNT_STATES
    ).count()


def discount_refusal(discount, items_total, currency, email="", now=None):
    """Why ``discount`` cannot be used on items worth ``items_total`` by ``email`` now, as a
    sentence for the reader; "" when it can."""
    now = now or timezone.now()
    code = discount.code
    if not discount.active:
        return _("The code %(code)s is no longer active.") % {"code": code}
    if discount.starts_at and discount.starts_at > now:
        return _("The code %(code)s can be used from %(date)s.") % {
            "code": code,
            "date": date_format(timezone.localtime(discount.starts_at), "j F Y"),
        }
    if discount.expires_at and discount.expires_at <= now:
        return _("The code %(code)s expired on %(date)s.") % {
            "code": code,
            "date": date_format(timezone.localtime(discount.expires_at), "j F Y"),
        }
    if items_total < discount.minimum_order:
        return _("The code %(code)s needs at least %(minimum)s of items in your basket.") % {
            "code": code,
            "minimum": _money(discount.minimum_order, currency),
        }
    if discount.usage_limit is not None and discount.times_used >= discount.usage_limit:
        return _("The code %(code)s has been used up.") % {"code": code}
    if (
        discount.per_customer_limit is not None
        and email
        and uses_by_customer(discount, email) >= discount.per_customer_limit
    ):
        return _("You have already used the code %(code)s as often as it allows.") % {"code": code}
    return ""


def discount_amount(discount, items_total):
    """What ``discount`` takes off items worth ``items_total``: a percentage rounded half
    up, or a fixed amount, never more than the items cost."""
    if discount.kind == DiscountCode.Kind.PERCENT:
        amount = (items_total * discount.value + 50) // 100
    else:
        amount = discount.value
    return max(0, min(amount, items_total))


def allocate(total, weights):
    """Split ``total`` across lines in proportion to ``weights`` (their totals), rounding
    down, then the pence left over to the last lines that can take them; the shares sum
    to ``total`` exactly and no share exceeds its line's weight."""
    base = sum(weights)
    if base <= 0 or total <= 0:
        return [0] * len(weights)
    shares = [total * weight // base for weight in weights]
    left = total - sum(shares)
    for index in reversed(range(len(weights))):
        if left <= 0:
            break
        room = min(weights[index] - shares[index], left)
        shares[index] += room
        left -= room
    return shares


# --- Shipping -------------------------------------------------------------------------------------


def zone_for(country):
    """The shipping zone covering ``country``: the first zone that names it, else the first
    zone with no countries (the rest of the world), else None."""
    country = (country or "").strip().upper()
    zones = list(ShippingZone.objects.prefetch_related("rates"))
    for zone in zones:
        if country in zone.country_codes:
            return zone
    for zone in zones:
        if not zone.country_codes:
            return zone
    return None


def shipping_options(zone, value, weight):
    """The zone's rates that cover an order worth ``value`` (after discount) weighing
    ``weight`` grams, cheapest first; all free when the value reaches the zone's
    free-shipping threshold."""
    if zone is None:
        return []
    free = zone.free_shipping_threshold is not None and value >= zone.free_shipping_threshold
    options = [
        ShippingOption(
            rate_id=rate.pk,
            name=rate.name,
            price=0 if free else rate.price,
            delivery_estimate=rate.delivery_estimate,
            free=free,
        )
        for rate in zone.rates.all()
        if rate.applies_to(value, weight)
    ]
    return sorted(options, key=lambda option: (option.price, option.name))


# --- The quote ------------------------------------------------------------------------------------


def _loaded_variants(lines):
    """(variant id, variant) of the lines that were read with their variant and its product."""
    for line in lines:
        if isinstance(line, LineRequest) or not type(line).variant.is_cached(line):
            continue
        variant = line.variant
        if variant is not None and type(variant).product.is_cached(variant):
            yield variant.pk, variant


def _as_request(line):
    if isinstance(line, LineRequest):
        return line
    return LineRequest(
        variant_id=line.variant_id,
        quantity=line.quantity,
        price_when_added=getattr(line, "price_when_added", None),
    )


def held_for_cart(cart):
    """Units per variant that unpaid orders started from ``cart`` hold (a reader who came
    back from the payment page to the basket): {variant id: quantity}."""
    if cart is None:
        return {}
    held = {}
    for variant_id, quantity in OrderLine.objects.filter(
        order__cart=cart,
        order__status=Order.Status.AWAITING_PAYMENT,
        stock_state=OrderLine.StockState.HELD,
    ).values_list("variant_id", "quantity"):
        held[variant_id] = held.get(variant_id, 0) + quantity
    return held


def _price_line(request, variant, currency, held=0, max_units=None):
    quantity = request.quantity
    if variant is None or not variant.product.live:
        return PricedLine(
            variant=variant,
            variant_id=request.variant_id,
            quantity=quantity,
            unit_price=variant.price if variant else 0,
            line_total=0,
            price_when_added=request.price_when_added,
            problem=_("%(item)s is no longer on sale; please remove it.")
            % {"item": str(variant) if variant else _("An item")},
        )
    line = PricedLine(
        variant=variant,
        variant_id=variant.pk,
        quantity=quantity,
        unit_price=variant.price,
        line_total=variant.price * quantity,
        price_when_added=request.price_when_added,
        held_for_reader=held,
    )
    left = line.stock_left
    if left is not None and max_units is not None and quantity > max_units:
        line.problem = _(
            "You can buy at most %(max)d of %(item)s in one order; please lower the quantity."
        ) % {"max": max_units, "item": variant}
    elif left is not None and left < quantity:
        if left <= 0:
            line.problem = _("%(item)s is sold out; please remove it.") % {"item": variant}
        else:
            line.problem = _("Only %(count)d left of %(item)s; please lower the quantity.") % {
                "count": left,
                "item": variant,
            }
    elif line.price_changed:
        line.problem = _(
            "The price of %(item)s changed from %(old)s to %(new)s; please accept the new price."
        ) % {
            "item": variant,
            "old": _money(request.price_when_added, currency),
            "new": _money(variant.price, currency),
        }
    return line


def quote(
    lines,
    *,
    country=None,
    shipping_rate=None,
    discount=None,
    email="",
    shop_settings=None,
    held=None,
):
    """Price ``lines`` (basket lines or LineRequests) from the database.

    ``country`` (ISO code) picks the shipping zone and its options; ``shipping_rate`` (a
    ShippingRate or its id) the one chosen; ``discount`` is a DiscountCode or a code typed
    by the reader; ``email`` counts the reader's earlier uses of the code; ``held`` (from
    ``held_for_cart``) is stock the reader's own unpaid order holds. Returns a Quote
    whose ``problems`` list what must change before the reader can pay.
    """
    settings_ = shop_settings or shop_settings_for()
    currency = settings_.currency
    lines = list(lines)
    requests = [_as_request(line) for line in lines]
    # Basket lines read with their variants and products (select_related) bring them along;
    # any other variant is read here.
    variants = dict(_loaded_variants(lines))
    missing = [request.variant_id for request in requests if request.variant_id not in variants]
    if missing:
        variants.update(Variant.objects.select_related("product").in_bulk(missing))
    held = held or {}
    priced = [
        _price_line(
            request,
            variants.get(request.variant_id),
            currency,
            held.get(request.variant_id, 0),
            settings_.max_units_per_item,
        )
        for request in requests
    ]
    result = Quote(currency=currency, lines=priced)
    result.problems = [line.problem for line in priced if line.problem]
    result.subtotal = sum(line.line_total for line in priced)
    result.weight_grams = sum(
        line.variant.weight_grams * line.quantity for line in priced if line.variant
    )

    if isinstance(discount, str):
        result.discount_code = discount.strip().upper()
        found = find_discount(discount) if result.discount_code else None
        if result.discount_code and found is None:
            result.discount_message = _("There is no discount code %(code)s.") % {
                "code": result.discount_code[:40]
            }
        discount = found
    if discount is not None:
        result.discount_code = discount.code
        refusal = discount_refusal(discount, result.subtotal, currency, email)
        if refusal:
            result.discount_message = refusal
        else:
            result.discount = discount
            result.discount_total = discount_amount(discount, result.subtotal)
            shares = allocate(result.discount_total, [line.line_total for line in priced])
            for line, share in zip(priced, shares, strict=True):
                line.discount_share = share

    if country:
        result.country = country.strip().upper()
        result.zone = zone_for(result.country)
        result.shipping_options = shipping_options(
            result.zone, result.items_after_discount, result.weight_grams
        )
        if not result.shipping_options:
            result.problems.append(
                _("Sorry, we do not ship to %(country)s yet.")
                % {"country": country_name(result.country)}
            )
    if shipping_rate is not None:
        rate_id = shipping_rate.pk if isinstance(shipping_rate, ShippingRate) else shipping_rate
        chosen = [option for option in result.shipping_options if option.rate_id == rate_id]
        if chosen:
            result.shipping = chosen[0]
            result.shipping_total = chosen[0].price
        elif result.shipping_options:
            result.problems.append(
                _("That delivery option is not available for this order; please choose again.")
            )

    result.total = result.items_after_discount + result.shipping_total
    result.vat_total = settings_.vat_included(result.total)
    result.vat_rate_basis_points = settings_.vat_rate_basis_points if result.vat_total else 0
    return result


def digest_fields(result):
    """The figures a review page shows and a payment must match, as plain values."""
    return {
        "currency": result.currency,
        "lines": [
            [line.variant_id, line.quantity, line.unit_price, line.discount_share]
            for line in result.lines
        ],
        "subtotal": result.subtotal,
        "discount": [result.discount.code if result.discount else "", result.discount_total],
        "shipping": [result.shipping.rate_id if result.shipping else None, result.shipping_total],
        "total": result.total,
    }
