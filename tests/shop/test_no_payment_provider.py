"""A shop with no payment provider set up shows the basket and the review step but no Pay
button, says plainly that payments are not set up, and refuses a payment posted anyway
without holding any stock."""

import pytest

from masthead.shop.models import Order, ShippingRate, Variant
from tests.shop.checkout_helpers import add_to_cart, choose_shipping, fill_details, review_form
from tests.shop.factories import make_default_zones


@pytest.fixture
def basket(client, catalogue, settings):
    make_default_zones()
    add_to_cart(client, catalogue.tee.variants.get(sku="TEE-S"), quantity=2)
    fill_details(client)
    choose_shipping(client, ShippingRate.objects.filter(zone__countries__contains="GB").first())
    settings.MASTHEAD_ALLOW_DEMO_PAYMENTS = False
    return catalogue


@pytest.mark.django_db
def test_the_review_step_has_no_pay_button_and_says_why(client, basket):
    response = client.get("/shop/checkout/review/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "Payments are not set up on this site yet" in body
    assert 'action="/shop/checkout/pay/"' not in body
    assert "Ledger logo tee" in body


@pytest.mark.django_db
def test_a_payment_posted_anyway_is_refused_and_holds_no_stock(client, basket, settings):
    # The form as a page rendered before payments were switched off would post it.
    settings.MASTHEAD_ALLOW_DEMO_PAYMENTS = True
    fields = review_form(client)
    settings.MASTHEAD_ALLOW_DEMO_PAYMENTS = False

    response = client.post("/shop/checkout/pay/", fields)

    body = response.content.decode()
    assert response.status_code == 503
    assert "Payments are not set up on this shop yet, so nothing was charged" in body
    assert "try again" not in body
    assert 'action="/shop/checkout/pay/"' not in body
    assert Variant.objects.get(sku="TEE-S").stock == 5
    assert not Order.objects.exclude(status=Order.Status.CANCELLED).exists()
