"""The donations' share of the demo outlet: a year of costs and readers' gifts."""

import io
import re

import pytest
from django.core.management import call_command

from masthead.donations import self_service
from masthead.donations.models import Donation, FundingGoal, MonthlyCost, RecurringDonation
from masthead.payments.models import DemoSubscription

pytestmark = pytest.mark.django_db


def test_demo_records_a_year_of_costs_and_gifts_and_the_funding_page_tells_it(client):
    call_command("demo_content", stdout=io.StringIO())

    assert MonthlyCost.objects.values("month").distinct().count() == 12
    assert FundingGoal.objects.count() == 12
    assert RecurringDonation.objects.filter(status="active").count() == 24
    assert Donation.objects.filter(status="paid", kind="one_off").count() == 30
    assert not Donation.objects.exclude(email__endswith="@supporters.example.org").exists()
    page = client.get("/funding/").content.decode()
    percent = int(re.search(r"(\d+)% of this month", page).group(1))
    assert 0 < percent < 100


def test_resetting_the_demo_keeps_an_editors_own_costs(client):
    call_command("demo_content", stdout=io.StringIO())
    own = MonthlyCost.objects.filter(note="Demo figure").first()
    MonthlyCost.objects.filter(pk=own.pk).update(note="Agreed with the printer")

    call_command("demo_content", "--reset", stdout=io.StringIO())

    assert MonthlyCost.objects.filter(note="Agreed with the printer").count() == 1
    assert RecurringDonation.objects.count() == 24


def test_a_demo_supporter_can_manage_their_monthly_gift_at_the_demo_provider(client, settings):
    settings.PAYMENTS_PROVIDER = "demo"
    settings.MASTHEAD_ALLOW_DEMO_PAYMENTS = True
    call_command("demo_content", stdout=io.StringIO())
    supporter = RecurringDonation.objects.get(email="supporter-1@supporters.example.org")
    provider_side = DemoSubscription.objects.get(pk=supporter.subscription_id)
    assert (provider_side.amount, provider_side.customer_id) == (
        supporter.amount,
        supporter.customer_id,
    )

    self_service.change_monthly_amount(supporter.email, supporter.pk, 1234)
    self_service.cancel_monthly(supporter.email, supporter.pk)

    supporter.refresh_from_db()
    assert supporter.amount == 1234
    assert supporter.status == RecurringDonation.Status.CANCELLED
    call_command("demo_content", "--reset", stdout=io.StringIO())
    assert DemoSubscription.objects.count() == 24
