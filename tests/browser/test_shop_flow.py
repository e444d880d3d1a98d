"""A reader buys from the shop in a real Chromium: picks a t-shirt size, adds a cushion,
applies a discount code, checks out through the demo provider and gets the confirmation on
a real SMTP server; an editor then marks the order dispatched in the admin and the reader
gets the dispatch email. At desktop and phone widths; screenshots go to
tests/artifacts/screenshots/."""

import re

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from playwright.sync_api import expect

from masthead.core.models import SiteSettings
from masthead.payments.money import format_money
from masthead.publishing.roles import EDITORS
from masthead.shop.models import Order, Variant
from tests.publishing.factories import make_site_tree
from tests.shop.factories import (
    make_category,
    make_code,
    make_default_zones,
    make_product,
    shop_settings,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "a-long-test-password-for-the-shop"
ORDER_LINK = re.compile(r"https?://[^\s]+/shop/order/[0-9a-f-]{36}/")


@pytest.fixture
def shop(settings, live_server):
    """A site with a VAT-registered shop: a tee in three sizes, a cushion, the default
    shipping zones, a 10% code, and an editor to fulfil orders."""
    cache.clear()
    settings.SITE_URL = live_server.url
    settings.PAYMENTS_PROVIDER = "demo"
    settings.MASTHEAD_ALLOW_DEMO_PAYMENTS = True
    tree = make_site_tree()
    outlet = SiteSettings.for_site(tree.site)
    outlet.shop_url = "/shop/"
    outlet.save()
    shop_settings(vat_registered=True, order_prefix="RL")
    tee = make_product(
        make_category("T-shirts"),
        title="Ledger logo tee",
        variants=[
            {"sku": "TEE-S", "option1": "S", "price": 1800, "stock": 3},
            {"sku": "TEE-M", "option1": "M", "price": 1800, "stock": 3},
            {"sku": "TEE-L", "option1": "L", "price": 1800, "stock": 0},
        ],
    )
    cushion = make_product(
        make_category("Cushions"),
        title="Read local cushion",
        variants=[{"sku": "CUSH-1", "price": 2500, "stock": 4, "weight_grams": 600}],
    )
    make_default_zones()
    make_code("READER10", value=10)
    editor = User.objects.create_user("shop-editor", "editor@newsroom.test", PASSWORD)
    editor.groups.add(Group.objects.get(name=EDITORS))
    yield {"tee": tee, "cushion": cushion}
    cache.clear()


def test_reader_buys_a_tee_and_a_cushion_and_the_editor_dispatches_them(
    live_server, page, screenshot, smtp_mailbox, shop, viewport
):
    email = f"shopper-{viewport}@example.org"
    medium = Variant.objects.get(sku="TEE-M")

    page.goto(live_server.url + "/shop/")
    expect(page.locator("main")).to_contain_text("Ledger logo tee")
    screenshot("shop-home")

    page.goto(live_server.url + "/shop/product/ledger-logo-tee/")
    expect(page.locator("h1")).to_have_text("Ledger logo tee")
    expect(page.locator("main")).to_contain_text("incl. VAT")
    # The large is sold out: shown, but it cannot be picked.
    large = Variant.objects.get(sku="TEE-L")
    expect(page.locator(f"input[name=variant][value='{large.pk}']")).to_be_disabled()
    page.locator(f"input[name=variant][value='{medium.pk}']").check()
    screenshot("shop-product")
    page.get_by_role("button", name="Add to basket").click()
    expect(page.locator("h1")).to_have_text("Your basket")
    expect(page.locator("main")).to_contain_text("Ledger logo tee")

    page.goto(live_server.url + "/shop/product/read-local-cushion/")
    page.get_by_role("button", name="Add to basket").click()
    expect(page.locator("h1")).to_have_text("Your basket")
    expect(page.locator("main")).to_contain_text("Read local cushion")
    # The header's basket link counts what is in it (fetched apart from the cached page).
    page.goto(live_server.url + "/shop/")
    expect(page.locator("[data-basket-count]")).to_have_text("2")
    page.get_by_role("link", name="Basket").click()
    expect(page.locator("h1")).to_have_text("Your basket")

    page.get_by_label("Discount code").fill("reader10")
    page.get_by_role("button", name="Apply").click()
    # £18 + £25 = £43, less 10% = £38.70.
    expect(page.locator("main")).to_contain_text("READER10")
    expect(page.locator("main")).to_contain_text("£4.30")
    screenshot("shop-basket")
    page.get_by_role("link", name="Go to checkout").click()

    expect(page.locator("h1")).to_have_text("Checkout")
    expect(page.locator("input[name=newsletter_opt_in]")).not_to_be_checked()
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Full name").fill("A Reader")
    page.get_by_label("Address", exact=True).fill("1 Riverside Walk")
    page.get_by_label("Town or city").fill("Riverton")
    page.get_by_label("Postcode").fill("sw1a1aa")
    page.get_by_label("Country").select_option("GB")
    screenshot("shop-checkout-details")
    page.get_by_role("button", name="Continue to delivery").click()

    expect(page.get_by_role("group", name="Delivery to United Kingdom")).to_be_visible()
    screenshot("shop-checkout-shipping")
    page.get_by_role("button", name="Continue to review").click()

    expect(page.locator("h1")).to_have_text("Review your order")
    screenshot("shop-checkout-review")
    page.get_by_role("button", name=re.compile(r"^Pay £")).click()

    expect(page.locator("h1")).to_have_text("Checkout")
    screenshot("shop-demo-checkout")
    page.get_by_role("button", name="Pay", exact=True).click()

    expect(page.locator("h1")).to_have_text(re.compile(r"Thank you — order RL-\d+"))
    screenshot("shop-thanks")
    order = Order.objects.get()
    assert order.status == Order.Status.PAID
    assert order.email == email
    assert order.postcode == "SW1A 1AA"
    assert order.discount_code == "READER10"
    assert order.subtotal == 4300 and order.discount_total == 430
    assert order.total == 3870 + order.shipping_total
    medium.refresh_from_db()
    assert medium.stock == 2

    [confirmation] = smtp_mailbox.wait_for(1)
    assert confirmation.rcpt_tos == [email]
    assert confirmation.subject.startswith(f"Your order {order.number}")
    text = confirmation.text()
    assert "Ledger logo tee" in text and "Read local cushion" in text
    assert format_money(order.total, "GBP") in text
    [order_link] = ORDER_LINK.findall(text)
    assert order_link.startswith(live_server.url)

    # The editor packs the parcel and marks it dispatched in the admin.
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill("shop-editor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(live_server.url + "/admin/fulfilment/")
    expect(page.locator("main")).to_contain_text(order.number)
    screenshot("shop-admin-fulfilment-queue")
    page.get_by_role("link", name=order.number).first.click()
    expect(page.locator("main")).to_contain_text("Mark dispatched")
    page.get_by_label("Carrier").fill("Royal Mail")
    page.get_by_label("Tracking number").fill("RM123456789GB")
    page.get_by_label("Tracking link").fill("https://tracking.example/RM123456789GB")
    screenshot("shop-admin-order")
    page.get_by_role("button", name="Mark dispatched and email the reader").click()
    expect(page.locator("body")).to_contain_text("Dispatched")

    dispatch = smtp_mailbox.wait_for(2)[1]
    assert dispatch.rcpt_tos == [email]
    assert dispatch.subject == f"Your order {order.number} is on its way"
    assert "RM123456789GB" in dispatch.text()
    order.refresh_from_db()
    assert order.status == Order.Status.FULFILLED

    # The reader's order page shows the parcel.
    page.goto(order_link)
    expect(page.locator("main")).to_contain_text("RM123456789GB")
    screenshot("shop-order-dispatched")
