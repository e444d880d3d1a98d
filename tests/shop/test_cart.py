"""The basket: adding from the catalogue (no CSRF token, same-site only), the cookie that
keeps it, changing it, and the flags it shows when prices or stock move."""

import pytest

from masthead.shop.cart import COOKIE_NAME
from masthead.shop.models import Cart, CartLine
from tests.shop.checkout_helpers import ORIGIN, add_to_cart
from tests.shop.factories import make_code

pytestmark = pytest.mark.django_db


def variant(catalogue, sku):
    return catalogue.tee.variants.get(sku=sku)


def test_adding_creates_a_basket_found_by_a_long_lived_signed_cookie(client, catalogue):
    small = variant(catalogue, "TEE-S")

    response = add_to_cart(client, small, 2)

    assert response.status_code == 302
    assert response["Location"] == "/shop/cart/"
    cookie = response.cookies[COOKIE_NAME]
    assert cookie["max-age"] == 60 * 24 * 60 * 60
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    cart = Cart.objects.get()
    assert str(cart.pk) in cookie.value and cookie.value != str(cart.pk)
    line = cart.lines.get()
    assert (line.variant, line.quantity, line.price_when_added) == (small, 2, 1800)
    page = client.get("/shop/cart/")
    assert "Added to your basket: 2 of Ledger logo tee — S." in page.content.decode()
    assert client.get("/shop/cart/summary/").json() == {"count": 2}


def test_the_basket_survives_the_browser_closing(client, catalogue, django_user_model):
    from django.test import Client

    add_to_cart(client, variant(catalogue, "TEE-S"), 1)
    reopened = Client()
    reopened.cookies[COOKIE_NAME] = client.cookies[COOKIE_NAME].value

    assert reopened.get("/shop/cart/summary/").json() == {"count": 1}
    assert "Ledger logo tee" in reopened.get("/shop/cart/").content.decode()


def test_a_forged_cookie_finds_no_basket(client, catalogue):
    add_to_cart(client, variant(catalogue, "TEE-S"), 1)
    cart = Cart.objects.get()
    client.cookies[COOKIE_NAME] = str(cart.pk)

    assert client.get("/shop/cart/summary/").json() == {"count": 0}


def test_adding_the_same_item_again_adds_to_its_line(client, catalogue):
    small = variant(catalogue, "TEE-S")
    add_to_cart(client, small, 1)
    add_to_cart(client, small, 2)

    assert CartLine.objects.get().quantity == 3
    assert client.get("/shop/cart/summary/").json() == {"count": 3}


def test_the_summary_sets_no_cookie_and_is_never_cached(client, catalogue):
    response = client.get("/shop/cart/summary/")

    assert response.json() == {"count": 0}
    assert COOKIE_NAME not in response.cookies
    assert "no-cache" in response["Cache-Control"] and "max-age=0" in response["Cache-Control"]
    assert Cart.objects.count() == 0


@pytest.mark.parametrize(
    "headers",
    [{"HTTP_ORIGIN": "https://elsewhere.example"}, {"HTTP_REFERER": "https://evil.example/x"}, {}],
)
def test_adding_from_another_site_is_refused(client, catalogue, headers):
    response = client.post(
        "/shop/cart/add/", {"variant": variant(catalogue, "TEE-S").pk, "quantity": 1}, **headers
    )

    assert response.status_code == 403
    assert "only add items to your basket from our own shop pages" in response.content.decode()
    assert Cart.objects.count() == 0 and CartLine.objects.count() == 0


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("0", "The quantity must be a whole number from 1 to 99."),
        ("-1", "The quantity must be a whole number from 1 to 99."),
        ("1.5", "The quantity must be a whole number from 1 to 99."),
        ("abc", "The quantity must be a whole number from 1 to 99."),
        ("100", "The quantity must be a whole number from 1 to 99."),
        ("99999999999999999999", "The quantity must be a whole number from 1 to 99."),
        ("", "Please enter how many you would like."),
    ],
)
def test_bad_quantities_are_refused_with_a_clear_message(client, catalogue, quantity, message):
    response = add_to_cart(client, variant(catalogue, "TEE-S"), quantity)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert Cart.objects.count() == 0


def test_bad_or_withdrawn_items_are_refused_with_a_clear_message(client, catalogue):
    retired = catalogue.retired.variants.get()
    for posted, message in [
        ("987654", "That item does not exist."),
        ("abc", "That item does not exist."),
        ("", "That item does not exist."),
        (str(retired.pk), "Old masthead tee is no longer on sale."),
    ]:
        response = client.post("/shop/cart/add/", {"variant": posted, "quantity": 1}, **ORIGIN)
        assert response.status_code == 400
        assert message in response.content.decode()
    assert CartLine.objects.count() == 0


def test_more_than_the_stock_left_is_refused(client, catalogue):
    response = add_to_cart(client, variant(catalogue, "TEE-M"), 3)
    assert response.status_code == 400
    assert "Sorry, only 2 left of Ledger logo tee — M." in response.content.decode()

    response = add_to_cart(client, variant(catalogue, "TEE-L"), 1)
    assert response.status_code == 400
    assert "Sorry, Ledger logo tee — L is sold out." in response.content.decode()
    assert CartLine.objects.count() == 0


def test_more_than_99_of_one_item_is_refused(client, catalogue):
    poster = catalogue.poster.variants.get()
    add_to_cart(client, poster, 60)

    response = add_to_cart(client, poster, 40)

    assert response.status_code == 400
    assert "at most 99 of one item" in response.content.decode()
    assert CartLine.objects.get().quantity == 60


def test_changing_and_removing_lines(client, catalogue):
    add_to_cart(client, variant(catalogue, "TEE-S"), 1)
    add_to_cart(client, catalogue.poster.variants.get(), 1)
    tee_line = CartLine.objects.get(variant__sku="TEE-S")
    poster_line = CartLine.objects.get(variant__sku="POSTER-A3")

    response = client.post(
        "/shop/cart/update/", {"action": "update", "line": tee_line.pk, "quantity": "4"}
    )
    assert response.status_code == 302
    tee_line.refresh_from_db()
    assert tee_line.quantity == 4

    response = client.post(
        "/shop/cart/update/", {"action": "update", "line": tee_line.pk, "quantity": "6"}
    )
    assert response.status_code == 400
    assert "Sorry, only 5 left" in response.content.decode()
    tee_line.refresh_from_db()
    assert tee_line.quantity == 4

    client.post("/shop/cart/update/", {"action": "remove", "line": poster_line.pk})
    client.post("/shop/cart/update/", {"action": "update", "line": tee_line.pk, "quantity": "0"})
    assert CartLine.objects.count() == 0


def test_changing_a_line_of_someone_elses_basket_is_refused(client, catalogue):
    from django.test import Client

    add_to_cart(client, variant(catalogue, "TEE-S"), 1)
    stranger = Client()
    add_to_cart(stranger, variant(catalogue, "TEE-M"), 1)
    theirs = CartLine.objects.get(variant__sku="TEE-S")

    response = stranger.post("/shop/cart/update/", {"action": "remove", "line": theirs.pk})

    assert response.status_code == 400
    assert "That item is no longer in your basket." in response.content.decode()
    assert CartLine.objects.filter(pk=theirs.pk).exists()


def test_the_basket_forms_need_a_csrf_token(catalogue):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    add_to_cart(browser, variant(catalogue, "TEE-S"), 1)
    line = CartLine.objects.get()

    response = browser.post("/shop/cart/update/", {"action": "remove", "line": line.pk})

    assert response.status_code == 403
    assert CartLine.objects.count() == 1


def test_a_changed_price_is_flagged_until_the_reader_accepts_it(client, catalogue):
    small = variant(catalogue, "TEE-S")
    add_to_cart(client, small, 1)
    small.price = 2000
    small.save()

    page = client.get("/shop/cart/").content.decode()

    assert "Price changed from £18.00 to £20.00" in page
    assert 'href="/shop/checkout/"' not in page
    assert client.get("/shop/checkout/").status_code == 302

    client.post("/shop/cart/update/", {"action": "accept_prices"})

    page = client.get("/shop/cart/").content.decode()
    assert "Price changed" not in page
    assert 'href="/shop/checkout/"' in page
    assert CartLine.objects.get().price_when_added == 2000


def test_stock_running_low_or_out_is_flagged(client, catalogue):
    small = variant(catalogue, "TEE-S")
    add_to_cart(client, small, 2)

    assert "Only 5 left" in client.get("/shop/cart/").content.decode()

    small.stock = 1
    small.save()
    page = client.get("/shop/cart/").content.decode()
    assert "Only 1 left: please lower the quantity." in page
    assert 'href="/shop/checkout/"' not in page

    small.stock = 0
    small.save()
    page = client.get("/shop/cart/").content.decode()
    assert "Sold out" in page
    assert 'href="/shop/checkout/"' not in page


def test_discount_codes_in_the_basket(client, catalogue):
    make_code("RIVER10", value=10)
    make_code("BIGSPEND", value=5, minimum_order=10000)
    add_to_cart(client, variant(catalogue, "TEE-S"), 2)

    response = client.post("/shop/cart/update/", {"action": "apply_discount", "code": "nope"})
    assert response.status_code == 400
    assert "The code NOPE cannot be used on this basket." in response.content.decode()

    response = client.post("/shop/cart/update/", {"action": "apply_discount", "code": "bigspend"})
    assert response.status_code == 400
    assert "The code BIGSPEND cannot be used on this basket." in response.content.decode()

    response = client.post("/shop/cart/update/", {"action": "apply_discount", "code": " river10 "})
    assert response.status_code == 302
    page = client.get("/shop/cart/").content.decode()
    assert "The code RIVER10 (10% off) is applied." in page
    assert "\u2212£3.60" in page
    assert "£32.40" in page

    client.post("/shop/cart/update/", {"action": "remove_discount"})
    assert Cart.objects.get().discount_code == ""


def test_an_unknown_action_is_refused(client, catalogue):
    add_to_cart(client, variant(catalogue, "TEE-S"), 1)

    response = client.post("/shop/cart/update/", {"action": "empty-everything"})

    assert response.status_code == 400
    assert "Choose what to change in your basket." in response.content.decode()
    assert CartLine.objects.count() == 1


def test_nothing_can_be_added_while_the_shop_is_closed(client, catalogue):
    from tests.shop.factories import shop_settings

    shop_settings(is_open=False)

    response = add_to_cart(client, variant(catalogue, "TEE-S"), 1)

    assert response.status_code == 400
    assert "The shop is closed at the moment" in response.content.decode()
    assert CartLine.objects.count() == 0
