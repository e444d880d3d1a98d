"""Orders never paid keep the reader's personal details no longer than
SHOP_UNPAID_RETENTION_DAYS (issue 10, retention): the details go, the figures stay."""

from datetime import timedelta

import pytest
from django.utils import timezone

from masthead.shop.models import Order
from masthead.shop.retention import trim_unpaid_orders
from tests.shop.order_helpers import make_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def tee_s(catalogue):
    return catalogue.tee.variants.get(sku="TEE-S")


def test_orders_never_paid_lose_personal_details_after_the_retention_time(tee_s, settings):
    settings.SHOP_UNPAID_RETENTION_DAYS = 30
    now = timezone.now()
    expired = make_order([(tee_s, 1)], paid=False, email="gone@example.org", phone="0123")
    recent = make_order([(tee_s, 1)], paid=False, email="recent@example.org")
    paid = make_order([(tee_s, 1)], email="customer@example.org")
    Order.objects.filter(pk=expired.pk).update(status=Order.Status.EXPIRED)
    Order.objects.filter(pk=recent.pk).update(status=Order.Status.EXPIRED)
    Order.objects.filter(pk__in=[expired.pk, paid.pk]).update(created_at=now - timedelta(31))

    assert trim_unpaid_orders(now) == 1

    expired.refresh_from_db()
    assert (expired.email, expired.full_name, expired.address_line1, expired.phone) == (
        "",
        "",
        "",
        "",
    )
    assert (expired.total, expired.lines.count()) == (1800 + 350, 1)
    assert Order.objects.get(pk=recent.pk).email == "recent@example.org"
    assert Order.objects.get(pk=paid.pk).email == "customer@example.org"
    assert trim_unpaid_orders(now) == 0
