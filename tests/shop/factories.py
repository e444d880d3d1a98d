"""Small builders of shop data for tests.

Other test modules (cart, checkout, orders) import these, so their names and arguments stay
stable:

- ``make_category(name="T-shirts", **fields)`` -> ``Category``;
- ``make_product(category=None, variants=None, title="Ledger logo tee", **fields)`` -> a
  live ``Product`` with its variants (each a dict of ``Variant`` fields; SKUs are made up
  when missing; ``option1_name``/``option2_name`` default to "Size"/"Colour" when the
  variants use those options);
- ``make_variant(product, **fields)`` -> ``Variant`` (tracked, 10 in stock, £15 unless told);
- ``make_zone(name, countries, rates=None, free_over=None)`` -> ``ShippingZone`` with its
  rates (dicts of ``ShippingRate`` fields);
- ``make_default_zones()`` -> ``{"uk": ..., "europe": ..., "world": ...}``;
- ``make_code(code, **fields)`` -> ``DiscountCode`` (10% off unless told);
- ``shop_settings(site=None, **fields)`` -> the site's ``ShopSettings``, updated.
"""

import itertools

from django.utils.text import slugify
from wagtail.models import Site

from masthead.shop.models import (
    Category,
    DiscountCode,
    Product,
    ShippingRate,
    ShippingZone,
    ShopSettings,
    Variant,
)

_sequence = itertools.count(1)

EUROPE = "FR, DE, IE, NL, BE, ES, IT, PT, AT, DK, SE, FI, PL, CZ, LU"


def make_category(name="T-shirts", **fields):
    """A product category; the slug follows the name unless given."""
    fields.setdefault("slug", slugify(name))
    category, _created = Category.objects.get_or_create(
        slug=fields.pop("slug"),
        defaults={
            "name": name,
            **fields,
        },
    )
    return category


def make_variant(product, **fields):
    """A variant of ``product``: tracked, 10 in stock, £15, 200 g, unless told otherwise."""
    fields.setdefault("sku", f"TEST-{next(_sequence):05d}")
    fields.setdefault("price", 1500)
    fields.setdefault("cost", 600)
    fields.setdefault("weight_grams", 200)
    fields.setdefault("stock", 10)
    fields.setdefault("track_stock", True)
    return Variant.objects.create(product=product, **fields)


def make_product(category=None, variants=None, title="Ledger logo tee", **fields):
    """A live product in ``category`` (T-shirts by default) with ``variants``.

    ``variants`` is a list of dicts of Variant fields; the default is one medium tee in
    stock. Option names default to "Size" and "Colour" when the variants use option1 and
    option2.
    """
    if category is None:
        category = make_category()
    if variants is None:
        variants = [{"option1": "M"}]
    if any(variant.get("option1") for variant in variants):
        fields.setdefault("option1_name", "Size")
    if any(variant.get("option2") for variant in variants):
        fields.setdefault("option2_name", "Colour")
    fields.setdefault("slug", slugify(title))
    fields.setdefault("summary", f"{title}, from The Riverside Ledger.")
    product = Product.objects.create(category=category, title=title, **fields)
    for position, variant in enumerate(variants):
        make_variant(product, sort_order=position, **variant)
    return product


def make_zone(name, countries, rates=None, free_over=None):
    """A shipping zone for ``countries`` ("GB", "FR, DE" or "" for the rest of the world).

    ``rates`` is a list of dicts of ShippingRate fields (default: one standard rate of
    £3.50 for any order value); ``free_over`` is the free-shipping threshold in pence.
    """
    zone = ShippingZone.objects.create(
        name=name,
        countries=countries,
        free_shipping_threshold=free_over,
        sort_order=ShippingZone.objects.count(),
    )
    for position, rate in enumerate(rates or [{"name": "Standard", "price": 350}]):
        ShippingRate.objects.create(zone=zone, sort_order=position, **rate)
    return zone


def make_default_zones():
    """The three zones most outlets start with: the UK (by order value, free from £40),
    Europe (by weight) and the rest of the world (by weight)."""
    uk = make_zone(
        "United Kingdom",
        "GB",
        rates=[
            {
                "name": "Royal Mail 2nd Class",
                "basis": "value",
                "price": 350,
                "delivery_estimate": "2 to 3 working days",
            },
            {
                "name": "Royal Mail 1st Class",
                "basis": "value",
                "price": 550,
                "delivery_estimate": "1 to 2 working days",
            },
        ],
        free_over=4000,
    )
    europe = make_zone(
        "Europe",
        EUROPE,
        rates=[
            {
                "name": "International Standard",
                "basis": "weight",
                "minimum": 0,
                "maximum": 1000,
                "price": 900,
                "delivery_estimate": "5 to 7 working days",
            },
            {
                "name": "International Standard",
                "basis": "weight",
                "minimum": 1000,
                "maximum": None,
                "price": 1500,
                "delivery_estimate": "5 to 7 working days",
            },
        ],
    )
    world = make_zone(
        "Rest of the world",
        "",
        rates=[
            {
                "name": "International Economy",
                "basis": "weight",
                "minimum": 0,
                "maximum": 1000,
                "price": 1400,
                "delivery_estimate": "7 to 14 working days",
            },
            {
                "name": "International Economy",
                "basis": "weight",
                "minimum": 1000,
                "maximum": None,
                "price": 2400,
                "delivery_estimate": "7 to 14 working days",
            },
        ],
    )
    return {"uk": uk, "europe": europe, "world": world}


def make_code(code, **fields):
    """A discount code, 10% off with no minimum unless told otherwise."""
    fields.setdefault("kind", DiscountCode.Kind.PERCENT)
    fields.setdefault("value", 10)
    return DiscountCode.objects.create(code=code, **fields)


def shop_settings(site=None, **fields):
    """The shop settings of ``site`` (the default site), with ``fields`` changed and saved."""
    site = site or Site.objects.get(is_default_site=True)
    settings = ShopSettings.for_site(site)
    for name, value in fields.items():
        setattr(settings, name, value)
    settings.save()
    return settings
