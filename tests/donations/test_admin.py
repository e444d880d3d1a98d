"""The Wagtail admin for donations: listings with filters, CSV export, the supporters
report, and refunds through the provider."""

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from masthead.donations.models import Donation
from masthead.payments.models import DemoPayment
from tests.donations.helpers import give_and_pay

pytestmark = pytest.mark.django_db


def streamed(response):
    return b"".join(response.streaming_content).decode()


@pytest.fixture
def admin_client(client, outlet):
    user = get_user_model().objects.create_superuser("boss", "boss@example.org", "pw-123456")
    client.force_login(user)
    return client


def test_the_donations_listing_filters_by_status(admin_client):
    give_and_pay(admin_client, email="paid@example.org", frequency="one_off", amount="1000")
    Donation.objects.create(
        kind="one_off", amount=700, email="waiting@example.org", provider="demo"
    )

    everything = admin_client.get("/admin/donations/").content.decode()
    only_paid = admin_client.get("/admin/donations/?status=paid").content.decode()

    assert "paid@example.org" in everything and "waiting@example.org" in everything
    assert "paid@example.org" in only_paid and "waiting@example.org" not in only_paid
    assert "£10.00" in only_paid


def test_the_donations_export_is_csv_and_defuses_formulas(admin_client):
    give_and_pay(
        admin_client,
        email="paid@example.org",
        frequency="one_off",
        amount="1000",
        public_name="=HYPERLINK(1)",
    )

    response = admin_client.get("/admin/donations/?export=csv")

    rows = list(csv.DictReader(io.StringIO(streamed(response))))
    assert response.status_code == 200
    assert len(rows) == 1
    assert (rows[0]["Email"], rows[0]["Amount"], rows[0]["Status"]) == (
        "paid@example.org",
        "1000",
        "paid",
    )
    assert rows[0]["Public name"] == "'=HYPERLINK(1)"


def test_the_supporters_listing_and_export(admin_client):
    give_and_pay(admin_client, email="monthly@example.org", amount="500")

    listing = admin_client.get("/admin/supporters/?status=active").content.decode()
    export = streamed(admin_client.get("/admin/supporters/?export=csv"))

    assert "monthly@example.org" in listing and "£5.00" in listing
    assert "monthly@example.org" in export


def test_the_supporters_report_shows_recurring_income_and_new_supporters(admin_client):
    give_and_pay(admin_client, email="monthly@example.org", amount="500")

    html = admin_client.get("/admin/reports/supporters/").content.decode()

    assert "<span data-mri>£5.00</span>" in html
    assert "<td>1</td>" in html


def test_donations_cannot_be_typed_in_by_hand(admin_client):
    response = admin_client.get("/admin/donations/new/")

    assert response.status_code == 302
    assert not Donation.objects.exists()


def test_a_partial_then_a_full_refund_go_through_the_provider(admin_client):
    donation = give_and_pay(admin_client, frequency="one_off", amount="2500")
    inspect = admin_client.get(f"/admin/donations/inspect/{donation.pk}/").content.decode()
    assert f"/admin/donations/refund/{donation.pk}/" in inspect

    response = admin_client.post(f"/admin/donations/refund/{donation.pk}/", {"amount": "10"})

    assert response.status_code == 302
    donation.refresh_from_db()
    assert (donation.status, donation.refunded_amount) == ("paid", 1000)
    assert DemoPayment.objects.get().amount_refunded == 1000

    admin_client.post(f"/admin/donations/refund/{donation.pk}/", {"amount": ""})

    donation.refresh_from_db()
    assert (donation.status, donation.refunded_amount) == ("refunded", 2500)
    assert DemoPayment.objects.get().amount_refunded == 2500


@pytest.mark.parametrize("amount", ["30", "0", "-1", "abc"])
def test_a_refund_beyond_what_is_left_or_not_a_number_is_refused(admin_client, amount):
    donation = give_and_pay(admin_client, frequency="one_off", amount="2500")

    response = admin_client.post(f"/admin/donations/refund/{donation.pk}/", {"amount": amount})

    assert response.status_code == 200
    assert "error" in response.content.decode().lower()
    donation.refresh_from_db()
    assert donation.refunded_amount == 0
    assert DemoPayment.objects.get().amount_refunded == 0


def test_a_refund_of_an_unknown_donation_is_a_404(admin_client):
    assert admin_client.get("/admin/donations/refund/999999/").status_code == 404


def test_an_editor_without_donation_rights_cannot_refund_or_see_the_report(client, outlet):
    user = get_user_model().objects.create_user("writer", "w@example.org", "pw-123456")
    user.groups.add(Group.objects.get(name="Editors"))
    client.force_login(user)
    donation = give_and_pay(client, frequency="one_off", amount="2500")

    refund = client.post(f"/admin/donations/refund/{donation.pk}/", {"amount": ""})
    report = client.get("/admin/reports/supporters/")

    assert refund.status_code in {302, 403}
    assert report.status_code in {302, 403}
    donation.refresh_from_db()
    assert donation.refunded_amount == 0
