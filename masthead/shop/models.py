"""The merch shop: catalogue (categories, products, variants and their stock), shipping
zones and rates, discount codes, carts, and orders with their lines, shipments, refunds and
history.

Money is always an integer number of minor units (pence) in the shop's currency. Prices are
what the reader pays: they include VAT when the outlet is VAT-registered (ShopSettings).

Stock: ``Variant.stock`` is what can still be sold. Starting a checkout takes units off it
with a conditional update (``stock >= quantity``) and marks the order line ``held``;
payment marks it ``committed``; an expired or abandoned checkout, or a cancellation, puts
the units back and marks it ``released``. The database refuses a negative stock, so no
interleaving can sell a unit twice.
"""

import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField
from wagtail.models import Orderable
from wagtail.search import index

from masthead.core import ratelimit
from masthead.payments.money import MAX_AMOUNT, format_money

CURRENCIES = [("GBP", "GBP"), ("EUR", "EUR"), ("USD", "USD")]
PRODUCT_RICH_TEXT_FEATURES = ["bold", "italic", "link", "ol", "ul"]
# A tracking link is shown to readers and editors as a link: nothing but a web address
# (never javascript:, data: or a path on this site).
TRACKING_URL_SCHEMES = ["http", "https"]


def web_link(url):
    """``url`` when it is an absolute http(s) address with a host, else ""."""
    text = (url or "").strip()
    if not text or any(ord(character) <= 32 or ord(character) == 127 for character in text):
        return ""
    try:
        parts = urlsplit(text)
    except ValueError:
        return ""
    if parts.scheme.lower() not in TRACKING_URL_SCHEMES or not parts.hostname:
        return ""
    return text


@register_setting(icon="tag")
class ShopSettings(BaseSiteSetting):
    """How the shop sells: currency, VAT, how long stock is held while a reader pays, how
    much of it one buyer may hold at once, and the order numbers it hands out."""

    is_open = models.BooleanField(
        _("shop is open"),
        default=True,
        help_text=_("When closed, the catalogue stays visible but nothing can be bought."),
    )
    currency = models.CharField(max_length=3, choices=CURRENCIES, default="GBP")
    vat_registered = models.BooleanField(
        _("VAT-registered"),
        default=False,
        help_text=_("Prices then include VAT at the rate below and are shown as 'incl. VAT'."),
    )
    vat_rate_basis_points = models.PositiveIntegerField(
        _("VAT rate (hundredths of a percent)"),
        default=2000,
        validators=[MaxValueValidator(5000)],
        help_text=_("2000 means 20%."),
    )
    vat_number = models.CharField(_("VAT number"), max_length=30, blank=True)
    reservation_minutes = models.PositiveIntegerField(
        _("minutes stock is held while paying"),
        default=30,
        validators=[MinValueValidator(30), MaxValueValidator(24 * 60)],
        help_text=_(
            "Between 30 minutes and 24 hours (the limits of a Stripe Checkout session). "
            "Held items are not offered to other shoppers."
        ),
    )
    # Held stock is unavailable to everyone else until it is paid for or released: these keep
    # one buyer (or a script with many baskets) from holding a limited item for everyone.
    max_units_per_item = models.PositiveIntegerField(
        _("most units of one item per order"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text=_("For items whose stock is tracked; items made to order are not limited."),
    )
    max_unpaid_orders_per_network = models.PositiveIntegerField(
        _("unpaid orders per internet connection"),
        default=3,
        validators=[MinValueValidator(1)],
        help_text=_(
            "How many orders holding stock may wait for payment at once from one IP address "
            "(for IPv6, one /64 network)."
        ),
    )
    max_unpaid_orders_per_email = models.PositiveIntegerField(
        _("unpaid orders per email address"),
        default=3,
        validators=[MinValueValidator(1)],
        help_text=_("How many orders holding stock may wait for payment at once for one email."),
    )
    order_prefix = models.CharField(
        _("order number prefix"),
        max_length=6,
        default="MH",
        help_text=_("Letters before every order number, e.g. MH-10042."),
    )
    dispatch_note = models.CharField(
        _("dispatch times"),
        max_length=200,
        blank=True,
        default="Orders are packed by volunteers and usually dispatched within 3 working days.",
    )
    returns_policy = RichTextField(_("returns policy"), blank=True, features=["bold", "link"])

    panels = [
        FieldPanel("is_open"),
        FieldPanel("currency"),
        MultiFieldPanel(
            [
                FieldPanel("vat_registered"),
                FieldPanel("vat_rate_basis_points"),
                FieldPanel("vat_number"),
            ],
            heading=_("VAT"),
        ),
        FieldPanel("reservation_minutes"),
        MultiFieldPanel(
            [
                FieldPanel("max_units_per_item"),
                FieldPanel("max_unpaid_orders_per_network"),
                FieldPanel("max_unpaid_orders_per_email"),
            ],
            heading=_("Limits per buyer"),
        ),
        FieldPanel("order_prefix"),
        FieldPanel("dispatch_note"),
        FieldPanel("returns_policy"),
    ]

    class Meta:
        verbose_name = _("shop settings")

    def vat_included(self, gross):
        """The VAT inside a VAT-inclusive amount (rounded half up), 0 when not registered."""
        if not self.vat_registered or not self.vat_rate_basis_points:
            return 0
        rate = self.vat_rate_basis_points
        return (gross * rate * 2 + (10_000 + rate)) // (2 * (10_000 + rate))


# --- Catalogue ------------------------------------------------------------------------------------


class Category(models.Model):
    """A kind of product: t-shirts, hoodies, tote bags, mugs, cushions, posters, badges."""

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True, max_length=1000)
    sort_order = models.IntegerField(_("order"), default=0)

    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("description"),
        FieldPanel("sort_order"),
    ]

    class Meta:
        verbose_name = _("product category")
        verbose_name_plural = _("product categories")
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name


class ProductQuerySet(models.QuerySet):
    """Products, with a shortcut to those on sale."""

    def live(self):
        return self.filter(live=True)


class Product(index.Indexed, ClusterableModel):
    """Something the shop sells, in one or more variants (size, colour, ...)."""

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="products"
    )
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    description = RichTextField(_("description"), blank=True, features=PRODUCT_RICH_TEXT_FEATURES)
    option1_name = models.CharField(
        _("first option"), max_length=40, blank=True, help_text=_("e.g. Size")
    )
    option2_name = models.CharField(
        _("second option"), max_length=40, blank=True, help_text=_("e.g. Colour")
    )
    option3_name = models.CharField(_("third option"), max_length=40, blank=True)
    live = models.BooleanField(_("on sale"), default=True)
    featured = models.BooleanField(_("featured on the shop home"), default=False)
    sort_order = models.IntegerField(_("order"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProductQuerySet.as_manager()

    search_fields = [
        index.SearchField("title"),
        index.SearchField("summary"),
        index.SearchField("description"),
        index.AutocompleteField("title"),
        index.FilterField("live"),
        index.RelatedFields("category", [index.SearchField("name")]),
    ]

    panels = [
        FieldPanel("title"),
        FieldPanel("slug"),
        FieldPanel("category"),
        FieldPanel("summary"),
        FieldPanel("description"),
        FieldRowPanel(
            [FieldPanel("option1_name"), FieldPanel("option2_name"), FieldPanel("option3_name")],
            heading=_("Options"),
        ),
        FieldRowPanel([FieldPanel("live"), FieldPanel("featured"), FieldPanel("sort_order")]),
        InlinePanel("images", label=_("Images"), min_num=0),
        InlinePanel("variants", label=_("Variants"), min_num=1),
    ]

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["sort_order", "title"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("shop:product", args=[self.slug])

    @property
    def option_names(self):
        return [name for name in (self.option1_name, self.option2_name, self.option3_name) if name]


class ProductImage(Orderable):
    """One of a product's pictures, in the order the editor put them, with its alt text."""

    product = ParentalKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ForeignKey(
        "wagtailimages.Image", verbose_name=_("image"), on_delete=models.PROTECT, related_name="+"
    )
    alt_text = models.CharField(
        _("alt text"),
        max_length=250,
        help_text=_("What the picture shows, for readers who cannot see it."),
    )

    panels = [FieldPanel("image"), FieldPanel("alt_text")]

    class Meta(Orderable.Meta):
        verbose_name = _("product image")


class Variant(Orderable):
    """One buyable version of a product (e.g. Medium / Navy), with its own SKU, price and
    stock."""

    class Fulfilment(models.TextChoices):
        OUTLET = "outlet", _("Packed by the outlet")
        PRINTFUL = "printful", _("Printed on demand (Printful)")

    product = ParentalKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    option1 = models.CharField(_("first option value"), max_length=60, blank=True)
    option2 = models.CharField(_("second option value"), max_length=60, blank=True)
    option3 = models.CharField(_("third option value"), max_length=60, blank=True)
    price = models.PositiveIntegerField(
        _("price (pence)"),
        validators=[MinValueValidator(1), MaxValueValidator(MAX_AMOUNT)],
        help_text=_("What the reader pays, in pence (including VAT if registered)."),
    )
    compare_at_price = models.PositiveIntegerField(
        _("was price (pence)"), null=True, blank=True, validators=[MaxValueValidator(MAX_AMOUNT)]
    )
    cost = models.PositiveIntegerField(
        _("cost of goods (pence)"),
        default=0,
        validators=[MaxValueValidator(MAX_AMOUNT)],
        help_text=_(
            "What one unit costs the outlet; used for the shop's margin on the funding page."
        ),
    )
    weight_grams = models.PositiveIntegerField(_("weight (grams)"), default=0)
    track_stock = models.BooleanField(
        _("track stock"),
        default=True,
        help_text=_("Untick for made-to-order or print-on-demand items that never run out."),
    )
    stock = models.IntegerField(_("stock available"), default=0)
    fulfilment = models.CharField(
        _("fulfilment"), max_length=20, choices=Fulfilment.choices, default=Fulfilment.OUTLET
    )
    external_variant_id = models.CharField(
        _("print-on-demand variant id"), max_length=64, blank=True
    )

    panels = [
        FieldRowPanel(
            [FieldPanel("sku"), FieldPanel("option1"), FieldPanel("option2"), FieldPanel("option3")]
        ),
        FieldRowPanel([FieldPanel("price"), FieldPanel("compare_at_price"), FieldPanel("cost")]),
        FieldRowPanel([FieldPanel("weight_grams"), FieldPanel("track_stock"), FieldPanel("stock")]),
        FieldRowPanel([FieldPanel("fulfilment"), FieldPanel("external_variant_id")]),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("variant")
        constraints = [
            models.CheckConstraint(
                condition=Q(stock__gte=0), name="shop_variant_stock_not_negative"
            )
        ]

    def __str__(self):
        label = self.label
        return f"{self.product.title} — {label}" if label else self.product.title

    @property
    def label(self):
        """The option values, e.g. "M / Navy"."""
        return " / ".join(value for value in (self.option1, self.option2, self.option3) if value)

    @property
    def in_stock(self):
        return not self.track_stock or self.stock > 0


# --- Shipping -------------------------------------------------------------------------------------


class ShippingZone(ClusterableModel):
    """Where the shop sends parcels and what it charges. A zone with no countries is the
    rest of the world."""

    name = models.CharField(_("name"), max_length=100)
    countries = models.TextField(
        _("countries"),
        blank=True,
        help_text=_(
            "Two-letter country codes separated by commas, e.g. GB or FR, DE, IE. "
            "Leave empty for the rest of the world."
        ),
    )
    free_shipping_threshold = models.PositiveIntegerField(
        _("free shipping from (pence)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_AMOUNT)],
        help_text=_("Orders worth at least this (after discounts) ship free. Empty: never."),
    )
    sort_order = models.IntegerField(_("order"), default=0)

    panels = [
        FieldPanel("name"),
        FieldPanel("countries"),
        FieldPanel("free_shipping_threshold"),
        FieldPanel("sort_order"),
        InlinePanel("rates", label=_("Rates"), min_num=1),
    ]

    class Meta:
        verbose_name = _("shipping zone")
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name

    @property
    def country_codes(self):
        return [
            code.strip().upper()
            for code in self.countries.replace(";", ",").split(",")
            if code.strip()
        ]


class ShippingRate(Orderable):
    """One way of sending a parcel to a zone, priced for a band of order value or weight."""

    class Basis(models.TextChoices):
        VALUE = "value", _("Order value (pence)")
        WEIGHT = "weight", _("Weight (grams)")

    zone = ParentalKey(ShippingZone, on_delete=models.CASCADE, related_name="rates")
    name = models.CharField(_("name"), max_length=100, help_text=_("e.g. Royal Mail 2nd Class"))
    basis = models.CharField(
        _("priced by"), max_length=10, choices=Basis.choices, default=Basis.VALUE
    )
    minimum = models.PositiveIntegerField(_("from"), default=0)
    maximum = models.PositiveIntegerField(
        _("up to (not including)"), null=True, blank=True, help_text=_("Empty: no upper limit.")
    )
    price = models.PositiveIntegerField(
        _("price (pence)"), validators=[MaxValueValidator(MAX_AMOUNT)]
    )
    delivery_estimate = models.CharField(_("delivery estimate"), max_length=100, blank=True)

    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("delivery_estimate")]),
        FieldRowPanel(
            [FieldPanel("basis"), FieldPanel("minimum"), FieldPanel("maximum"), FieldPanel("price")]
        ),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("shipping rate")

    def __str__(self):
        return f"{self.zone.name}: {self.name}"

    def applies_to(self, value, weight):
        measure = value if self.basis == self.Basis.VALUE else weight
        return measure >= self.minimum and (self.maximum is None or measure < self.maximum)


# --- Discounts ------------------------------------------------------------------------------------


class DiscountKind(models.TextChoices):
    """What a discount code takes off (``DiscountCode.Kind``; out here so the model's
    constraints can name it)."""

    PERCENT = "percent", _("Percentage off the items")
    FIXED = "fixed", _("Fixed amount off the items")


class DiscountCode(models.Model):
    """A code a reader types at checkout. ``times_used`` counts checkouts holding or having
    used it; the row is locked while a checkout claims a use, so the last use goes once."""

    Kind = DiscountKind

    code = models.CharField(
        _("code"),
        max_length=40,
        unique=True,
        help_text=_("Letters, digits and dashes; not case-sensitive."),
    )
    description = models.CharField(_("note"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PERCENT)
    value = models.PositiveIntegerField(
        _("value"),
        validators=[MinValueValidator(1), MaxValueValidator(MAX_AMOUNT)],
        help_text=_("Percent: whole percent (10 is 10%). Fixed: pence (500 is £5)."),
    )
    minimum_order = models.PositiveIntegerField(
        _("minimum order (pence)"), default=0, validators=[MaxValueValidator(MAX_AMOUNT)]
    )
    active = models.BooleanField(_("active"), default=True)
    starts_at = models.DateTimeField(_("valid from"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    usage_limit = models.PositiveIntegerField(_("total uses allowed"), null=True, blank=True)
    per_customer_limit = models.PositiveIntegerField(
        _("uses per customer"), null=True, blank=True, help_text=_("Counted by email address.")
    )
    times_used = models.PositiveIntegerField(_("times used"), default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    panels = [
        FieldRowPanel([FieldPanel("code"), FieldPanel("active")]),
        FieldPanel("description"),
        FieldRowPanel([FieldPanel("kind"), FieldPanel("value"), FieldPanel("minimum_order")]),
        FieldRowPanel([FieldPanel("starts_at"), FieldPanel("expires_at")]),
        FieldRowPanel([FieldPanel("usage_limit"), FieldPanel("per_customer_limit")]),
    ]

    class Meta:
        verbose_name = _("discount code")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(usage_limit__isnull=True) | Q(times_used__lte=models.F("usage_limit")),
                name="shop_discount_within_limit",
            ),
            models.CheckConstraint(
                condition=~Q(kind=DiscountKind.PERCENT) | Q(value__lte=100),
                name="shop_discount_percent_max_100",
            ),
        ]

    def __str__(self):
        return self.code

    def save(self, *args, **kwargs):
        self.code = self.code.strip().upper()
        super().save(*args, **kwargs)

    @property
    def label(self):
        if self.kind == self.Kind.PERCENT:
            return f"{self.value}% off"
        return f"{format_money(self.value, 'GBP')} off"


# --- Carts ----------------------------------------------------------------------------------------


class Cart(models.Model):
    """A guest's basket, found by the uuid in a long-lived signed cookie."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    discount_code = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("cart")

    def __str__(self):
        return str(self.id)


class CartLine(models.Model):
    """A variant in a cart, with the price the reader saw when adding it: if the price
    changes later the line is flagged and must be accepted, never silently changed."""

    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(99)])
    price_when_added = models.PositiveIntegerField()
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("cart line")
        ordering = ["added_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["cart", "variant"], name="shop_cart_line_unique_variant"
            )
        ]

    def __str__(self):
        return f"{self.quantity} x {self.variant_id}"


# --- Orders ---------------------------------------------------------------------------------------


class Order(models.Model):
    """What a reader bought, from the moment they start paying."""

    class Status(models.TextChoices):
        AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
        PAID = "paid", _("Paid")
        PARTIALLY_FULFILLED = "partially_fulfilled", _("Partially dispatched")
        FULFILLED = "fulfilled", _("Dispatched")
        CANCELLED = "cancelled", _("Cancelled")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
        REFUNDED = "refunded", _("Refunded")
        EXPIRED = "expired", _("Checkout expired")

    class DiscountState(models.TextChoices):
        """Where the order's use of its discount code stands: held while the reader pays,
        used once paid, given back when the order is let go or cancelled."""

        HELD = "held", _("Held")
        COMMITTED = "committed", _("Used")
        RELEASED = "released", _("Released")

    class PrintStatus(models.TextChoices):
        """The print-on-demand order's state as the shop sets it. ``pod_status`` also keeps
        any other word the provider's webhooks use (Printful's "inprocess", "onhold", ...)
        as it came, so it has no fixed choices."""

        DRAFT = "draft", _("Draft, to confirm at the provider")
        CONFIRMED = "confirmed", _("Confirmed")
        FAILED = "failed", _("Failed")
        CANCELED = "canceled", _("Cancelled")

    number = models.CharField(_("order number"), max_length=20, unique=True, null=True, blank=True)
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(
        _("status"),
        max_length=30,
        choices=Status.choices,
        default=Status.AWAITING_PAYMENT,
        db_index=True,
    )
    email = models.EmailField(_("email"))
    # The mailbox the address reaches (``ratelimit.mailbox``: lower case, no +tag, no Gmail
    # dots), which per-customer limits count, so "A.B+1@gmail.com" is the same customer.
    mailbox = models.CharField(max_length=254, blank=True, db_index=True)
    # A keyed digest of the IP network the reader started paying from (an IPv6 /64 counts
    # as one): it bounds unpaid orders per network, so the expiry job blanks it once the
    # order no longer awaits payment.
    client_network = models.CharField(max_length=64, blank=True, db_index=True)
    currency = models.CharField(_("currency"), max_length=3, default="GBP")
    subtotal = models.PositiveIntegerField(_("items"))
    discount_total = models.PositiveIntegerField(_("discount"), default=0)
    shipping_total = models.PositiveIntegerField(_("shipping"), default=0)
    total = models.PositiveIntegerField(_("total"))
    vat_total = models.PositiveIntegerField(_("VAT included"), default=0)
    vat_rate_basis_points = models.PositiveIntegerField(default=0)
    discount = models.ForeignKey(
        DiscountCode, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    discount_code = models.CharField(_("discount code"), max_length=40, blank=True)
    discount_state = models.CharField(max_length=10, blank=True, choices=DiscountState.choices)
    # Shipping address
    full_name = models.CharField(_("name"), max_length=200)
    address_line1 = models.CharField(_("address"), max_length=200)
    address_line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    city = models.CharField(_("town or city"), max_length=100)
    region = models.CharField(_("county, state or region"), max_length=100, blank=True)
    postcode = models.CharField(_("postcode"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    shipping_zone_name = models.CharField(_("shipping zone"), max_length=100, blank=True)
    shipping_method = models.CharField(_("shipping method"), max_length=100, blank=True)
    newsletter_opt_in = models.BooleanField(_("asked for the newsletter"), default=False)
    # The basket this order was started from: emptied of the order's items once it is paid,
    # and the order released if the reader starts a new checkout from the same basket.
    cart = models.ForeignKey(
        Cart, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    # Payment
    provider = models.CharField(_("payment provider"), max_length=20, blank=True)
    checkout_id = models.CharField(
        _("provider checkout id"), max_length=255, blank=True, db_index=True
    )
    payment_id = models.CharField(
        _("provider payment id"), max_length=255, blank=True, db_index=True
    )
    reserved_until = models.DateTimeField(_("stock held until"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    fulfilled_at = models.DateTimeField(_("dispatched"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    refunded_amount = models.PositiveIntegerField(_("refunded"), default=0)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    # The reader this order belongs to, once its address is verified (paid, or signed in).
    reader = models.ForeignKey(
        "readers.Reader",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
        verbose_name=_("reader"),
    )
    # When the buyer's personal details were removed (their erasure, or the retention time).
    personal_data_erased_at = models.DateTimeField(
        _("personal details erased"), null=True, blank=True
    )
    # Print on demand
    pod_provider = models.CharField(max_length=20, blank=True)
    pod_order_id = models.CharField(max_length=64, blank=True)
    pod_status = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.number or f"order {self.pk}"

    def save(self, *args, **kwargs):
        self.mailbox = ratelimit.mailbox(self.email)[:254]
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "email" in update_fields:
            kwargs["update_fields"] = {*update_fields, "mailbox"}
        super().save(*args, **kwargs)

    @property
    def is_paid(self):
        return self.paid_at is not None

    @property
    def is_cancelled(self):
        return self.status == self.Status.CANCELLED

    @property
    def refundable_amount(self):
        return max(self.total - self.refunded_amount, 0) if self.is_paid else 0

    @property
    def address_lines(self):
        lines = [
            self.full_name,
            self.address_line1,
            self.address_line2,
            self.city,
            self.region,
            self.postcode,
            self.country,
        ]
        return [line for line in lines if line]


class OrderLine(models.Model):
    """One variant in an order, copied at the moment of ordering (titles, SKU, price, cost),
    so later catalogue edits never change an order."""

    class StockState(models.TextChoices):
        HELD = "held", _("Held for payment")
        COMMITTED = "committed", _("Sold")
        RELEASED = "released", _("Released")
        UNTRACKED = "untracked", _("Not tracked")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(
        Variant, null=True, blank=True, on_delete=models.SET_NULL, related_name="order_lines"
    )
    product_title = models.CharField(max_length=200)
    variant_label = models.CharField(max_length=200, blank=True)
    sku = models.CharField(max_length=64)
    unit_price = models.PositiveIntegerField()
    unit_cost = models.PositiveIntegerField(default=0)
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    line_total = models.PositiveIntegerField()
    # This line's share of the order's discount, so a per-item refund gives back what was paid.
    discount_share = models.PositiveIntegerField(default=0)
    stock_state = models.CharField(max_length=10, choices=StockState.choices)
    fulfilment = models.CharField(
        max_length=20, choices=Variant.Fulfilment.choices, default=Variant.Fulfilment.OUTLET
    )
    quantity_dispatched = models.PositiveIntegerField(default=0)
    quantity_refunded = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("order line")
        ordering = ["pk"]

    def __str__(self):
        return f"{self.quantity} x {self.product_title} {self.variant_label}".strip()

    @property
    def is_printed_on_demand(self):
        return self.fulfilment == Variant.Fulfilment.PRINTFUL

    @property
    def item_name(self):
        """The line as the reader knows it: "Press pass tote — Natural"."""
        if self.variant_label:
            return f"{self.product_title} — {self.variant_label}"
        return self.product_title

    @property
    def paid_amount(self):
        return self.line_total - self.discount_share

    @property
    def quantity_to_dispatch(self):
        return max(self.quantity - self.quantity_dispatched - self.quantity_refunded, 0)


class Shipment(models.Model):
    """A parcel that left: which lines (and how many of each), by which carrier."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    carrier = models.CharField(_("carrier"), max_length=100)
    tracking_number = models.CharField(_("tracking number"), max_length=100, blank=True)
    tracking_url = models.URLField(
        _("tracking link"),
        max_length=500,
        blank=True,
        validators=[URLValidator(schemes=TRACKING_URL_SCHEMES)],
    )
    dispatched_at = models.DateTimeField(_("dispatched"), auto_now_add=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    external_id = models.CharField(
        max_length=100, blank=True, help_text=_("The print-on-demand provider's shipment id.")
    )

    class Meta:
        verbose_name = _("shipment")
        ordering = ["dispatched_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "external_id"],
                condition=~Q(external_id=""),
                name="shop_shipment_unique_external",
            )
        ]

    def __str__(self):
        return f"{self.carrier} {self.tracking_number}".strip()

    @property
    def tracking_link(self):
        """The tracking link to put in an ``href``: only an absolute http(s) address,
        whatever reached the database."""
        return web_link(self.tracking_url)


class ShipmentLine(models.Model):
    """How many units of one order line went in a parcel."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        OrderLine, on_delete=models.CASCADE, related_name="shipment_lines"
    )
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])

    def __str__(self):
        return f"{self.quantity} x {self.order_line_id}"


class OrderRefund(models.Model):
    """A refund an editor asked for (or the shop made automatically). The money's return
    is confirmed by the provider's refund event, which sets ``Order.refunded_amount``.

    A refund is claimed first (``pending``: its amount and units are taken from what can
    still be refunded, and committed) and only then asked of the provider, with no lock
    held; ``lease_until`` keeps two workers from asking at once, and a claim whose asker
    died is asked again, with the same idempotency key, once its lease has run out.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Being asked of the payment provider")
        REQUESTED = "requested", _("Asked of the payment provider")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="refunds")
    amount = models.PositiveIntegerField()
    lines = models.JSONField(default=dict, blank=True, help_text="order line id → quantity")
    reason = models.CharField(max_length=300, blank=True)
    # Whether the units go back on sale (once the provider has taken the refund).
    restocked = models.BooleanField(default=False)
    # The refund of an order being cancelled: the cancellation completes once it is asked.
    cancels_order = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    lease_until = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=100, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("order refund")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.order_id}: {self.amount}"


class OrderEvent(models.Model):
    """One line of an order's history, as the admin shows it: what happened (``kind``) and
    its particulars (``parameters``: amounts in minor units, names, reasons), turned into
    a sentence in the reader's language only when it is shown (``message``), as Saleor
    keeps its order events."""

    class Kind(models.TextChoices):
        CHECKOUT_STARTED = "checkout_started", _("Checkout started")
        CHECKOUT_FAILED = "checkout_failed", _("Checkout could not be opened")
        CHECKOUT_REPLACED = "checkout_replaced", _("Replaced by a newer checkout")
        CHECKOUT_ABANDONED = "checkout_abandoned", _("Payment page left")
        HOLD_EXPIRED = "hold_expired", _("Time to pay ran out")
        PAYMENT_SETTLING = "payment_settling", _("Payment being processed")
        PAYMENT_FOR_OTHER_CHECKOUT = "payment_other_checkout", _("Payment for another checkout")
        PAID = "paid", _("Paid")
        PAID_LATE = "paid_late", _("Paid after the hold ran out")
        PAID_LATE_SOLD_OUT = "paid_late_sold_out", _("Paid after the items sold out")
        AMOUNT_MISMATCH = "amount_mismatch", _("Amount paid differs from the total")
        PAYMENT_MISMATCH = "payment_mismatch", _("Payment event not matching the order")
        PAYMENT_FAILED = "payment_failed", _("Payment attempt failed")
        DISPUTE_OPENED = "dispute_opened", _("Dispute opened")
        CONFIRMATION_RESENT = "confirmation_resent", _("Confirmation sent again")
        DISPATCHED = "dispatched", _("Dispatched")
        REFUND_REQUESTED = "refund_requested", _("Refund asked")
        REFUND_REFUSED = "refund_refused", _("Refund refused")
        REFUNDS_CONFIRMED = "refunds_confirmed", _("Refunds confirmed")
        CANCELLED = "cancelled", _("Cancelled")
        PRINT_NOT_CONFIGURED = "print_not_configured", _("Print on demand not configured")
        PRINT_SUBMITTED = "print_submitted", _("Sent for printing")
        PRINT_REFUSED = "print_refused", _("Printing refused")
        PRINT_STATUS = "print_status", _("Printing status changed")
        NOTE = "note", _("Note")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    parameters = models.JSONField(default=dict, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.message

    @property
    def message(self):
        """The event as a sentence in the active language."""
        render = EVENT_SENTENCES.get(self.kind)
        if render is None:
            return str(self.parameters.get("text", ""))
        try:
            return render(self.parameters)
        except (KeyError, TypeError, ValueError):
            # Parameters written by an older version: the kind alone still says something.
            return str(self.get_kind_display())


def _items(items):
    return ", ".join(f"{quantity} x {name}" for quantity, name in items)


def _paid(p):
    return gettext("Paid %(amount)s (%(provider)s %(payment)s).") % {
        "amount": format_money(p["amount"], p["currency"]),
        "provider": p["provider"] or gettext("provider"),
        "payment": p["payment"] or "-",
    }


def _payment_settling(p):
    held_until = timezone.localtime(parse_datetime(p["held_until"]))
    return gettext("Payment is being processed by the provider; items held until %(date)s.") % {
        "date": held_until.strftime("%d %b %Y")
    }


def _amount_mismatch(p):
    return gettext("The provider reported %(paid)s; the order total is %(total)s.") % {
        "paid": format_money(p["paid"], p["paid_currency"]),
        "total": format_money(p["total"], p["currency"]),
    }


def _payment_mismatch(p):
    if p["provider"] != p["expected_provider"]:
        return gettext(
            "An event from %(provider)s was ignored: this order was started with "
            "%(expected)s. Nothing changed."
        ) % {"provider": p["provider"], "expected": p["expected_provider"]}
    return gettext(
        "A payment of %(paid)s (%(provider)s %(payment)s) was ignored: this order was charged "
        "%(total)s, so it was not marked paid and no stock was committed. Check the payment "
        "in the provider's dashboard."
    ) % {
        "paid": format_money(p["paid"], p["paid_currency"]),
        "provider": p["provider"],
        "payment": p["payment"] or "-",
        "total": format_money(p["total"], p["currency"]),
    }


def _dispute(p):
    return gettext(
        "The payer's bank opened a dispute for %(amount)s%(reason)s; respond to it in the "
        "payment provider's dashboard."
    ) % {
        "amount": format_money(p["amount"], p["currency"]),
        "reason": f" ({p['reason']})" if p["reason"] else "",
    }


def _dispatched(p):
    return gettext("Dispatched %(items)s by %(carrier)s%(tracking)s.") % {
        "items": _items(p["items"]),
        "carrier": p["carrier"],
        "tracking": f" ({p['tracking_number']})" if p["tracking_number"] else "",
    }


def _refund_requested(p):
    message = gettext("Refund of %(amount)s asked of the payment provider") % {
        "amount": format_money(p["amount"], p["currency"])
    }
    if p["items"]:
        message += gettext(" for %(items)s") % {"items": _items(p["items"])}
    if p["restocked"]:
        message += gettext(", items back in stock")
    reason = p["reason"] or (gettext("Order cancelled") if p.get("cancels_order") else "")
    if reason:
        message += f": {reason}"
    return message + "."


def _refund_refused(p):
    return gettext("The payment provider refused the refund of %(amount)s: %(error)s") % {
        "amount": format_money(p["amount"], p["currency"]),
        "error": p["error"],
    }


def _print_submitted(p):
    return gettext("Sent to Printful as order %(id)s%(draft)s.") % {
        "id": p["id"],
        "draft": gettext(" (a draft to confirm in Printful)") if p["draft"] else "",
    }


def _print_status(p):
    message = gettext("Printful: order %(status)s") % {"status": p["status"]}
    if p["reason"]:
        message += f" ({p['reason']})"
    return message + "."


def _fixed(sentence):
    """A sentence with no particulars (marked with gettext_noop where it is written, so
    makemessages finds it), translated when it is shown."""
    return lambda p: gettext(sentence)


# How each kind of event reads; a NOTE is its own text.
EVENT_SENTENCES = {
    OrderEvent.Kind.CHECKOUT_STARTED: _fixed(
        gettext_noop("Checkout started; stock held until payment or expiry.")
    ),
    OrderEvent.Kind.CHECKOUT_FAILED: lambda p: (
        gettext("The payment provider could not open a checkout: %(error)s") % p
    ),
    OrderEvent.Kind.CHECKOUT_REPLACED: _fixed(
        gettext_noop("Replaced by a newer checkout from the same basket.")
    ),
    OrderEvent.Kind.CHECKOUT_ABANDONED: _fixed(
        gettext_noop("The reader left the payment page without paying; items released.")
    ),
    OrderEvent.Kind.HOLD_EXPIRED: _fixed(
        gettext_noop("The time to pay ran out; the items went back on sale.")
    ),
    OrderEvent.Kind.PAYMENT_SETTLING: _payment_settling,
    OrderEvent.Kind.PAYMENT_FOR_OTHER_CHECKOUT: lambda p: (
        gettext("A payment arrived for a checkout (%(checkout)s) this order did not open.") % p
    ),
    OrderEvent.Kind.PAID: _paid,
    OrderEvent.Kind.PAID_LATE: _fixed(
        gettext_noop("Paid after the hold ran out; the items were still available.")
    ),
    OrderEvent.Kind.PAID_LATE_SOLD_OUT: _fixed(
        gettext_noop("Paid after the hold ran out, and the items had sold out: refunding in full.")
    ),
    OrderEvent.Kind.AMOUNT_MISMATCH: _amount_mismatch,
    OrderEvent.Kind.PAYMENT_MISMATCH: _payment_mismatch,
    OrderEvent.Kind.PAYMENT_FAILED: lambda p: (
        gettext("A payment attempt failed%(reason)s.")
        % {"reason": f": {p['reason']}" if p["reason"] else ""}
    ),
    OrderEvent.Kind.DISPUTE_OPENED: _dispute,
    OrderEvent.Kind.CONFIRMATION_RESENT: _fixed(gettext_noop("Confirmation email sent again.")),
    OrderEvent.Kind.DISPATCHED: _dispatched,
    OrderEvent.Kind.REFUND_REQUESTED: _refund_requested,
    OrderEvent.Kind.REFUND_REFUSED: _refund_refused,
    OrderEvent.Kind.REFUNDS_CONFIRMED: lambda p: (
        gettext("The payment provider confirmed refunds totalling %(amount)s.")
        % {"amount": format_money(p["amount"], p["currency"])}
    ),
    OrderEvent.Kind.CANCELLED: lambda p: (
        gettext("Cancelled%(reason)s.") % {"reason": f": {p['reason']}" if p["reason"] else ""}
    ),
    OrderEvent.Kind.PRINT_NOT_CONFIGURED: _fixed(
        gettext_noop("Printful is not configured: send the printed items by hand.")
    ),
    OrderEvent.Kind.PRINT_SUBMITTED: _print_submitted,
    OrderEvent.Kind.PRINT_REFUSED: lambda p: gettext("Printful: %(error)s") % p,
    OrderEvent.Kind.PRINT_STATUS: _print_status,
}
