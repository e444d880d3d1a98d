"""An outlet with no payment provider set up (production's default: the demo provider
switched off, no Stripe) asks no one for money: the donate prompts are left out, the donate
page says plainly that payments are not set up, and a gift posted anyway is refused with
nothing kept of it."""

import pytest

from masthead.core.cache import invalidate_pages
from masthead.donations.models import Donation
from tests.donations.helpers import ORIGIN, donate_form


@pytest.fixture
def no_payments(outlet, settings):
    settings.PAYMENTS_PROVIDER = "demo"
    settings.MASTHEAD_ALLOW_DEMO_PAYMENTS = False
    return outlet


@pytest.mark.django_db
def test_the_home_page_asks_for_support_only_when_payments_are_set_up(client, outlet, settings):
    with_payments = client.get("/").content.decode()
    settings.MASTHEAD_ALLOW_DEMO_PAYMENTS = False
    # The setting changes with a restart, which starts with an empty page cache.
    invalidate_pages()
    without = client.get("/").content.decode()

    assert "donate-prompt" in with_payments
    assert "donate-prompt" not in without


@pytest.mark.django_db
def test_the_donate_page_says_payments_are_not_set_up_and_has_no_form(client, no_payments):
    response = client.get("/support/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "Payments are not set up on this site yet" in body
    assert 'action="/support/give/"' not in body
    assert 'name="amount"' not in body


@pytest.mark.django_db
def test_a_gift_posted_anyway_is_refused_and_nothing_is_kept(client, no_payments):
    response = client.post("/support/give/", donate_form(), **ORIGIN)

    assert response.status_code == 503
    body = response.content.decode()
    assert "Payments are not set up on this site yet" in body
    # Waiting would not help, so the page does not ask the donor to try again.
    assert "try again" not in body
    assert Donation.objects.count() == 0
