"""No one can hold the shop's stock for everyone (issue 10, defect 2): starting to pay is
rate-limited per IP network (an IPv6 /64 counts as one) and per mailbox; one order holds at
most ``max_units_per_item`` of a tracked item; a network or a mailbox has at most a few
unpaid orders holding stock; and an item selling out (or coming back) clears only the
cached pages that show it, not the whole page cache."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from masthead.shop.checkout import (
    CheckoutDetails,
    CheckoutError,
    release_expired_reservations,
    start_order,
)
from masthead.shop.models import Cart, CartLine, Order
from tests.publishing.factories import make_article
from tests.shop import conftest as shop_fixtures
from tests.shop.checkout_helpers import add_to_cart, checkout_to_payment, latest_order
from tests.shop.factories import make_category, make_default_zones, make_product, shop_settings

pytestmark = pytest.mark.django_db

# The shop tests' published site and small catalogue, as fixtures here too.
outlet = shop_fixtures.outlet
catalogue = shop_fixtures.catalogue

REFUSED_TO_PAY = "Payment was started too many times in a short while."
TOO_MANY_UNPAID = "You already have orders waiting for payment."


@pytest.fixture
def zones(catalogue):
    return make_default_zones()


@pytest.fixture
def plenty(catalogue):
    """A tracked tee with 50 in stock."""
    return make_product(
        catalogue.tees, title="Ferry crew tee", variants=[{"sku": "CREW-M", "stock": 50}]
    ).variants.get()


@pytest.fixture
def generous_limits(settings):
    settings.SHOP_CHECKOUT_LIMIT_PER_IP = (100, 3600)
    settings.SHOP_CHECKOUT_LIMIT_PER_ADDRESS = (100, 3600)


def buyer(address):
    """A reader's browser at ``address``, with a basket of its own."""
    return Client(REMOTE_ADDR=address)


def start_paying(address, variant, zones, quantity=1, email="reader@example.org"):
    """A new basket at ``address`` holding ``quantity`` of ``variant``, taken to Pay."""
    client = buyer(address)
    assert add_to_cart(client, variant, quantity).status_code == 302
    return checkout_to_payment(client, zones["uk"].rates.first(), email=email)


# --- Rate limits on starting to pay ---------------------------------------------------------------


def test_starting_to_pay_is_limited_per_network_counting_an_ipv6_64_as_one(settings, plenty, zones):
    settings.SHOP_CHECKOUT_LIMIT_PER_IP = (2, 3600)
    settings.SHOP_CHECKOUT_LIMIT_PER_ADDRESS = (100, 3600)

    first = start_paying("2001:db8:5:7::1", plenty, zones, email="one@example.org")
    second = start_paying("2001:db8:5:7::2", plenty, zones, email="two@example.org")
    third = start_paying("2001:db8:5:7:ffff::3", plenty, zones, email="three@example.org")
    elsewhere = start_paying("2001:db8:5:8::1", plenty, zones, email="four@example.org")

    assert [first.status_code, second.status_code, elsewhere.status_code] == [302, 302, 302]
    assert third.status_code == 429
    assert REFUSED_TO_PAY in third.content.decode()
    assert sorted(Order.objects.values_list("email", flat=True)) == [
        "four@example.org",
        "one@example.org",
        "two@example.org",
    ]
    plenty.refresh_from_db()
    assert plenty.stock == 47


def test_starting_to_pay_is_limited_per_mailbox_whatever_the_spelling(settings, plenty, zones):
    settings.SHOP_CHECKOUT_LIMIT_PER_IP = (100, 3600)
    settings.SHOP_CHECKOUT_LIMIT_PER_ADDRESS = (2, 3600)

    first = start_paying("198.51.100.1", plenty, zones, email="Sam.Reader@gmail.com")
    second = start_paying("198.51.100.2", plenty, zones, email="samreader+shop@googlemail.com")
    third = start_paying("198.51.100.3", plenty, zones, email="s.a.m.reader@GMAIL.com")
    other = start_paying("198.51.100.4", plenty, zones, email="someone@example.org")

    assert [first.status_code, second.status_code, other.status_code] == [302, 302, 302]
    assert third.status_code == 429
    assert REFUSED_TO_PAY in third.content.decode()
    assert Order.objects.count() == 3
    plenty.refresh_from_db()
    assert plenty.stock == 47


# --- Units of one item per order ------------------------------------------------------------------


def test_a_basket_holds_at_most_ten_of_a_tracked_item(client, plenty, catalogue):
    refused = add_to_cart(client, plenty, 11)

    assert refused.status_code == 400
    assert f"You can buy at most 10 of {plenty} in one order." in refused.content.decode()
    assert CartLine.objects.count() == 0

    assert add_to_cart(client, plenty, 10).status_code == 302
    one_more = add_to_cart(client, plenty, 1)
    assert one_more.status_code == 400
    assert f"You can buy at most 10 of {plenty} in one order." in one_more.content.decode()
    line = CartLine.objects.get()
    assert line.quantity == 10

    changed = client.post(
        "/shop/cart/update/", {"action": "update", "line": line.pk, "quantity": "11"}
    )
    assert changed.status_code == 400
    line.refresh_from_db()
    assert line.quantity == 10

    # Made to order, never held: not limited by it.
    poster = catalogue.poster.variants.get()
    assert add_to_cart(client, poster, 20).status_code == 302
    assert CartLine.objects.get(variant=poster).quantity == 20


def test_the_most_per_order_is_a_shop_setting(client, plenty):
    shop_settings(max_units_per_item=2)

    refused = add_to_cart(client, plenty, 3)

    assert refused.status_code == 400
    assert f"You can buy at most 2 of {plenty} in one order." in refused.content.decode()
    assert add_to_cart(client, plenty, 2).status_code == 302


def test_checkout_refuses_more_than_one_order_may_hold(plenty, zones):
    cart = Cart.objects.create()
    CartLine.objects.create(cart=cart, variant=plenty, quantity=8, price_when_added=plenty.price)
    shop_settings(max_units_per_item=5)
    details = CheckoutDetails(
        email="reader@example.org",
        full_name="Sam Reader",
        address_line1="12 Quay Street",
        city="Riverside",
        postcode="RV1 2AB",
        country="GB",
    )

    with pytest.raises(CheckoutError) as refused:
        start_order(cart, details, zones["uk"].rates.first().pk)

    assert str(refused.value) == (
        f"You can buy at most 5 of {plenty} in one order; please lower the quantity."
    )
    assert Order.objects.count() == 0
    plenty.refresh_from_db()
    assert plenty.stock == 50


# --- Unpaid orders per network and per mailbox ----------------------------------------------------


def test_unpaid_orders_holding_stock_are_capped_per_network(
    generous_limits, plenty, zones, catalogue
):
    shop_settings(max_unpaid_orders_per_network=2)

    held = [
        start_paying("2001:db8:9:1::1", plenty, zones, email="a@example.org"),
        start_paying("2001:db8:9:1::2", plenty, zones, email="b@example.org"),
    ]
    refused = start_paying("2001:db8:9:1::3", plenty, zones, email="c@example.org")
    # A basket of made-to-order items holds nothing, so it is not counted against anyone.
    poster_only = start_paying(
        "2001:db8:9:1::4", catalogue.poster.variants.get(), zones, email="d@example.org"
    )

    assert [response.status_code for response in held] == [302, 302]
    assert refused.status_code == 429
    assert TOO_MANY_UNPAID in refused.content.decode()
    assert poster_only.status_code == 302
    assert Order.objects.filter(email="c@example.org").count() == 0
    plenty.refresh_from_db()
    assert plenty.stock == 48

    # Once one runs out of time, that network may start another.
    Order.objects.filter(email="a@example.org").update(
        reserved_until=timezone.now() - timedelta(minutes=1)
    )
    assert release_expired_reservations() == 1
    again = start_paying("2001:db8:9:1::5", plenty, zones, email="c@example.org")
    assert again.status_code == 302
    # The expired order no longer keeps the network it was started from.
    assert Order.objects.get(email="a@example.org").client_network == ""
    assert latest_order().client_network != ""


def test_unpaid_orders_holding_stock_are_capped_per_mailbox(generous_limits, plenty, zones):
    shop_settings(max_unpaid_orders_per_email=1)

    first = start_paying("198.51.100.10", plenty, zones, email="reader@example.org")
    second = start_paying("203.0.113.10", plenty, zones, email="Reader+again@Example.org")

    assert first.status_code == 302
    assert second.status_code == 429
    assert TOO_MANY_UNPAID in second.content.decode()
    assert Order.objects.count() == 1


def test_starting_again_from_the_same_basket_is_not_counted_against_the_reader(
    generous_limits, plenty, zones
):
    shop_settings(max_unpaid_orders_per_email=1, max_unpaid_orders_per_network=1)
    client = buyer("198.51.100.20")
    add_to_cart(client, plenty, 2)

    first = checkout_to_payment(client, zones["uk"].rates.first())
    second = checkout_to_payment(client, zones["uk"].rates.first())

    assert [first.status_code, second.status_code] == [302, 302]
    assert list(Order.objects.order_by("pk").values_list("status", flat=True)) == [
        Order.Status.EXPIRED,
        Order.Status.AWAITING_PAYMENT,
    ]
    plenty.refresh_from_db()
    assert plenty.stock == 48


# --- Sold out clears only the pages that show the item --------------------------------------------


def product_card(page, title):
    """The HTML of ``title``'s card in a product grid."""
    for card in page.split('<article class="product-card')[1:]:
        if title in card.split("</article>")[0]:
            return card.split("</article>")[0]
    raise AssertionError(f"No card for {title}")


def article_block(page):
    return page.split('<aside class="product-block"')[1].split("</aside>")[0]


def test_selling_out_clears_only_the_pages_that_show_the_item(
    client,
    outlet,
    catalogue,
    zones,
    django_capture_on_commit_callbacks,
):
    mugs = make_category("Mugs", sort_order=4)
    mug = make_product(mugs, title="Ferry mug", variants=[{"sku": "MUG-1", "stock": 1}])
    with_mug = make_article(
        outlet.section,
        title="The ferry crew's tea break",
        body=[
            ("paragraph", "<p>The crew drinks from these.</p>"),
            ("product", {"product": mug, "note": ""}),
        ],
    )
    without_mug = make_article(outlet.section, title="Bridge repairs run late")
    showing_mug = {
        "product": mug.get_absolute_url(),
        "category": "/shop/category/mugs/",
        "shop home": "/shop/",
        "article": with_mug.url,
    }
    not_showing_mug = {
        "other product": catalogue.tee.get_absolute_url(),
        "other category": "/shop/category/t-shirts/",
        "other article": without_mug.url,
        "home page": outlet.home.url,
    }
    reader = Client()
    for url in {**showing_mug, **not_showing_mug}.values():
        assert reader.get(url)["X-Cache"] == "miss"
        assert reader.get(url)["X-Cache"] == "hit"

    add_to_cart(client, mug.variants.get(), 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert checkout_to_payment(client, zones["uk"].rates.first()).status_code == 302

    after = {name: reader.get(url) for name, url in {**showing_mug, **not_showing_mug}.items()}
    assert {name: response["X-Cache"] for name, response in after.items()} == {
        "product": "miss",
        "category": "miss",
        "shop home": "miss",
        "article": "miss",
        "other product": "hit",
        "other category": "hit",
        "other article": "hit",
        "home page": "hit",
    }
    assert "product__sold-out" in after["product"].content.decode()
    assert "--sold-out" in product_card(after["category"].content.decode(), "Ferry mug")
    assert "--sold-out" in product_card(after["shop home"].content.decode(), "Ferry mug")
    assert "Sold out" in article_block(after["article"].content.decode())

    # The hold runs out: the mug is back on sale on the same pages, and only there.
    Order.objects.update(reserved_until=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert release_expired_reservations() == 1

    back = {name: reader.get(url) for name, url in {**showing_mug, **not_showing_mug}.items()}
    assert [name for name, response in back.items() if response["X-Cache"] == "miss"] == [
        "product",
        "category",
        "shop home",
        "article",
    ]
    assert "Sold out" not in article_block(back["article"].content.decode())
    assert "--sold-out" not in product_card(back["shop home"].content.decode(), "Ferry mug")
