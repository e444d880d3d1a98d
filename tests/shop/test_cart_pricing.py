"""Pricing a basket from the database: shipping by zone, value, weight and free threshold;
discount codes and their limits; VAT included."""

from datetime import timedelta

import pytest
from django.utils import timezone

from masthead.shop.models import Order
from masthead.shop.pricing import LineRequest, allocate, quote
from tests.shop.factories import (
    make_code,
    make_default_zones,
    make_product,
    make_zone,
    shop_settings,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def items(outlet):
    """A £15, 200 g tee with 50 in stock and a £4, 50 g badge with 50 in stock."""
    tee = make_product(
        title="Ledger tee", variants=[{"price": 1500, "weight_grams": 200, "stock": 50}]
    )
    badge = make_product(
        title="Ledger badge", variants=[{"price": 400, "weight_grams": 50, "stock": 50}]
    )
    return tee.variants.get(), badge.variants.get()


def lines(*pairs):
    return [LineRequest(variant.pk, quantity) for variant, quantity in pairs]


def test_prices_come_from_the_database(items):
    tee, badge = items
    result = quote([LineRequest(tee.pk, 2, price_when_added=1), LineRequest(badge.pk, 1)])

    assert [line.unit_price for line in result.lines] == [1500, 400]
    assert result.subtotal == result.total == 3400
    assert result.lines[0].price_changed is True
    assert result.problems == [
        "The price of Ledger tee changed from £0.01 to £15.00; please accept the new price."
    ]


def test_uk_orders_ship_by_value_and_free_from_the_threshold(items):
    tee, badge = items
    zones = make_default_zones()
    first_class = zones["uk"].rates.get(name="Royal Mail 1st Class")

    below = quote(lines((tee, 2), (badge, 2)), country="GB", shipping_rate=first_class)
    assert [(o.name, o.price) for o in below.shipping_options] == [
        ("Royal Mail 2nd Class", 350),
        ("Royal Mail 1st Class", 550),
    ]
    assert (below.subtotal, below.shipping_total, below.total) == (3800, 550, 4350)

    at_threshold = quote(lines((tee, 2), (badge, 2)), country="gb")

    over = quote(lines((tee, 2), (badge, 3)), country="GB", shipping_rate=first_class)
    assert over.subtotal == 4200
    assert all(option.free and option.price == 0 for option in over.shipping_options)
    assert over.shipping_total == 0 and over.total == 4200
    assert at_threshold.zone == zones["uk"]
    exactly = quote(lines((badge, 10)), country="GB")
    assert exactly.subtotal == 4000
    assert [option.price for option in exactly.shipping_options] == [0, 0]


def test_the_free_threshold_counts_the_value_after_the_discount(items):
    tee, badge = items
    make_default_zones()
    make_code("TENOFF", value=10)
    basket = lines((tee, 2), (badge, 3))  # £42, £37.80 after 10% off

    result = quote(basket, country="GB", discount="tenoff")

    assert result.discount_total == 420
    assert [option.price for option in result.shipping_options] == [350, 550]


def test_europe_and_the_rest_of_the_world_ship_by_weight(items):
    tee, _badge = items
    zones = make_default_zones()

    light = quote(lines((tee, 4)), country="FR")  # 800 g
    heavy = quote(lines((tee, 5)), country="DE")  # 1000 g: the next band
    far = quote(lines((tee, 1)), country="NZ")

    assert light.zone == zones["europe"] and [o.price for o in light.shipping_options] == [900]
    assert [o.price for o in heavy.shipping_options] == [1500]
    assert far.zone == zones["world"] and [o.price for o in far.shipping_options] == [1400]


def test_value_bands_pick_the_rate_for_the_order_value(items):
    tee, badge = items
    make_zone(
        "United Kingdom",
        "GB",
        rates=[
            {"name": "Small parcel", "basis": "value", "minimum": 0, "maximum": 2000, "price": 300},
            {"name": "Large parcel", "basis": "value", "minimum": 2000, "price": 600},
        ],
    )

    small = quote(lines((badge, 4)), country="GB")
    large = quote(lines((tee, 2)), country="GB")

    assert [o.name for o in small.shipping_options] == ["Small parcel"]
    assert [o.name for o in large.shipping_options] == ["Large parcel"]


def test_a_country_no_zone_covers_is_a_problem(items):
    tee, _badge = items
    make_zone("United Kingdom", "GB")

    result = quote(lines((tee, 1)), country="FR")

    assert result.shipping_options == []
    assert result.problems == ["Sorry, we do not ship to France yet."]


def test_a_rate_from_another_zone_is_not_accepted(items):
    tee, _badge = items
    zones = make_default_zones()

    result = quote(lines((tee, 1)), country="GB", shipping_rate=zones["world"].rates.first())

    assert result.shipping is None and result.shipping_total == 0
    assert result.problems == [
        "That delivery option is not available for this order; please choose again."
    ]


def test_percent_and_fixed_discounts_are_shared_across_lines_exactly(items):
    tee, badge = items
    make_code("THIRD", value=33)
    make_code("FIVER", kind="fixed", value=500)
    make_code("HUGE", kind="fixed", value=100000)

    third = quote(lines((tee, 1), (badge, 1)), discount="third")
    assert third.discount_total == 627  # 33% of £19 = 627p
    assert sum(line.discount_share for line in third.lines) == 627
    assert third.total == 1900 - 627

    fiver = quote(lines((tee, 1), (badge, 1)), discount="FIVER")
    assert fiver.discount_total == 500
    assert [line.discount_share for line in fiver.lines] == [394, 106]

    capped = quote(lines((tee, 1)), discount="huge")
    assert capped.discount_total == 1500 and capped.total == 0


def test_allocate_never_gives_a_line_more_than_it_costs():
    assert allocate(10, [1, 1, 100]) == [0, 0, 10]
    assert allocate(102, [1, 1, 100]) == [1, 1, 100]
    assert allocate(7, [3, 3, 3]) == [2, 2, 3]
    assert allocate(0, [5, 5]) == [0, 0]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"active": False}, "The code SPRING is no longer active."),
        ({"starts_at_days": 3}, "The code SPRING can be used from "),
        ({"expires_at_days": -1}, "The code SPRING expired on "),
        ({"minimum_order": 5000}, "The code SPRING needs at least £50.00 of items in your basket."),
        ({"usage_limit": 2, "times_used": 2}, "The code SPRING has been used up."),
    ],
)
def test_a_discount_that_cannot_be_used_says_why_and_takes_nothing_off(items, fields, message):
    tee, _badge = items
    now = timezone.now()
    if "starts_at_days" in fields:
        fields["starts_at"] = now + timedelta(days=fields.pop("starts_at_days"))
    if "expires_at_days" in fields:
        fields["expires_at"] = now + timedelta(days=fields.pop("expires_at_days"))
    make_code("SPRING", **fields)

    result = quote(lines((tee, 2)), discount="spring")

    assert result.discount is None and result.discount_total == 0 and result.total == 3000
    assert result.discount_message.startswith(message)
    assert result.problems == []


def test_a_discount_within_its_dates_and_limits_applies(items):
    tee, _badge = items
    now = timezone.now()
    make_code(
        "SPRING",
        starts_at=now - timedelta(days=1),
        expires_at=now + timedelta(days=1),
        minimum_order=3000,
        usage_limit=2,
        times_used=1,
    )

    result = quote(lines((tee, 2)), discount="spring")

    assert result.discount_total == 300 and result.discount_message == ""


def test_the_per_customer_limit_counts_orders_by_email(items):
    tee, _badge = items
    code = make_code("ONCE", per_customer_limit=1)
    Order.objects.create(
        email="Reader@Example.org",
        subtotal=1500,
        total=1350,
        full_name="Sam",
        address_line1="1 Quay",
        city="Riverside",
        country="GB",
        discount=code,
        discount_state="committed",
    )

    mine = quote(lines((tee, 1)), discount="ONCE", email=" reader@example.ORG ")
    theirs = quote(lines((tee, 1)), discount="ONCE", email="other@example.org")

    assert mine.discount_message == "You have already used the code ONCE as often as it allows."
    assert mine.discount_total == 0
    assert theirs.discount_total == 150


def test_a_released_use_does_not_count_towards_the_per_customer_limit(items):
    tee, _badge = items
    code = make_code("ONCE", per_customer_limit=1)
    Order.objects.create(
        email="reader@example.org",
        subtotal=1500,
        total=1350,
        full_name="Sam",
        address_line1="1 Quay",
        city="Riverside",
        country="GB",
        discount=code,
        discount_state="released",
    )

    assert quote(lines((tee, 1)), discount="ONCE", email="reader@example.org").discount_total == 150


def test_an_unknown_code_says_so(items):
    tee, _badge = items

    result = quote(lines((tee, 1)), discount="nosuch")

    assert result.discount_message == "There is no discount code NOSUCH."


def test_vat_is_included_only_when_registered(items):
    tee, _badge = items
    zones = make_default_zones()
    rate = zones["uk"].rates.get(name="Royal Mail 2nd Class")

    unregistered = quote(lines((tee, 1)), country="GB", shipping_rate=rate)
    assert unregistered.vat_total == 0

    registered = quote(
        lines((tee, 1)),
        country="GB",
        shipping_rate=rate,
        shop_settings=shop_settings(vat_registered=True, vat_rate_basis_points=2000),
    )
    assert registered.total == 1850
    assert registered.vat_total == 308  # 1850 / 6 = 308.33
    assert registered.vat_rate_basis_points == 2000
