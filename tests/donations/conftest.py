"""Fixtures for the donations tests: a site to render pages on, and helpers that give
through the demo provider exactly as a reader's browser would."""

import pytest

from tests.donations.helpers import open_outlet


@pytest.fixture
def outlet(settings):
    """A published site, the demo provider, links that point at the test server."""
    return open_outlet(settings)
