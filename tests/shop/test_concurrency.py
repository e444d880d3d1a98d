"""Forty readers at once for the last ten units, or for the last use of a discount code:
nothing is sold twice and no code is used more often than it allows.

These run on PostgreSQL only (DATABASE_URL=postgres://...), where concurrent transactions
really interleave; each thread has its own database connection. ``start_order`` is called
directly, then every order that got its units is paid through the demo provider's webhook
path, also from many threads at once.
"""

import threading

import pytest
from django.db import connection, connections

from masthead.payments.providers.demo import DemoProvider
from masthead.shop.checkout import (
    CheckoutDetails,
    DiscountUnavailable,
    PricesChanged,
    SoldOut,
    quote_digest,
    quote_for,
    start_order,
)
from masthead.shop.models import Cart, CartLine, DiscountCode, Order, Variant
from tests.shop.factories import make_code, make_product, make_zone

READERS = 40

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def postgres_only(settings):
    if connection.vendor != "postgresql":
        pytest.skip(
            "concurrent checkouts are tested on PostgreSQL (set DATABASE_URL=postgres://...)"
        )
    settings.PAYMENTS_PROVIDER = "demo"
    settings.MASTHEAD_ALLOW_DEMO_PAYMENTS = True
    settings.SITE_URL = "http://testserver"


def details(number):
    return CheckoutDetails(
        email=f"reader{number}@example.org",
        full_name=f"Reader {number}",
        address_line1=f"{number} Quay Street",
        city="Riverside",
        postcode="RV1 2AB",
        country="GB",
    )


def all_at_once(count, work):
    """Run ``work(index)`` in ``count`` threads released together; returns what each
    returned or raised, by index."""
    barrier = threading.Barrier(count)
    outcomes = [None] * count

    def run(index):
        try:
            barrier.wait()
            outcomes[index] = work(index)
        except Exception as error:  # the outcome is what the test checks
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def baskets(variant, quantity=1, code=""):
    carts = []
    for _ in range(READERS):
        cart = Cart.objects.create(discount_code=code)
        CartLine.objects.create(
            cart=cart, variant=variant, quantity=quantity, price_when_added=variant.price
        )
        carts.append(cart)
    return carts


def pay_all(orders):
    provider = DemoProvider()
    outcomes = all_at_once(len(orders), lambda index: provider.pay(orders[index].checkout_id))
    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)]


def test_forty_readers_for_the_last_ten_units(outlet_free_zone):
    tee = make_product(
        title="Last-run tee", variants=[{"sku": "LAST-M", "price": 2000, "stock": 10}]
    )
    variant = tee.variants.get()
    carts = baskets(variant)
    rate_id = outlet_free_zone.rates.get().pk

    outcomes = all_at_once(
        READERS, lambda index: start_order(carts[index], details(index), rate_id)
    )

    started = [outcome for outcome in outcomes if not isinstance(outcome, Exception)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert len(started) == 10
    assert len(refused) == 30
    assert all(isinstance(error, SoldOut) for error in refused), refused[:3]
    assert str(refused[0]) == (
        "Sorry, Last-run tee sold out while you were checking out. Nothing was charged."
    )
    assert Variant.objects.get(pk=variant.pk).stock == 0
    assert Order.objects.count() == 10

    pay_all([outcome.order for outcome in started])

    assert Order.objects.filter(status=Order.Status.PAID).count() == 10
    assert Variant.objects.get(pk=variant.pk).stock == 0
    assert CartLine.objects.count() == 30
    assert set(Order.objects.values_list("lines__stock_state", flat=True)) == {"committed"}


def test_forty_readers_for_the_last_use_of_a_code(outlet_free_zone):
    poster = make_product(
        title="Harbour print", variants=[{"sku": "PRINT", "price": 1500, "stock": 500}]
    )
    variant = poster.variants.get()
    make_code("LASTONE", value=20, usage_limit=1)
    carts = baskets(variant, code="LASTONE")
    rate_id = outlet_free_zone.rates.get().pk
    # What each reader's review page showed (with the discount), as the pay view passes it:
    # a reader who prices the basket only after the last use went sees the code refused
    # there, and is told the prices changed rather than charged without the discount.
    digests = [
        quote_digest(quote_for(carts[index], details(index), rate_id)) for index in range(READERS)
    ]

    outcomes = all_at_once(
        READERS,
        lambda index: start_order(carts[index], details(index), rate_id, digest=digests[index]),
    )

    started = [outcome for outcome in outcomes if not isinstance(outcome, Exception)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert len(started) == 1
    assert len(refused) == READERS - 1
    assert all(isinstance(error, (DiscountUnavailable, PricesChanged)) for error in refused), (
        refused[:3]
    )
    used_up = [error for error in refused if isinstance(error, DiscountUnavailable)]
    assert all(str(error) == "The code LASTONE has been used up." for error in used_up)
    code = DiscountCode.objects.get()
    assert code.times_used == 1
    assert Variant.objects.get(pk=variant.pk).stock == 499

    pay_all([started[0].order])

    order = Order.objects.get()
    assert (order.status, order.discount_state, order.discount_total) == ("paid", "committed", 300)
    assert DiscountCode.objects.get().times_used == 1


@pytest.fixture
def outlet_free_zone(db):
    """A UK zone with one £3 rate (no site pages needed)."""
    return make_zone("United Kingdom", "GB", rates=[{"name": "Standard", "price": 300}])
