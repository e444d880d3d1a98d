"""How many database queries the shop's never-cached pages cost: the basket and the
checkout's review step, with three different products in the basket. A basket must cost
the same however many lines it holds, and neither page may creep past its budget."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.shop.checkout_helpers import add_to_cart, choose_shipping, fill_details
from tests.shop.factories import make_default_zones, make_product

pytestmark = pytest.mark.django_db

# Lower them when a page gets cheaper; raising one needs a reason.
BUDGETS = {"basket": 4, "checkout review": 6}
URLS = {"basket": "/shop/cart/", "checkout review": "/shop/checkout/review/"}


@pytest.fixture
def shopper(client, catalogue):
    zones = make_default_zones()
    for variant in (
        catalogue.tee.variants.get(sku="TEE-S"),
        catalogue.tee.variants.get(sku="TEE-M"),
        catalogue.poster.variants.get(),
    ):
        add_to_cart(client, variant)
    fill_details(client)
    choose_shipping(client, zones["uk"].rates.first())
    return client


def queries_for(client, url):
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("page", sorted(BUDGETS))
def test_each_shop_page_stays_within_its_query_budget(shopper, page):
    count = queries_for(shopper, URLS[page])
    assert 0 < count <= BUDGETS[page]


@pytest.mark.parametrize("page", sorted(BUDGETS))
def test_more_lines_cost_no_more_queries(shopper, catalogue, page):
    before = queries_for(shopper, URLS[page])
    for number in range(4):
        product = make_product(
            catalogue.tees,
            title=f"Riverside tee {number}",
            variants=[{"sku": f"RIVER-{number}", "price": 1500, "stock": 9}],
        )
        add_to_cart(shopper, product.variants.get())
    after = queries_for(shopper, URLS[page])
    assert after == before
