"""Fixtures for the donations tests: a site to render pages on, and helpers that give
through the demo provider exactly as a reader's browser would."""

import pytest
from django.core.cache import cache

from tests.publishing.factories import make_site_tree

SITE = "http://testserver"


@pytest.fixture
def outlet(settings):
    """A published site, the demo provider, links that point at the test server."""
    cache.clear()
    settings.SITE_URL = SITE
    settings.PAYMENTS_PROVIDER = "demo"
    settings.MASTHEAD_ALLOW_DEMO_PAYMENTS = True
    return make_site_tree()
