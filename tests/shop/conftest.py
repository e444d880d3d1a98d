"""Fixtures for the shop tests: a published site with the demo payment provider, and a small
catalogue covering the cases the shop must handle (tracked stock, low stock, out of stock,
print on demand, a product taken off sale)."""

from dataclasses import dataclass

import pytest
from django.core.cache import cache

from masthead.shop.models import Category, Product
from tests.publishing.factories import make_site_tree
from tests.shop.factories import make_category, make_product

SITE = "http://testserver"


@pytest.fixture
def outlet(settings):
    """A published site, the demo provider, links that point at the test server."""
    cache.clear()
    settings.SITE_URL = SITE
    settings.PAYMENTS_PROVIDER = "demo"
    settings.MASTHEAD_ALLOW_DEMO_PAYMENTS = True
    return make_site_tree()


@dataclass
class Catalogue:
    """What the ``catalogue`` fixture made."""

    tees: Category
    posters: Category
    badges: Category
    tee: Product  # S (5 left), M (2 left), L (sold out), tracked; £18, was £22
    poster: Product  # one untracked print-on-demand variant, £12
    badge: Product  # one variant, sold out
    retired: Product  # taken off sale (not live)


@pytest.fixture
def catalogue(outlet):
    """Three categories and four products; see :class:`Catalogue`."""
    tees = make_category("T-shirts", sort_order=1)
    posters = make_category("Posters", sort_order=2)
    badges = make_category("Badges", sort_order=3)
    tee = make_product(
        tees,
        title="Ledger logo tee",
        featured=True,
        variants=[
            {"sku": "TEE-S", "option1": "S", "price": 1800, "compare_at_price": 2200, "stock": 5},
            {"sku": "TEE-M", "option1": "M", "price": 1800, "compare_at_price": 2200, "stock": 2},
            {"sku": "TEE-L", "option1": "L", "price": 1800, "compare_at_price": 2200, "stock": 0},
        ],
    )
    poster = make_product(
        posters,
        title="Riverside map poster",
        variants=[
            {
                "sku": "POSTER-A3",
                "option1": "A3",
                "price": 1200,
                "track_stock": False,
                "stock": 0,
                "fulfilment": "printful",
                "external_variant_id": "pf-4011",
            }
        ],
    )
    badge = make_product(
        badges, title="Read local badge", variants=[{"sku": "BADGE-1", "price": 300, "stock": 0}]
    )
    retired = make_product(
        tees,
        title="Old masthead tee",
        live=False,
        variants=[{"sku": "TEE-OLD-M", "option1": "M", "price": 1500, "stock": 4}],
    )
    return Catalogue(
        tees=tees,
        posters=posters,
        badges=badges,
        tee=tee,
        poster=poster,
        badge=badge,
        retired=retired,
    )
