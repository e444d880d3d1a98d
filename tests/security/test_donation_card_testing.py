"""Card testing through the donate form (issue 10, hardening): checkouts started are limited
per network (an IPv4 address, or a whole IPv6 /64) and per donor mailbox (case, +tags and
Gmail dots counted as one), at limits a real donor never meets; a refused attempt opens no
checkout and records no donation."""

import pytest
from django.core.cache import cache

from masthead.donations.models import Donation
from masthead.payments.models import Checkout
from tests.donations.helpers import ORIGIN, donate_form, open_outlet

pytestmark = pytest.mark.django_db


@pytest.fixture
def outlet(settings):
    yield open_outlet(settings)
    cache.clear()


def give_from(client, address, **form):
    """Post the donate form from ``address`` as a browser on this site would."""
    data = donate_form(frequency="one_off", amount="1000", **form)
    return client.post("/support/give/", data, REMOTE_ADDR=address, **ORIGIN)


def test_the_default_limits_let_a_donor_try_a_few_times(settings):
    assert settings.DONATIONS_START_LIMIT_PER_IP == (10, 3600)
    assert settings.DONATIONS_START_LIMIT_PER_ADDRESS == (5, 3600)


def test_checkouts_from_one_ipv6_64_are_limited_together(client, outlet, settings):
    settings.DONATIONS_START_LIMIT_PER_IP = (3, 3600)
    addresses = [f"2001:db8:5:6::{suffix}" for suffix in ("1", "2", "3", "ffff")]

    statuses = [
        give_from(client, address, email=f"donor{number}@example.org").status_code
        for number, address in enumerate(addresses)
    ]

    assert statuses == [302, 302, 302, 429]
    assert Donation.objects.count() == Checkout.objects.count() == 3
    # Another network is not held back by that one.
    assert give_from(client, "2001:db8:5:7::1", email="other@example.org").status_code == 302


def test_checkouts_for_one_mailbox_are_limited_across_networks(client, outlet, settings):
    settings.DONATIONS_START_LIMIT_PER_ADDRESS = (2, 3600)
    attempts = [
        ("192.0.2.1", "Tester@Gmail.com"),
        ("192.0.2.2", "t.e.s.t.e.r+1@googlemail.com"),
        ("198.51.100.3", "tester+2@gmail.com"),
    ]

    statuses = [give_from(client, ip, email=email).status_code for ip, email in attempts]

    assert statuses == [302, 302, 429]
    assert Donation.objects.count() == 2
    assert give_from(client, "198.51.100.3", email="someone@gmail.com").status_code == 302


def test_a_donor_correcting_the_form_spends_none_of_their_attempts(client, outlet, settings):
    settings.DONATIONS_START_LIMIT_PER_IP = (1, 3600)
    settings.DONATIONS_START_LIMIT_PER_ADDRESS = (1, 3600)

    mistakes = [give_from(client, "192.0.2.9", email="not an address") for _ in range(3)]
    response = give_from(client, "192.0.2.9", email="donor@example.org")

    assert [mistake.status_code for mistake in mistakes] == [400, 400, 400]
    assert response.status_code == 302
    assert Donation.objects.count() == 1
