"""Paid gifts keep the donor's address for DONATIONS_PAID_ADDRESS_YEARS after their last
gift, then a daily job anonymises them as an erasure would, keeping the accounts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from masthead.donations.models import Donation, RecurringDonation
from masthead.donations.reader_data import forget_lapsed_donors
from masthead.payments.models import Checkout

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def gift(email, years_ago, **fields):
    when = NOW - timedelta(days=round(365.25 * years_ago))
    donation = Donation.objects.create(
        kind="one_off",
        amount=1500,
        email=email,
        public_name="Morgan Giver",
        message="Keep it up",
        provider="demo",
        status=Donation.Status.PAID,
        paid_at=when,
        **fields,
    )
    Donation.objects.filter(pk=donation.pk).update(created_at=when)
    return donation


def test_a_donor_silent_for_longer_than_the_retention_is_anonymised_and_the_sums_stay(settings):
    settings.DONATIONS_PAID_ADDRESS_YEARS = 6
    lapsed = gift("lapsed@example.org", 7)
    Checkout.objects.create(
        provider="demo",
        idempotency_key="k-lapsed",
        purpose="donation",
        reference=str(lapsed.reference),
        mode="payment",
        amount=1500,
        currency="GBP",
        customer_email="lapsed@example.org",
    )
    recent = gift("recent@example.org", 7)
    gift("recent@example.org", 1)
    young = gift("young@example.org", 5)
    live = gift("monthly@example.org", 8)
    RecurringDonation.objects.create(
        email="monthly@example.org", amount=500, provider="demo", status="active"
    )
    RecurringDonation.objects.filter(email="monthly@example.org").update(
        created_at=NOW - timedelta(days=9 * 365)
    )
    total_before = sum(Donation.objects.values_list("amount", flat=True))

    assert forget_lapsed_donors(now=NOW) == 1

    lapsed.refresh_from_db()
    assert (lapsed.email, lapsed.public_name, lapsed.message) == ("", "", "")
    assert (lapsed.amount, lapsed.status) == (1500, Donation.Status.PAID)
    assert Checkout.objects.get(idempotency_key="k-lapsed").customer_email == ""
    for kept in (recent, young, live):
        kept.refresh_from_db()
        assert kept.email and kept.public_name == "Morgan Giver"
    assert sum(Donation.objects.values_list("amount", flat=True)) == total_before
    # Running again changes nothing more.
    assert forget_lapsed_donors(now=NOW) == 0
