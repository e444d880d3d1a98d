"""Gifts that never brought money lose what identifies the donor (issue 10, retention):
after DONATIONS_UNPAID_RETENTION_DAYS an abandoned, expired or failed donation keeps its
amount for the figures but no address, name or message, and a monthly gift that never
started keeps no address. Paid gifts, and anything younger, are left whole."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from masthead.core.scheduler import periodic_jobs
from masthead.donations.models import Donation, RecurringDonation
from masthead.donations.payment_events import handle_payment_event
from masthead.donations.retention import trim_unpaid_gifts
from masthead.payments import events

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def gift(status, age_days, email, kind="one_off", recurring=None, amount=1000, **fields):
    donation = Donation.objects.create(
        kind=kind,
        recurring=recurring,
        amount=amount,
        email=email,
        public_name="A. Donor",
        message="Keep going",
        anonymous=False,
        provider="demo",
        status=status,
        paid_at=NOW - timedelta(days=age_days) if status in ("paid", "refunded") else None,
        **fields,
    )
    Donation.objects.filter(pk=donation.pk).update(created_at=NOW - timedelta(days=age_days))
    return donation


def supporter(status, age_days, email, started=False):
    recurring = RecurringDonation.objects.create(
        email=email,
        amount=500,
        provider="demo",
        status=status,
        started_at=NOW - timedelta(days=age_days) if started else None,
    )
    RecurringDonation.objects.filter(pk=recurring.pk).update(
        created_at=NOW - timedelta(days=age_days)
    )
    return recurring


def personal(model):
    fields = ["email", "public_name", "message"] if model is Donation else ["email"]
    return sorted(
        (row.pop("pk"), tuple(row.values()))
        for row in model.objects.values("pk", *fields)
        if any(row[field] for field in fields)
    )


def test_the_job_is_registered_with_the_worker_and_defaults_to_30_days(settings):
    assert "donations.trim_unpaid_gifts" in periodic_jobs()
    assert settings.DONATIONS_UNPAID_RETENTION_DAYS == 30


def test_no_unpaid_gift_older_than_the_limit_keeps_personal_data(settings):
    settings.DONATIONS_UNPAID_RETENTION_DAYS = 30
    old_pending = gift("pending", 31, "pending@example.org")
    old_expired = gift("expired", 45, "expired@example.org")
    old_failed = gift("failed", 400, "failed@example.org")
    young_expired = gift("expired", 29, "young@example.org")
    old_paid = gift("paid", 400, "paid@example.org")
    old_refunded = gift("refunded", 400, "refunded@example.org")
    settling = gift("processing", 40, "settling@example.org")
    abandoned = supporter("abandoned", 60, "abandoned@example.org")
    gift("expired", 60, "abandoned@example.org", kind="monthly", recurring=abandoned)
    stopped_early = supporter("cancelled", 60, "stopped@example.org")
    settling_monthly = supporter("pending", 60, "dd@example.org")
    gift("processing", 60, "dd@example.org", kind="monthly", recurring=settling_monthly)
    active = supporter("active", 400, "active@example.org", started=True)
    young_pending = supporter("pending", 3, "new@example.org")

    assert trim_unpaid_gifts(now=NOW) == (4, 2)

    cutoff = NOW - timedelta(days=30)
    never_paid = Donation.objects.filter(
        status__in=["pending", "expired", "failed"], created_at__lt=cutoff
    )
    assert never_paid.count() == 4
    assert never_paid.exclude(email="", public_name="", message="").count() == 0
    assert (
        RecurringDonation.objects.filter(started_at__isnull=True, created_at__lt=cutoff)
        .exclude(email="")
        .get()
        == settling_monthly
    )
    kept = {email for _pk, (email, *_rest) in personal(Donation)}
    assert kept == {
        young_expired.email,
        old_paid.email,
        old_refunded.email,
        settling.email,
        "dd@example.org",
    }
    assert {email for _pk, (email,) in personal(RecurringDonation)} == {
        settling_monthly.email,
        active.email,
        young_pending.email,
    }
    trimmed = Donation.objects.filter(pk__in=[old_pending.pk, old_expired.pk, old_failed.pk])
    assert sorted(trimmed.values_list("status", "amount", "kind")) == [
        ("expired", 1000, "one_off"),
        ("failed", 1000, "one_off"),
        ("pending", 1000, "one_off"),
    ]
    stopped_early.refresh_from_db()
    assert stopped_early.email == ""

    # A second run finds nothing left to trim.
    assert trim_unpaid_gifts(now=NOW) == (0, 0)


def test_a_trimmed_failed_renewal_paid_late_gets_its_receipt_address_back(
    django_capture_on_commit_callbacks,
):
    recurring = supporter("past_due", 60, "loyal@example.org", started=True)
    failed = gift(
        "failed",
        45,
        "loyal@example.org",
        kind="monthly",
        recurring=recurring,
        amount=500,
        is_renewal=True,
        invoice_id="in_late",
    )
    trim_unpaid_gifts(now=NOW)
    failed.refresh_from_db()
    assert failed.email == ""

    with django_capture_on_commit_callbacks(execute=True):
        handle_payment_event(
            events.PaymentSucceeded(
                provider="demo",
                provider_event_id="evt_late",
                purpose="donation",
                reference=str(recurring.reference),
                payment_id="pi_late",
                amount=500,
                currency="GBP",
                invoice_id="in_late",
                is_renewal=True,
            )
        )

    failed.refresh_from_db()
    assert (failed.status, failed.email) == ("paid", "loyal@example.org")
    assert [message.to for message in mail.outbox] == [["loyal@example.org"]]
