"""Turning a basket into an order the reader pays for, and letting go of unpaid ones.

``start_order`` is the one way an order comes to exist. In a single transaction it
re-prices the basket from the database, creates the order with copies of every line, takes
each tracked line's units off sale with a conditional update (``stock >= quantity``, so two
readers can never both get the last one: the loser's whole transaction rolls back with
SoldOut), and claims one use of the discount code with its row locked. Only after that
commits does it ask the payment provider for a checkout page, so a slow provider never
holds a lock; if the provider refuses, the units and the code go straight back.

Choices made here:

- **The discount's last use.** When several readers race for the last use of a code, the
  first to commit gets it; the others are refused with DiscountUnavailable (their review
  page then shows the code as used up and the total without it), rather than being
  charged a price they did not see.
- **A second checkout from the same basket.** Starting to pay again (a second tab, or back
  from the payment page) releases the earlier unpaid order from that basket first, so one
  basket never holds stock twice, and asks the provider to end the earlier checkout page.
  If the reader manages to pay it anyway, the payment handler re-takes the stock or
  refunds (see ``payment_events``).
- **The basket** is emptied of what was bought only when the payment arrives, so an
  abandoned payment leaves it as it was.
- **Holding stock is bounded per buyer**, because held units are unavailable to everyone
  else until paid for or released: one order holds at most
  ``ShopSettings.max_units_per_item`` of a tracked item (``pricing.quote`` flags more), and
  one IP network (an IPv6 /64 counts as one) or one mailbox has at most
  ``max_unpaid_orders_per_network`` / ``_per_email`` orders holding stock and awaiting
  payment (UnpaidOrdersLimit). The checkout view also rate-limits starting to pay per
  network and per mailbox. The count is made inside the order's transaction; two checkouts
  racing from one network may both pass it, which the rate limit bounds.
- **Sold out** clears only the cached pages that show the item
  (``display.availability_changed``), never the whole page cache.

The order's payment reference is its primary key (``str(order.pk)``); the handler also
checks the provider's checkout id against the order's.
"""

import hmac
import json
import logging
from dataclasses import asdict, dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from masthead.audience import attribution as audience
from masthead.audience.models import Conversion
from masthead.core import ratelimit
from masthead.core.sites import absolute_url
from masthead.payments import services as payments
from masthead.payments.money import InvalidAmount, validate_amount
from masthead.payments.providers.base import CheckoutRequest, LineItem, PaymentProviderError
from masthead.shop import display, history, orders, pricing, stock
from masthead.shop.models import DiscountCode, Order, OrderEvent, OrderLine, Variant

logger = logging.getLogger("masthead.shop")

PURPOSE = "order"
# How an order is named in audience's conversions (with its primary key).
CONVERSION_SOURCE = "shop.Order"
# The attribution of the add to basket that began the visit's shopping, so the order can
# name the article the item was found from (checkout's own pages are not articles).
ATTRIBUTION_SESSION_KEY = "shop_attribution"
DIGEST_SALT = "masthead.shop.checkout.review"
NETWORK_SALT = "masthead.shop.checkout.network"
NEWSLETTER_WORDING_VERSION = "shop-checkout-1"
# Beside the newsletter box at checkout, which starts unticked: under PECR's soft opt-in the
# shop may only send its newsletter to a customer who ticks it. Recorded with the consent.
NEWSLETTER_WORDING = gettext_lazy(
    "Yes, also send me the newsletter. We will email you a link to confirm, and you can "
    "unsubscribe at any time."
)


class CheckoutError(ValueError):
    """The order cannot be started as asked; the message says why, for the reader."""


class SoldOut(CheckoutError):
    """Another reader took the last units of an item while this one was checking out."""

    def __init__(self, item):
        self.item = item
        super().__init__(
            _("Sorry, %(item)s sold out while you were checking out. Nothing was charged.")
            % {"item": item}
        )


class DiscountUnavailable(CheckoutError):
    """The discount code can no longer be used (its last use went to someone else)."""


class UnpaidOrdersLimit(CheckoutError):
    """This buyer (network or mailbox) already has as many unpaid orders holding stock as
    the shop allows."""

    def __init__(self):
        super().__init__(
            _(
                "You already have orders waiting for payment. Please pay for one of them, or "
                "wait until it runs out, before starting another."
            )
        )


class PaymentUnavailable(CheckoutError):
    """The payment provider could not open a checkout; nothing is held and nothing charged."""


class PricesChanged(CheckoutError):
    """What the reader reviewed is not what the basket costs now."""

    def __init__(self):
        super().__init__(
            _("Prices or items changed since you reviewed your order; please review it again.")
        )


@dataclass(frozen=True)
class CheckoutDetails:
    """Who the order is for and where it goes, as the details step validated them."""

    email: str
    full_name: str
    address_line1: str
    city: str
    country: str
    address_line2: str = ""
    region: str = ""
    postcode: str = ""
    phone: str = ""
    newsletter_opt_in: bool = False

    def as_dict(self):
        return asdict(self)

    @classmethod
    def from_dict(cls, data):
        """Details kept in the session, or None when they are missing or malformed."""
        if not isinstance(data, dict):
            return None
        try:
            return cls(**{name: data[name] for name in cls.__dataclass_fields__ if name in data})
        except TypeError:
            return None


@dataclass(frozen=True)
class StartedOrder:
    """An order holding its stock, and the payment page to send the reader to."""

    order: Order
    checkout_url: str


def shop_settings(site=None):
    """The ShopSettings of ``site`` (the default site when None)."""
    return pricing.shop_settings_for(site)


def quote_for(cart, details=None, shipping_rate_id=None, shop_settings_=None):
    """The basket priced for these details (country, email) and delivery option."""
    return pricing.quote(
        cart.lines.select_related("variant__product"),
        country=details.country if details else None,
        shipping_rate=shipping_rate_id,
        discount=cart.discount_code or None,
        email=details.email if details else "",
        shop_settings=shop_settings_,
        held=pricing.held_for_cart(cart),
    )


def quote_digest(quote):
    """A keyed digest of what a review page showed: lines, prices, discount, delivery and
    total. The payment is refused unless the basket still prices to the same digest."""
    canonical = json.dumps(pricing.digest_fields(quote), sort_keys=True, separators=(",", ":"))
    return signing.Signer(salt=DIGEST_SALT).signature(canonical)


def digest_matches(quote, digest):
    """Whether ``digest`` (from the review page) is what ``quote`` costs now."""
    return isinstance(digest, str) and hmac.compare_digest(quote_digest(quote), digest)


# --- Starting an order ----------------------------------------------------------------------------


def _release_earlier_orders(cart):
    """Let go of unpaid orders started earlier from this basket (see the module docstring)."""
    earlier = Order.objects.select_for_update().filter(
        cart=cart, status=Order.Status.AWAITING_PAYMENT
    )
    for order in earlier:
        if _expire(order, OrderEvent.Kind.CHECKOUT_REPLACED):
            orders.end_provider_checkout(order)


def network_digest(network):
    """What an order keeps of the reader's IP network: a keyed digest, "" when unknown."""
    if not network:
        return ""
    return salted_hmac(NETWORK_SALT, network).hexdigest()[:32]


def _holds_stock(quote):
    return any(line.variant is not None and line.variant.track_stock for line in quote.lines)


def _check_unpaid_limits(details, network, config):
    """Refuse (UnpaidOrdersLimit) when the reader's network or mailbox already has the
    most unpaid orders holding stock that the shop allows. Orders from the same basket were
    released just before, so a reader starting again is never counted against themselves."""
    unpaid = Order.objects.filter(
        status=Order.Status.AWAITING_PAYMENT,
        reserved_until__gt=timezone.now(),
        lines__stock_state=OrderLine.StockState.HELD,
    )
    by_mailbox = unpaid.filter(mailbox=ratelimit.mailbox(details.email))
    if by_mailbox.values("pk").distinct().count() >= config.max_unpaid_orders_per_email:
        raise UnpaidOrdersLimit()
    if network:
        by_network = unpaid.filter(client_network=network)
        if by_network.values("pk").distinct().count() >= config.max_unpaid_orders_per_network:
            raise UnpaidOrdersLimit()


def _create_order(cart, details, quote, config, network):
    return Order.objects.create(
        email=details.email,
        client_network=network,
        # The provider the order will be paid through, known before its checkout exists,
        # so an event from any other provider is never taken for its payment.
        provider=settings.PAYMENTS_PROVIDER,
        currency=quote.currency,
        subtotal=quote.subtotal,
        discount_total=quote.discount_total,
        shipping_total=quote.shipping_total,
        total=quote.total,
        vat_total=quote.vat_total,
        vat_rate_basis_points=quote.vat_rate_basis_points,
        discount=quote.discount,
        discount_code=quote.discount.code if quote.discount else "",
        full_name=details.full_name,
        address_line1=details.address_line1,
        address_line2=details.address_line2,
        city=details.city,
        region=details.region,
        postcode=details.postcode,
        country=details.country,
        phone=details.phone,
        shipping_zone_name=quote.zone.name if quote.zone else "",
        shipping_method=quote.shipping.name if quote.shipping else "",
        newsletter_opt_in=details.newsletter_opt_in,
        cart=cart,
        reserved_until=timezone.now() + timedelta(minutes=config.reservation_minutes),
    )


def _take_stock(order, quote):
    """Copy the lines into the order and take each tracked line's units off sale. Returns
    the ids of the variants now sold out (the cached catalogue must then say so)."""
    sold_out_now = []
    # Locking rows in one order (by variant id) keeps concurrent checkouts from deadlocking.
    for line in sorted(quote.lines, key=lambda line: line.variant_id):
        variant = line.variant
        tracked = variant.track_stock
        if tracked:
            taken = Variant.objects.filter(pk=variant.pk, stock__gte=line.quantity).update(
                stock=F("stock") - line.quantity
            )
            if not taken:
                raise SoldOut(variant)
            if not Variant.objects.filter(pk=variant.pk, stock__gt=0).exists():
                sold_out_now.append(variant.pk)
        OrderLine.objects.create(
            order=order,
            variant=variant,
            product_title=variant.product.title,
            variant_label=variant.label,
            sku=variant.sku,
            unit_price=line.unit_price,
            unit_cost=variant.cost,
            quantity=line.quantity,
            line_total=line.line_total,
            discount_share=line.discount_share,
            stock_state=OrderLine.StockState.HELD if tracked else OrderLine.StockState.UNTRACKED,
            fulfilment=variant.fulfilment,
        )
    return sold_out_now


def _claim_discount(order, quote, email):
    """Take one use of the order's code, with its row locked so the last use goes once."""
    if quote.discount is None:
        return
    discount = DiscountCode.objects.select_for_update().get(pk=quote.discount.pk)
    refusal = pricing.discount_refusal(discount, quote.subtotal, quote.currency, email)
    if refusal:
        raise DiscountUnavailable(refusal)
    DiscountCode.objects.filter(pk=discount.pk).update(times_used=F("times_used") + 1)
    Order.objects.filter(pk=order.pk).update(discount_state=Order.DiscountState.HELD)
    order.discount_state = Order.DiscountState.HELD


def line_items(order):
    """The order as the provider's line items, summing exactly to its total: each line at
    its unit price net of its discount share when that divides evenly, else as one item
    for the whole line; then the delivery."""
    items = []
    for line in order.lines.all():
        name = " — ".join(part for part in (line.product_title, line.variant_label) if part)
        paid = line.paid_amount
        if paid <= 0:
            continue
        if paid % line.quantity == 0:
            items.append(
                LineItem(name=name[:250], amount=paid // line.quantity, quantity=line.quantity)
            )
        else:
            items.append(LineItem(name=f"{line.quantity} x {name}"[:250], amount=paid, quantity=1))
    if order.shipping_total:
        items.append(
            LineItem(
                name=(_("Delivery: %(method)s") % {"method": order.shipping_method})[:250],
                amount=order.shipping_total,
            )
        )
    return items


def remember_attribution(request):
    """Keep what the add-to-basket form says about the visit (the article the item was
    found from, the entry referrer) for the order, unless it says nothing."""
    found = audience.capture(request)
    if found.article_id or found.entry_referrer or found.utm_source or found.campaign_id:
        earlier = audience.Attribution.from_dict(request.session.get(ATTRIBUTION_SESSION_KEY))
        request.session[ATTRIBUTION_SESSION_KEY] = found.or_else(earlier).as_dict()


def checkout_attribution(request):
    """The attribution of the checkout's details form, completed from the basket's."""
    earlier = audience.Attribution.from_dict(request.session.get(ATTRIBUTION_SESSION_KEY))
    return audience.capture(request).or_else(earlier)


def start_order(
    cart,
    details,
    shipping_rate_id,
    *,
    digest=None,
    site=None,
    client_network=None,
    attribution=None,
):
    """Create the order for ``cart`` holding its stock, and open its payment page.

    ``digest`` (from the review page) must match what the basket costs now, else
    PricesChanged. ``client_network`` (``ratelimit.client_network``) is the reader's IP
    network, which the limit on unpaid orders counts. ``attribution`` (an
    ``audience.attribution.Attribution``) records the order as a conversion with its
    total, completed when it is paid. Raises CheckoutError (or SoldOut,
    DiscountUnavailable, UnpaidOrdersLimit) with a message for the reader; then no order is
    left holding anything and nothing is charged.
    """
    config = shop_settings(site)
    if not config.is_open:
        raise CheckoutError(_("The shop is closed at the moment, so nothing can be bought."))
    quote = quote_for(cart, details, shipping_rate_id, config)
    if not quote.lines:
        raise CheckoutError(_("Your basket is empty."))
    if quote.problems:
        raise CheckoutError(quote.problems[0])
    if quote.shipping is None:
        raise CheckoutError(_("Please choose how your order should be delivered."))
    if digest is not None and not digest_matches(quote, digest):
        raise PricesChanged()
    try:
        validate_amount(quote.total, quote.currency)
    except InvalidAmount as error:
        raise CheckoutError(str(error)) from error

    network = network_digest(client_network)
    with transaction.atomic():
        _release_earlier_orders(cart)
        if _holds_stock(quote):
            _check_unpaid_limits(details, network, config)
        order = _create_order(cart, details, quote, config, network)
        sold_out_now = _take_stock(order, quote)
        _claim_discount(order, quote, details.email)
        orders.assign_number(order)
        history.record(order, OrderEvent.Kind.CHECKOUT_STARTED)
        if attribution is not None:
            audience.record(
                attribution,
                Conversion.Kind.ORDER,
                CONVERSION_SOURCE,
                order.pk,
                amount=order.total,
                currency=order.currency,
            )
        display.availability_changed(sold_out_now)

    try:
        checkout = payments.start_checkout(
            CheckoutRequest(
                purpose=PURPOSE,
                reference=str(order.pk),
                mode="payment",
                currency=order.currency,
                line_items=line_items(order),
                success_url=absolute_url(reverse("shop:order", args=[order.token])),
                cancel_url=absolute_url(reverse("shop:cart")),
                customer_email=order.email,
                metadata={"order_number": order.number},
                expires_at=order.reserved_until,
                idempotency_key=f"order-{order.pk}",
            )
        )
    except (
        PaymentProviderError,
        payments.PaymentsUnavailable,
        payments.InvalidCheckout,
        InvalidAmount,
    ) as error:
        logger.warning("Could not open a checkout for order %s: %s", order.number, error)
        with transaction.atomic():
            locked = Order.objects.select_for_update().get(pk=order.pk)
            stock.release_stock(locked)
            Order.objects.filter(pk=order.pk).update(
                status=Order.Status.CANCELLED, cancelled_at=timezone.now()
            )
            history.record(locked, OrderEvent.Kind.CHECKOUT_FAILED, error=str(error))
        if isinstance(error, payments.PaymentsUnavailable):
            # No provider is set up: waiting will not help, so do not say it would.
            message = _(
                "Payments are not set up on this shop yet, so nothing was charged and your "
                "basket is as it was."
            )
        else:
            message = _(
                "We could not open the payment page just now, so nothing was charged and your "
                "basket is as it was. Please try again in a few minutes."
            )
        raise PaymentUnavailable(message) from error
    Order.objects.filter(pk=order.pk).update(
        checkout_id=checkout.provider_checkout_id, provider=checkout.provider
    )
    order.checkout_id = checkout.provider_checkout_id
    order.provider = checkout.provider
    return StartedOrder(order=order, checkout_url=checkout.url)


# --- Letting go of unpaid orders ------------------------------------------------------------------


def _expire(order, kind):
    """Move one unpaid order to expired and put back what it held, writing why (``kind``,
    an OrderEvent.Kind) to its history; False when another worker (or a payment) got to it
    first."""
    moved = Order.objects.filter(pk=order.pk, status=Order.Status.AWAITING_PAYMENT).update(
        status=Order.Status.EXPIRED, updated_at=timezone.now()
    )
    if not moved:
        return False
    stock.release_stock(order)
    history.record(order, kind)
    return True


def expire_order(order, kind):
    """Expire one unpaid order now (its checkout was abandoned or timed out)."""
    with transaction.atomic():
        return _expire(order, kind)


def release_expired_reservations(now=None):
    """Periodic job: expire orders still awaiting payment whose hold has run out and put
    their stock back. Each order moves with a conditional update, so several workers
    running this at once release each order once. Also forgets the network of every order
    no longer awaiting payment (it is kept only to count unpaid orders). Returns how many
    it expired."""
    now = now or timezone.now()
    due = Order.objects.filter(
        status=Order.Status.AWAITING_PAYMENT, reserved_until__lt=now
    ).values_list("pk", flat=True)
    expired = 0
    for order_id in list(due[:500]):
        order = Order.objects.filter(pk=order_id).first()
        if order is not None and expire_order(order, OrderEvent.Kind.HOLD_EXPIRED):
            expired += 1
    Order.objects.exclude(status=Order.Status.AWAITING_PAYMENT).exclude(client_network="").update(
        client_network=""
    )
    return expired
