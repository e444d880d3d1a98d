"""Abandoned baskets are kept for SHOP_CART_RETENTION_DAYS (issue 10, retention): the worker's
hourly job deletes a basket nobody has touched for longer, with its lines, and the basket
cookie lasts exactly as long."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from masthead.core import scheduler
from masthead.core.scheduler import periodic_jobs
from masthead.shop.cart import COOKIE_NAME
from masthead.shop.models import Cart, CartLine
from tests.shop import conftest as shop_fixtures
from tests.shop.checkout_helpers import add_to_cart

pytestmark = pytest.mark.django_db

outlet = shop_fixtures.outlet
catalogue = shop_fixtures.catalogue


def basket_touched(client, variant, days_ago):
    """A basket of its own for ``client``, last changed ``days_ago`` days ago."""
    add_to_cart(client, variant)
    cart = Cart.objects.order_by("created_at").last()
    Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now() - timedelta(days=days_ago))
    return cart


def test_baskets_untouched_for_longer_than_the_setting_are_deleted(
    catalogue, settings, monkeypatch
):
    monkeypatch.setattr(scheduler, "_last_run", {})
    settings.SHOP_CART_RETENTION_DAYS = 10
    tee = catalogue.tee.variants.first()
    old = basket_touched(Client(), tee, days_ago=11)
    recent = basket_touched(Client(), tee, days_ago=9)

    periodic_jobs()["shop.delete_stale_carts"]()

    assert list(Cart.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not CartLine.objects.filter(cart_id=old.pk).exists()

    settings.SHOP_CART_RETENTION_DAYS = 8
    scheduler._last_run.clear()  # the job runs hourly; this is the next hour's pass
    periodic_jobs()["shop.delete_stale_carts"]()
    assert not Cart.objects.exists()


def test_the_basket_cookie_lasts_as_long_as_a_basket_is_kept(client, catalogue, settings):
    settings.SHOP_CART_RETENTION_DAYS = 10

    response = add_to_cart(client, catalogue.tee.variants.first())

    assert response.cookies[COOKIE_NAME]["max-age"] == 10 * 24 * 60 * 60
