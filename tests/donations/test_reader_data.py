"""Donations' and payments' share of a reader's data: the data migration that links the
gifts made before readers existed, the copy of everything held, and erasure: a live monthly
gift is cancelled at the provider first (a refusing provider makes the erasure wait and
nothing is erased), then no text in any donations or payments table names the reader, and
the accounts still add up."""

import importlib
import json

import pytest
from django.apps import apps
from django.db import models

from masthead.donations import donors, reader_data
from masthead.donations.funding import funding_series, month_funding, supporters_report
from masthead.donations.models import Donation, DonationEvent, RecurringDonation
from masthead.payments.models import DemoCheckout, DemoPayment, DemoSubscription, ProviderEvent
from masthead.payments.providers.base import PaymentProviderError
from masthead.payments.providers.demo import DemoProvider
from masthead.readers import identity, registry
from masthead.readers.models import Reader
from masthead.readers.registry import ErasureMustWait
from tests.donations.helpers import give, give_and_pay

pytestmark = pytest.mark.django_db

EMAIL = "ada@example.org"
NAME = "Ada Lovelace"
IP = "203.0.113.77"
STREET = "12 Analytical Row"


# --- the data migration ---------------------------------------------------------------------------


def test_the_data_migration_links_paid_and_started_gifts_to_one_reader_per_mailbox():
    migration = importlib.import_module("masthead.donations.migrations.0007_link_readers")
    existing = Reader.objects.create(email="known@example.org", mailbox="known@example.org")
    Donation.objects.create(
        kind="one_off", amount=500, email="Ada@Example.org", status="paid", provider="demo"
    )
    Donation.objects.create(
        kind="one_off", amount=600, email="ada+news@example.org", status="failed", provider="demo"
    )
    Donation.objects.create(
        kind="one_off", amount=700, email="known@example.org", status="refunded", provider="demo"
    )
    Donation.objects.create(
        kind="one_off", amount=800, email="never@example.org", status="expired", provider="demo"
    )
    monthly = RecurringDonation.objects.create(
        email="b.c@gmail.com", amount=300, provider="demo", status="cancelled"
    )
    RecurringDonation.objects.filter(pk=monthly.pk).update(started_at=monthly.created_at)
    Donation.objects.create(
        kind="monthly", amount=300, email="bc@googlemail.com", recurring=monthly, provider="demo"
    )

    migration.link_readers(apps, None)
    migration.link_readers(apps, None)

    assert sorted(Reader.objects.values_list("mailbox", flat=True)) == [
        "ada@example.org",
        "bc@gmail.com",
        "known@example.org",
    ]
    ada = Reader.objects.get(mailbox="ada@example.org")
    assert ada.email == "ada@example.org"
    assert set(Donation.objects.filter(amount__in=[500, 600]).values_list("reader", flat=True)) == {
        ada.pk
    }
    assert Donation.objects.get(amount=700).reader == existing
    assert Donation.objects.get(amount=800).reader is None
    gmail = Reader.objects.get(mailbox="bc@gmail.com")
    assert RecurringDonation.objects.get().reader == gmail
    assert Donation.objects.get(amount=300).reader == gmail


# --- a reader with a monthly gift that renewed and a refunded gift -------------------------------


@pytest.fixture
def supporter(client, outlet, django_capture_on_commit_callbacks):
    """Ada: a monthly gift paid twice (with an amount change in its history) and a one-off
    gift refunded, all through the demo provider; and a Stripe-shaped charge event that
    carries her name, street, postcode and IP address, as Stripe's do."""
    with django_capture_on_commit_callbacks(execute=True):
        first = give_and_pay(client, amount="500", email=EMAIL)
        recurring = first.recurring
        DemoProvider().change_subscription_amount(recurring.subscription_id, 1000, "GBP")
        DemoProvider().renew(recurring.subscription_id)
        one_off = give_and_pay(
            client,
            frequency="one_off",
            amount="2500",
            email=EMAIL,
            public_name=NAME,
            message=f"From {NAME}, keep going",
        )
        DemoProvider().refund(one_off.payment_id)
    reader = Reader.objects.get()
    reader.name = NAME
    reader.save()
    payment = DemoPayment.objects.get(pk=one_off.payment_id)
    DemoProvider().emit(
        "charge.updated",
        {
            "id": payment.charge_id,
            "object": "charge",
            "payment_intent": payment.id,
            "customer": payment.customer_id,
            "billing_details": {
                "name": NAME,
                "email": EMAIL,
                "address": {"line1": STREET, "postal_code": "AB1 2CD"},
            },
            "payment_method_details": {"card": {"last4": "4242"}},
            "mandate": {"customer_acceptance": {"online": {"ip_address": IP}}},
            "description": f"Gift from {NAME}",
        },
    )
    # Another reader, who must be left alone.
    with django_capture_on_commit_callbacks(execute=True):
        give_and_pay(client, amount="300", email="other@example.org", public_name="Other")
    return reader


def _shares():
    return [share for share in registry.personal_data() if share.name in {"payments", "donations"}]


def _erase(reader):
    """What the readers app does for these shares: prepare every share, then erase each."""
    for share in _shares():
        share.prepare_erasure(reader)
    for share in _shares():
        share.erase(reader)


def _every_text(app_labels):
    """Every text value (JSON included) of every row of every model in ``app_labels``."""
    texts = []
    for label in app_labels:
        for model in apps.get_app_config(label).get_models():
            fields = [
                field.attname
                for field in model._meta.concrete_fields
                if isinstance(field, models.CharField | models.TextField | models.JSONField)
            ]
            for row in model.objects.values_list(*fields):
                texts += [
                    json.dumps(value) if not isinstance(value, str) else value for value in row
                ]
    return "\n".join(texts).lower()


def _totals():
    months = funding_series(12)
    return [(point.month, point.income) for point in months], month_funding().income


def test_the_shares_are_registered_with_payments_erasing_before_donations():
    names = [share.name for share in registry.personal_data()]
    assert names.index("payments") < names.index("donations")
    assert "donations.Donation" in reader_data.DONATIONS_SHARE.models
    assert "payments.ProviderEvent" in reader_data.PAYMENTS_SHARE.models
    assert "six years" in str(reader_data.DONATIONS_SHARE.kept)


def test_the_export_holds_every_gift_its_history_receipts_and_payment_records(supporter):
    copy = {}
    for share in _shares():
        copy.update(share.export(supporter))

    assert sorted(row["amount"] for row in copy["donations"]) == [500, 1000, 2500]
    refunded = next(row for row in copy["donations"] if row["amount"] == 2500)
    assert (refunded["status"], refunded["refunded_amount"]) == ("refunded", 2500)
    assert refunded["public_name"] == NAME
    [monthly] = copy["monthly_gifts"]
    assert (monthly["amount"], monthly["status"], monthly["email"]) == (1000, "active", EMAIL)
    assert [entry["kind"] for entry in copy["donation_history"]] == ["amount_changed"]
    assert "from £5.00 to £10.00" in copy["donation_history"][0]["description"]
    assert len(copy["donation_receipts"]) == 3
    assert {row["sent_to"] for row in copy["donation_receipts"]} == {EMAIL}
    assert {row["customer_email"] for row in copy["payment_checkouts"]} == {EMAIL}
    assert len(copy["payment_checkouts"]) == 2
    types = {row["event_type"] for row in copy["payment_provider_events"]}
    assert {"checkout.session.completed", "invoice.paid", "charge.refunded"} <= types
    assert "charge.updated" in types
    assert len(copy["demo_subscriptions"]) == 1
    assert "other@example.org" not in json.dumps(copy)
    json.dumps(copy)  # everything is JSON


def test_a_provider_that_refuses_to_cancel_makes_the_erasure_wait_and_erases_nothing(
    supporter, monkeypatch
):
    def refuse(self, subscription_id, idempotency_key=""):
        raise PaymentProviderError("The payment provider could not be reached.")

    monkeypatch.setattr(DemoProvider, "cancel_subscription", refuse)
    before = _every_text(["donations", "payments"])

    with pytest.raises(ErasureMustWait, match="could not be reached"):
        _erase(supporter)

    assert _every_text(["donations", "payments"]) == before
    assert RecurringDonation.objects.get(email=EMAIL).status == "active"
    assert Donation.objects.filter(reader=supporter).count() == 3


def test_erasure_cancels_at_the_provider_first_then_leaves_no_trace_and_the_accounts_add_up(
    supporter, django_capture_on_commit_callbacks
):
    income_before = _totals()
    traces = (EMAIL, "ada@", NAME.lower(), "lovelace", IP, STREET.lower(), "ab1 2cd")
    held = _every_text(["donations", "payments"])
    assert all(trace.lower() in held for trace in traces)
    order = []
    for share in _shares():
        share.prepare_erasure(supporter)
    order.append(DemoSubscription.objects.get(customer_email=EMAIL).status)
    supporters_before = supporters_report(12)
    assert RecurringDonation.objects.get(reader=supporter).status == "cancelled"

    for share in _shares():
        share.erase(supporter)

    assert order == ["canceled"]
    text = _every_text(["donations", "payments"])
    for trace in traces:
        assert trace.lower() not in text, trace
    assert "other@example.org" in text
    assert _totals() == income_before
    assert supporters_report(12) == supporters_before
    refunded = Donation.objects.get(amount=2500)
    assert (refunded.status, refunded.refunded_amount, refunded.reader) == ("refunded", 2500, None)
    assert refunded.payment_id and refunded.paid_at
    monthly = RecurringDonation.objects.get(amount=1000)
    assert monthly.subscription_id and monthly.email == "" and monthly.customer_id == ""
    assert DonationEvent.objects.get().parameters["previous"] == 500
    assert ProviderEvent.objects.filter(redaction="personal").exists()


def test_a_refund_after_the_erasure_still_reaches_its_gift(supporter):
    _erase(supporter)
    renewal = Donation.objects.get(amount=1000)

    DemoProvider().refund(renewal.payment_id)

    renewal.refresh_from_db()
    assert (renewal.status, renewal.refunded_amount) == ("refunded", 1000)
    assert renewal.email == ""


def test_an_erased_gifts_blank_address_opens_no_manage_page(client, supporter):
    _erase(supporter)

    assert not donors.donations_for("").exists()
    assert not donors.recurring_for(" ").exists()


def test_an_editor_can_export_and_erase_an_address_that_never_became_a_reader(outlet):
    Donation.objects.create(
        kind="one_off", amount=500, email="Ghost+x@Example.org", status="failed", provider="demo"
    )
    unknown = identity.transient("ghost@example.org")
    assert unknown.pk is None

    copy = reader_data.DONATIONS_SHARE.export(unknown)
    reader_data.DONATIONS_SHARE.erase(unknown)

    assert [row["email"] for row in copy["donations"]] == ["Ghost+x@Example.org"]
    assert Donation.objects.get().email == ""
    assert Reader.objects.count() == 0


def test_erasure_first_ends_a_checkout_still_open_so_it_cannot_be_paid_after(client, supporter):
    give(client, frequency="one_off", amount="500", email=EMAIL)
    pending = Donation.objects.get(status="pending")

    for share in _shares():
        share.prepare_erasure(supporter)

    pending.refresh_from_db()
    assert pending.status == "expired"
    assert DemoCheckout.objects.get(pk=pending.checkout_id).status == "expired"
    with pytest.raises(PaymentProviderError):
        DemoProvider().pay(pending.checkout_id)
