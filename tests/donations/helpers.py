"""Shared steps for the donations tests: set up the outlet, post the donate form, pay on the
demo checkout."""

from django.core.cache import cache

from masthead.donations.models import Donation
from masthead.payments.providers.demo import DemoProvider
from tests.publishing.factories import make_site_tree

SITE = "http://testserver"
ORIGIN = {"HTTP_ORIGIN": SITE}


def open_outlet(settings):
    """A published site, the demo provider, links that point at the test server (the
    ``outlet`` fixture's work, for test folders that define their own)."""
    cache.clear()
    settings.SITE_URL = SITE
    settings.PAYMENTS_PROVIDER = "demo"
    settings.MASTHEAD_ALLOW_DEMO_PAYMENTS = True
    return make_site_tree()


def donate_form(**overrides):
    """A valid donate form: £10 a month from a test reader, unless told otherwise."""
    data = {
        "frequency": "monthly",
        "amount": "1000",
        "other_amount": "",
        "currency": "GBP",
        "email": "reader@example.org",
        "public_name": "",
        "message": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def give(client, **overrides):
    """Post the donate form as a browser on this site would."""
    return client.post("/support/give/", donate_form(**overrides), **ORIGIN)


def give_and_pay(client, **overrides):
    """Give and press Pay on the demo checkout; returns the first donation, refreshed."""
    response = give(client, **overrides)
    assert response.status_code == 302, response.content[:500]
    donation = Donation.objects.latest("pk")
    DemoProvider().pay(donation.checkout_id)
    donation.refresh_from_db()
    return donation
