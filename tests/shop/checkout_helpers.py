"""Shared steps for the cart and checkout tests: add to the basket, fill in each checkout
step and pay on the demo provider's page, as a reader's browser would."""

import json
import re

from masthead.payments.providers.demo import DemoProvider
from masthead.shop.models import Order

ORIGIN = {"HTTP_ORIGIN": "http://testserver"}


def add_to_cart(client, variant, quantity=1, **extra):
    """Post the product page's add-to-basket form from this site."""
    return client.post(
        "/shop/cart/add/", {"variant": variant.pk, "quantity": quantity}, **{**ORIGIN, **extra}
    )


def details_form(**overrides):
    """A valid details step for a UK address, unless told otherwise."""
    data = {
        "email": "reader@example.org",
        "full_name": "Sam Reader",
        "address_line1": "12 Quay Street",
        "address_line2": "",
        "city": "Riverside",
        "region": "",
        "postcode": "rv1 2ab",
        "country": "GB",
        "phone": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def fill_details(client, **overrides):
    response = client.post("/shop/checkout/", details_form(**overrides))
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


def choose_shipping(client, rate):
    response = client.post("/shop/checkout/shipping/", {"shipping_rate": rate.pk})
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


def review_form(client):
    """The review page's hidden pay form, as the browser would post it."""
    response = client.get("/shop/checkout/review/")
    assert response.status_code == 200, response.content.decode()[:2000]
    html = response.content.decode()
    form = html[html.index('action="/shop/checkout/pay/"') :]
    form = form[: form.index("</form>")]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    return fields


def checkout_to_payment(client, rate, **details):
    """Details, delivery and review, then Pay: returns the pay response (a redirect to the
    demo checkout page when it worked)."""
    fill_details(client, **details)
    choose_shipping(client, rate)
    return client.post("/shop/checkout/pay/", review_form(client))


def latest_order():
    return Order.objects.latest("pk")


def pay_on_demo(order):
    """Press Pay on the demo provider's checkout page for ``order``."""
    DemoProvider().pay(order.checkout_id)
    order.refresh_from_db()
    return order


def abandon_on_demo(order):
    DemoProvider().abandon(order.checkout_id)
    order.refresh_from_db()
    return order


def offers(client, product):
    """A product page as ``client`` gets it: whether it came from the page cache ("hit" or
    "miss") and each variant's availability in its structured data ({sku: "InStock"})."""
    response = client.get(product.get_absolute_url())
    scripts = re.findall(
        r'<script type="application/ld\+json">(.*?)</script>', response.content.decode(), re.S
    )
    data = next(
        item
        for item in map(json.loads, scripts)
        if isinstance(item, dict) and item.get("@type") == "Product"
    )
    return response["X-Cache"], {
        offer["sku"]: offer["availability"].rsplit("/", 1)[-1] for offer in data["offers"]
    }
