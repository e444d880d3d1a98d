"""Order actions hit from many threads at once (a double-clicking editor, the expiry job on
two workers, a replayed webhook): each transition still happens once.

PostgreSQL only (DATABASE_URL=postgres://...), where transactions really interleave.
"""

import time

import pytest
from django.db import connection

from masthead.payments.models import DemoPayment
from masthead.shop import orders
from masthead.shop.models import Order, OrderRefund
from masthead.shop.stock import release_stock
from tests.shop.factories import make_product
from tests.shop.order_helpers import line_for, make_order, stock
from tests.shop.test_concurrency import all_at_once

THREADS = 12

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def postgres_only(settings):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent order actions are tested on PostgreSQL (set DATABASE_URL)")
    settings.PAYMENTS_PROVIDER = "demo"
    settings.MASTHEAD_ALLOW_DEMO_PAYMENTS = True
    settings.SITE_URL = "http://testserver"


@pytest.fixture
def tee():
    product = make_product(variants=[{"sku": "TEE-RACE", "option1": "M", "stock": 10}])
    return product.variants.get()


def test_releasing_stock_from_many_workers_puts_units_back_once(tee):
    order = make_order([(tee, 4)], paid=False)
    assert stock(tee) == 6

    returned = all_at_once(THREADS, lambda _index: release_stock(order))

    assert sorted(returned) == [0] * (THREADS - 1) + [4]
    assert stock(tee) == 10


def test_a_storm_of_refund_clicks_for_the_last_unit_refunds_it_once(tee):
    order = make_order([(tee, 1)])
    line = line_for(order, "TEE-RACE")

    outcomes = all_at_once(
        THREADS, lambda _index: orders.refund(order, lines={line.pk: 1}, restock=True)
    )

    made = [outcome for outcome in outcomes if isinstance(outcome, OrderRefund)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, orders.OrderActionError)]
    assert (len(made), len(refused)) == (1, THREADS - 1)
    assert OrderRefund.objects.count() == 1
    assert DemoPayment.objects.get(pk=order.payment_id).amount_refunded == order.total
    assert stock(tee) == 10
    assert Order.objects.get(pk=order.pk).refunded_amount == order.total


def test_cancelling_from_many_threads_refunds_and_emails_once(tee, smtp_mailbox):
    order = make_order([(tee, 3)])

    all_at_once(THREADS, lambda _index: orders.cancel(order, reason="Misprint"))

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert OrderRefund.objects.count() == 1
    assert DemoPayment.objects.get(pk=order.payment_id).amount_refunded == order.total
    assert stock(tee) == 10
    smtp_mailbox.wait_for(1)
    time.sleep(0.5)
    assert len(smtp_mailbox.messages) == 1
