"""The checkout steps: details (UK postcodes, the unticked newsletter box), delivery,
review, and a payment that refuses anything the browser changed."""

import pytest

from masthead.payments.models import Checkout, DemoCheckout
from masthead.shop.models import DiscountCode, Order
from tests.shop.checkout_helpers import (
    add_to_cart,
    checkout_to_payment,
    choose_shipping,
    details_form,
    fill_details,
    latest_order,
    pay_on_demo,
    review_form,
)
from tests.shop.factories import make_code, make_default_zones, make_zone, shop_settings

pytestmark = pytest.mark.django_db


@pytest.fixture
def zones(catalogue):
    return make_default_zones()


@pytest.fixture
def basket(client, catalogue, zones):
    """A reader with two small tees (£36) in the basket."""
    small = catalogue.tee.variants.get(sku="TEE-S")
    add_to_cart(client, small, 2)
    return small


def test_checkout_needs_a_basket(client, catalogue):
    response = client.get("/shop/checkout/")

    assert response.status_code == 302 and response["Location"] == "/shop/cart/"
    assert "Your basket is empty." in client.get("/shop/cart/").content.decode()


def test_the_later_steps_send_the_reader_back_to_the_missing_one(client, basket):
    assert client.get("/shop/checkout/shipping/")["Location"] == "/shop/checkout/"
    assert client.get("/shop/checkout/review/")["Location"] == "/shop/checkout/"
    fill_details(client)
    assert client.get("/shop/checkout/review/")["Location"] == "/shop/checkout/shipping/"


def test_the_details_step_is_never_cached_and_the_newsletter_box_starts_unticked(client, basket):
    response = client.get("/shop/checkout/")
    html = response.content.decode()

    assert "no-cache" in response["Cache-Control"]
    assert '<input type="checkbox" name="newsletter_opt_in" value="1">' in html
    assert "Yes, also send me the newsletter." in html
    assert '<option value="GB" selected>United Kingdom</option>' in html
    assert html.index('value="GB"') < html.index('value="AF"')


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("sw1a1aa", "SW1A 1AA"),
        ("  M1   1AE ", "M1 1AE"),
        ("rv1 2ab", "RV1 2AB"),
        ("EC1A 1BB", "EC1A 1BB"),
    ],
)
def test_uk_postcodes_are_normalised(client, basket, typed, stored):
    fill_details(client, postcode=typed)

    assert client.session["shop_checkout"]["details"]["postcode"] == stored


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Please enter your postcode."),
        ("12345", "Please enter a UK postcode in full, like SW1A 1AA."),
        ("SW1A", "Please enter a UK postcode in full, like SW1A 1AA."),
        ("QQ1 1QQ", "Please enter a UK postcode in full, like SW1A 1AA."),
    ],
)
def test_a_bad_uk_postcode_is_refused(client, basket, typed, message):
    response = client.post("/shop/checkout/", details_form(postcode=typed))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert "shop_checkout" not in client.session


def test_other_countries_take_their_postcode_as_typed(client, basket):
    fill_details(client, country="FR", postcode="75001", city="Paris")

    assert client.session["shop_checkout"]["details"]["postcode"] == "75001"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-address", "Enter a valid email address."),
        ("country", "XX", "Choose a country from the list."),
        ("full_name", "", "This field is required."),
        ("phone", "call me maybe", "Please enter a phone number using digits"),
        ("postcode", "x" * 21, "Ensure this value has at most 20 characters"),
    ],
)
def test_bad_details_are_refused_with_a_clear_message(client, basket, field, value, message):
    response = client.post("/shop/checkout/", details_form(**{"country": "FR", field: value}))

    assert response.status_code == 400
    assert message in response.content.decode()


def test_delivery_options_come_from_the_countrys_zone(client, basket, zones):
    fill_details(client)
    html = client.get("/shop/checkout/shipping/").content.decode()

    assert "Delivery to United Kingdom" in html
    assert "Royal Mail 2nd Class" in html and "£3.50" in html
    assert "International" not in html


def test_a_country_with_no_zone_is_told_we_do_not_ship_there(client, catalogue):
    make_zone("United Kingdom", "GB")
    add_to_cart(client, catalogue.tee.variants.get(sku="TEE-S"), 1)
    fill_details(client, country="JP", postcode="100-0001", city="Tokyo")

    html = client.get("/shop/checkout/shipping/").content.decode()

    assert "Sorry, we do not ship to Japan yet." in html
    assert 'name="shipping_rate"' not in html


def test_choosing_a_rate_of_another_zone_is_refused(client, basket, zones):
    fill_details(client)

    response = client.post(
        "/shop/checkout/shipping/", {"shipping_rate": zones["europe"].rates.first().pk}
    )

    assert response.status_code == 400
    assert "Please choose one of the delivery options." in response.content.decode()


def test_the_review_shows_everything_and_vat_only_when_registered(client, basket, zones):
    make_code("RIVER10", value=10)
    client.post("/shop/cart/update/", {"action": "apply_discount", "code": "RIVER10"})
    fill_details(client)
    choose_shipping(client, zones["uk"].rates.get(name="Royal Mail 1st Class"))

    html = client.get("/shop/checkout/review/").content.decode()
    assert "Ledger logo tee — S" in html
    assert "Discount RIVER10 (10% off)" in html and "\u2212£3.60" in html
    assert "Delivery: Royal Mail 1st Class" in html and "£5.50" in html
    assert "Pay £37.90" in html
    assert "VAT" not in html

    shop_settings(vat_registered=True, vat_rate_basis_points=2000)
    html = client.get("/shop/checkout/review/").content.decode()
    assert "includes £6.32 VAT" in html


def _ready_to_pay(client, zones):
    fill_details(client)
    choose_shipping(client, zones["uk"].rates.get(name="Royal Mail 2nd Class"))
    return review_form(client)


@pytest.mark.parametrize(
    "tamper",
    [
        {"line-0-price": "1"},
        {"line-0-quantity": "1"},
        {"line-0-quantity": "5"},
        {"line-0-variant": "LINE"},
        {"currency": "USD"},
        {"total": "100"},
        {"digest": "forged"},
        {"digest": ""},
        {"line_count": "0"},
    ],
)
def test_tampered_payments_are_refused_and_charge_nothing(client, basket, zones, tamper):
    posted = _ready_to_pay(client, zones)
    if tamper.get("line-0-variant") == "LINE":
        tamper = {"line-0-variant": str(basket.product.variants.get(sku="TEE-M").pk)}
    posted.update(tamper)

    response = client.post("/shop/checkout/pay/", posted)

    assert response.status_code == 409
    assert "Prices or items changed since you reviewed your order" in response.content.decode()
    assert Order.objects.count() == 0
    assert Checkout.objects.count() == 0 and DemoCheckout.objects.count() == 0
    basket.refresh_from_db()
    assert basket.stock == 5


def test_a_price_change_after_the_review_is_refused(client, basket, zones):
    posted = _ready_to_pay(client, zones)
    basket.price = 1500
    basket.save()

    response = client.post("/shop/checkout/pay/", posted)

    assert response.status_code == 302
    assert response["Location"] == "/shop/cart/"
    assert Order.objects.count() == 0


def test_a_discount_used_up_after_the_review_is_refused(client, basket, zones):
    code = make_code("LAST", value=10, usage_limit=1)
    client.post("/shop/cart/update/", {"action": "apply_discount", "code": "LAST"})
    posted = _ready_to_pay(client, zones)
    DiscountCode.objects.filter(pk=code.pk).update(times_used=1)

    response = client.post("/shop/checkout/pay/", posted)

    assert response.status_code == 409
    assert Order.objects.count() == 0
    review = client.get("/shop/checkout/review/").content.decode()
    assert "The code LAST has been used up." in review
    assert "Pay £39.50" in review


def test_extra_fields_in_the_post_change_nothing(client, basket, zones):
    posted = _ready_to_pay(client, zones)
    posted.update({"price": "1", "amount": "1", "unit_price": "1", "discount": "99"})

    response = client.post("/shop/checkout/pay/", posted)

    assert response.status_code == 302
    order = latest_order()
    assert order.total == 2 * 1800 + 350
    assert Checkout.objects.get().amount == order.total


def test_the_pay_step_needs_a_csrf_token(basket, zones, client):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.cookies = client.cookies
    response = browser.post("/shop/checkout/pay/", {})

    assert response.status_code == 403
    assert Order.objects.count() == 0


def test_the_provider_line_items_add_up_to_the_total_with_an_uneven_discount(
    client, catalogue, zones
):
    make_code("THIRD", value=33)
    add_to_cart(client, catalogue.tee.variants.get(sku="TEE-S"), 3)
    add_to_cart(client, catalogue.poster.variants.get(), 1)
    client.post("/shop/cart/update/", {"action": "apply_discount", "code": "THIRD"})

    checkout_to_payment(client, zones["uk"].rates.get(name="Royal Mail 1st Class"))

    order = latest_order()
    assert order.discount_total == (6600 * 33 + 50) // 100
    assert order.total == 6600 - order.discount_total
    assert sum(line.discount_share for line in order.lines.all()) == order.discount_total
    assert DemoCheckout.objects.get().amount == order.total
    assert order.discount_state == "held"
    assert DiscountCode.objects.get().times_used == 1


def test_a_provider_failure_releases_everything_and_says_nothing_was_charged(
    client, basket, zones, settings
):
    posted = _ready_to_pay(client, zones)
    settings.MASTHEAD_ALLOW_DEMO_PAYMENTS = False

    response = client.post("/shop/checkout/pay/", posted)

    assert response.status_code == 503
    assert "nothing was charged" in response.content.decode()
    order = latest_order()
    assert order.status == Order.Status.CANCELLED
    assert order.lines.get().stock_state == "released"
    basket.refresh_from_db()
    assert basket.stock == 5


def test_a_second_checkout_from_the_same_basket_releases_the_first(client, basket, zones):
    checkout_to_payment(client, zones["uk"].rates.first())
    first = latest_order()
    basket.refresh_from_db()
    assert basket.stock == 3

    response = client.post("/shop/checkout/pay/", review_form(client))

    assert response.status_code == 302
    first.refresh_from_db()
    second = latest_order()
    assert first.status == Order.Status.EXPIRED and second != first
    assert second.status == Order.Status.AWAITING_PAYMENT
    basket.refresh_from_db()
    assert basket.stock == 3


def test_the_shop_closed_stops_checkout(client, basket, zones):
    shop_settings(is_open=False)

    response = client.get("/shop/checkout/")

    assert response["Location"] == "/shop/cart/"
    assert "The shop is closed" in client.get("/shop/cart/").content.decode()


def test_ticking_the_newsletter_box_starts_double_opt_in_after_payment(
    client, basket, zones, django_capture_on_commit_callbacks
):
    from masthead.newsletter.models import ConsentRecord, Subscriber

    checkout_to_payment(client, zones["uk"].rates.first(), newsletter_opt_in="1")
    order = latest_order()
    assert order.newsletter_opt_in is True
    assert Subscriber.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        pay_on_demo(order)

    subscriber = Subscriber.objects.get()
    assert subscriber.email == "reader@example.org"
    assert subscriber.status != "confirmed"
    record = ConsentRecord.objects.get(subscriber=subscriber)
    assert record.source == "shop checkout"
    assert "Yes, also send me the newsletter." in record.wording


def test_without_the_tick_nobody_is_subscribed(
    client, basket, zones, django_capture_on_commit_callbacks
):
    from masthead.newsletter.models import Subscriber

    checkout_to_payment(client, zones["uk"].rates.first())
    with django_capture_on_commit_callbacks(execute=True):
        pay_on_demo(latest_order())

    assert latest_order().status == Order.Status.PAID
    assert Subscriber.objects.count() == 0
