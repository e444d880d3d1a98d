"""Discount codes cannot be found by trying them (issue 10, defect 11): every code that
cannot be applied gets the same answer (no such code, not active, not started, expired,
used up, a minimum the basket does not reach), attempts are rate-limited per basket and
per IP network (an IPv6 /64 counts as one), and per-customer limits count the mailbox an
address reaches."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from masthead.shop.models import Cart, Order
from masthead.shop.pricing import LineRequest, quote
from tests.shop import conftest as shop_fixtures
from tests.shop.checkout_helpers import add_to_cart
from tests.shop.factories import make_code

pytestmark = pytest.mark.django_db

outlet = shop_fixtures.outlet
catalogue = shop_fixtures.catalogue


@pytest.fixture
def tee(catalogue):
    return catalogue.tee.variants.get(sku="TEE-S")


def try_code(client, code):
    return client.post("/shop/cart/update/", {"action": "apply_discount", "code": code})


def error_of(response):
    """The basket page's error notice."""
    page = response.content.decode()
    start = page.index('<p class="notice notice--error" role="alert">')
    return page[start : page.index("</p>", start)]


def test_every_unusable_code_gets_the_same_answer(client, tee):
    now = timezone.now()
    make_code("ASLEEP", active=False)
    make_code("SOON", starts_at=now + timedelta(days=3))
    make_code("GONE", expires_at=now - timedelta(days=1))
    spent = make_code("SPENT", usage_limit=1)
    type(spent).objects.filter(pk=spent.pk).update(times_used=1)
    make_code("BIGSPEND", minimum_order=100_000)
    add_to_cart(client, tee, 1)

    answers = {}
    for code in ("NOSUCHCODE", "ASLEEP", "SOON", "GONE", "SPENT", "BIGSPEND"):
        response = try_code(client, code.lower())
        assert response.status_code == 400
        answers[code] = error_of(response).replace(code, "<code>")

    assert len(set(answers.values())) == 1, answers
    assert "The code <code> cannot be used on this basket." in answers["NOSUCHCODE"]
    assert Cart.objects.get().discount_code == ""


def test_code_attempts_are_limited_per_basket(settings, client, tee):
    settings.SHOP_DISCOUNT_LIMIT_PER_BASKET = (3, 3600)
    make_code("RIVER10")
    add_to_cart(client, tee, 1)

    tries = [try_code(client, guess).status_code for guess in ("AAAA", "BBBB", "CCCC")]
    refused = try_code(client, "RIVER10")

    assert tries == [400, 400, 400]
    assert refused.status_code == 429
    assert "Too many codes were tried just now." in refused.content.decode()
    assert Cart.objects.get().discount_code == ""


def test_code_attempts_are_limited_per_network(settings, catalogue, tee):
    settings.SHOP_DISCOUNT_LIMIT_PER_IP = (2, 3600)
    make_code("RIVER10")
    baskets = [Client(REMOTE_ADDR=f"2001:db8:77:1::{number}") for number in (1, 2, 3)]
    elsewhere = Client(REMOTE_ADDR="2001:db8:77:2::1")
    for basket in [*baskets, elsewhere]:
        add_to_cart(basket, tee, 1)

    first = try_code(baskets[0], "AAAA")
    second = try_code(baskets[1], "BBBB")
    third = try_code(baskets[2], "RIVER10")
    other_network = try_code(elsewhere, "RIVER10")

    assert [first.status_code, second.status_code] == [400, 400]
    assert third.status_code == 429
    assert other_network.status_code == 302
    assert sorted(Cart.objects.values_list("discount_code", flat=True)) == ["", "", "", "RIVER10"]


def test_the_per_customer_limit_counts_the_mailbox(catalogue, tee):
    code = make_code("ONCE", per_customer_limit=1)
    Order.objects.create(
        email="Sam.Reader+shop@gmail.com",
        subtotal=1800,
        total=1620,
        full_name="Sam Reader",
        address_line1="12 Quay Street",
        city="Riverside",
        country="GB",
        discount=code,
        discount_state=Order.DiscountState.COMMITTED,
    )
    basket = [LineRequest(variant_id=tee.pk, quantity=1)]

    same_person = quote(basket, discount="ONCE", email="samreader@googlemail.com")
    someone_else = quote(basket, discount="ONCE", email="sam.reader@example.org")

    assert same_person.discount_total == 0
    assert same_person.discount_message == (
        "You have already used the code ONCE as often as it allows."
    )
    assert someone_else.discount_total == 180
