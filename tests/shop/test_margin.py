"""The shop's margin on the funding page: what paid orders earned after the cost of the
goods, less refunds, in the month they were paid."""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from masthead.donations import funding as donations
from masthead.shop import orders
from masthead.shop.models import Order
from tests.shop.order_helpers import line_for, make_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def tee_s(catalogue):
    # £18 a tee that costs the outlet £6 (the factories' cost of goods).
    return catalogue.tee.variants.get(sku="TEE-S")


@pytest.fixture
def this_month():
    start = timezone.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=40)


def test_the_margin_is_item_revenue_after_discount_less_the_cost_of_goods(tee_s, this_month):
    make_order([(tee_s, 2)], discount=360)  # 3600 - 360 - 2 x 600
    make_order([(tee_s, 1)], paid=False)  # never paid: not counted

    assert orders.margin_between(*this_month, "GBP") == 2040
    assert orders.margin_between(*this_month, "EUR") == 0


def test_refunds_come_off_the_margin_and_refunded_units_cost_nothing(
    tee_s, this_month, django_capture_on_commit_callbacks
):
    order = make_order([(tee_s, 2)])
    with django_capture_on_commit_callbacks(execute=True):
        orders.refund(order, lines={line_for(order, "TEE-S").pk: 1}, restock=True)

    # 3600 paid for items, 1800 refunded, one tee's cost of 600 left.
    assert orders.margin_between(*this_month, "GBP") == 1200


def test_a_cancelled_order_earns_nothing(tee_s, this_month, django_capture_on_commit_callbacks):
    order = make_order([(tee_s, 2)])
    with django_capture_on_commit_callbacks(execute=True):
        orders.cancel(order)

    assert Order.objects.get(pk=order.pk).refunded_amount == order.total
    assert orders.margin_between(*this_month, "GBP") == 0


def test_orders_count_in_the_month_they_were_paid(tee_s, this_month):
    make_order([(tee_s, 1)], paid_at=this_month[0] - timedelta(days=3))

    assert orders.margin_between(*this_month, "GBP") == 0


def test_the_funding_page_shows_the_shop_margin_as_its_own_line(client, tee_s):
    make_order([(tee_s, 2)])

    figures = donations.month_funding()
    html = client.get("/funding/").content.decode()

    assert [(line.name, line.label, line.amount) for line in figures.income_lines] == [
        ("shop", "Shop margin", 2400)
    ]
    assert figures.income == 2400 and figures.gifts_income == 0
    assert 'data-funding-source="shop"' in html
    assert "Shop margin" in html and "£24.00" in html
    assert "what the shop earned after the cost of the goods" in html


def test_the_margin_by_month_puts_each_order_in_its_local_month_in_one_query(
    tee_s, django_assert_num_queries
):
    zone = timezone.get_current_timezone()
    june_night = datetime(2025, 6, 30, 23, 30, tzinfo=zone)
    july_night = datetime(2025, 7, 1, 0, 30, tzinfo=zone)
    make_order([(tee_s, 1)], paid_at=june_night)  # 1800 - 600
    make_order([(tee_s, 2)], paid_at=july_night)  # 3600 - 1200
    start = datetime(2025, 1, 1, tzinfo=zone)
    end = datetime(2026, 1, 1, tzinfo=zone)

    with django_assert_num_queries(1):
        months = orders.margin_by_month(start, end, "GBP")

    assert months == {
        date(2025, 6, 1): 1200,
        date(2025, 7, 1): 2400,
    }
