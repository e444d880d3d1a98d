"""What payment events do to donations: every transition once, whatever the order, however
often an event is delivered."""

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from masthead.donations.models import Donation, RecurringDonation
from masthead.donations.payment_events import handle_payment_event
from masthead.payments import events

pytestmark = pytest.mark.django_db

PROVIDER = "demo"


def pending(kind="one_off", amount=1000, email="giver@example.org"):
    """A donation as start_donation leaves it, before any event."""
    reference = uuid.uuid4()
    recurring = None
    if kind == "monthly":
        recurring = RecurringDonation.objects.create(
            reference=reference, email=email, amount=amount, provider=PROVIDER
        )
    return Donation.objects.create(
        reference=reference,
        kind=kind,
        recurring=recurring,
        amount=amount,
        email=email,
        provider=PROVIDER,
        checkout_id=f"cs_{reference.hex[:8]}",
    )


def common(donation, name):
    return {
        "provider": PROVIDER,
        "provider_event_id": f"evt_{name}_{donation.reference.hex[:8]}",
        "purpose": "donation",
        "reference": str(donation.reference),
    }


def completed(donation, payment_id="", subscription_id="", paid=True):
    return events.CheckoutCompleted(
        **common(donation, "completed"),
        checkout_id=donation.checkout_id,
        amount=donation.amount,
        currency="GBP",
        email=donation.email,
        customer_id="cus_1",
        subscription_id=subscription_id,
        payment_id=payment_id,
        paid=paid,
    )


def invoice_paid(donation, number, subscription_id="sub_1", amount=None):
    return events.PaymentSucceeded(
        **common(donation, f"invoice{number}"),
        payment_id=f"pi_{number}_{donation.reference.hex[:6]}",
        amount=amount or donation.amount,
        currency="GBP",
        email=donation.email,
        customer_id="cus_1",
        subscription_id=subscription_id,
        invoice_id=f"in_{number}_{donation.reference.hex[:6]}",
        is_renewal=number > 1,
    )


def deliver(*delivered, capture):
    """Deliver events as the payments app does, running what is queued after commit."""
    with capture(execute=True):
        for event in delivered:
            handle_payment_event(event)


def test_a_paid_one_off_checkout_marks_the_donation_paid_and_sends_one_receipt(
    django_capture_on_commit_callbacks,
):
    donation = pending()
    event = completed(donation, payment_id="pi_one")

    deliver(event, event, event, capture=django_capture_on_commit_callbacks)

    donation.refresh_from_db()
    assert (donation.status, donation.payment_id) == ("paid", "pi_one")
    assert donation.paid_at is not None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["giver@example.org"]


def test_a_settling_direct_debit_waits_then_a_late_success_pays(
    django_capture_on_commit_callbacks,
):
    donation = pending()
    deliver(completed(donation, paid=False), capture=django_capture_on_commit_callbacks)
    donation.refresh_from_db()
    assert donation.status == "processing"
    assert mail.outbox == []

    late = events.PaymentSucceeded(
        **common(donation, "late"), payment_id="pi_late", amount=1000, currency="GBP"
    )
    deliver(late, capture=django_capture_on_commit_callbacks)

    donation.refresh_from_db()
    assert (donation.status, donation.payment_id) == ("paid", "pi_late")
    assert len(mail.outbox) == 1


def test_a_failed_direct_debit_marks_the_donation_failed_without_a_receipt(
    django_capture_on_commit_callbacks,
):
    donation = pending()
    failed = events.PaymentFailed(
        **common(donation, "failed"), amount=1000, currency="GBP", reason="Account closed"
    )

    deliver(completed(donation, paid=False), failed, capture=django_capture_on_commit_callbacks)

    donation.refresh_from_db()
    assert (donation.status, donation.failure_reason) == ("failed", "Account closed")
    assert mail.outbox == []


def test_an_abandoned_checkout_expires_the_donation_and_its_monthly_gift(
    django_capture_on_commit_callbacks,
):
    donation = pending("monthly")
    expired = events.CheckoutExpired(**common(donation, "expired"), checkout_id="cs_x")

    deliver(expired, capture=django_capture_on_commit_callbacks)

    donation.refresh_from_db()
    donation.recurring.refresh_from_db()
    assert (donation.status, donation.recurring.status) == ("expired", "abandoned")


def test_an_expiry_delivered_after_payment_changes_nothing(django_capture_on_commit_callbacks):
    donation = pending()
    expired = events.CheckoutExpired(**common(donation, "expired"), checkout_id="cs_x")

    deliver(completed(donation, "pi_1"), expired, capture=django_capture_on_commit_callbacks)

    donation.refresh_from_db()
    assert donation.status == "paid"


def test_a_monthly_gift_starts_and_each_renewal_is_its_own_receipted_donation(
    django_capture_on_commit_callbacks,
):
    donation = pending("monthly", amount=500)

    deliver(
        completed(donation, subscription_id="sub_1"),
        invoice_paid(donation, 1),
        invoice_paid(donation, 2),
        invoice_paid(donation, 2),
        capture=django_capture_on_commit_callbacks,
    )

    recurring = RecurringDonation.objects.get()
    assert (recurring.status, recurring.subscription_id, recurring.customer_id) == (
        "active",
        "sub_1",
        "cus_1",
    )
    assert recurring.started_at is not None
    payments = list(recurring.payments.order_by("pk").values_list("is_renewal", "status", "amount"))
    assert payments == [(False, "paid", 500), (True, "paid", 500)]
    assert len(mail.outbox) == 2


def test_a_renewal_before_the_first_checkout_event_ends_in_the_same_state(
    django_capture_on_commit_callbacks,
):
    donation = pending("monthly", amount=500)

    deliver(
        invoice_paid(donation, 2),
        invoice_paid(donation, 1),
        completed(donation, subscription_id="sub_1"),
        capture=django_capture_on_commit_callbacks,
    )

    recurring = RecurringDonation.objects.get()
    assert recurring.status == "active"
    assert recurring.payments.filter(status="paid").count() == 2
    assert len(mail.outbox) == 2


def test_a_cancellation_before_the_last_invoice_stays_cancelled(
    django_capture_on_commit_callbacks,
):
    donation = pending("monthly", amount=500)
    deliver(
        completed(donation, subscription_id="sub_1"),
        invoice_paid(donation, 1),
        capture=django_capture_on_commit_callbacks,
    )
    cancelled = events.SubscriptionCancelled(**common(donation, "deleted"), subscription_id="sub_1")
    late_update = events.SubscriptionUpdated(
        **common(donation, "updated"),
        subscription_id="sub_1",
        customer_id="cus_1",
        status="active",
        amount=700,
        currency="GBP",
    )

    deliver(
        cancelled,
        invoice_paid(donation, 2),
        late_update,
        cancelled,
        capture=django_capture_on_commit_callbacks,
    )

    recurring = RecurringDonation.objects.get()
    assert (recurring.status, recurring.amount) == ("cancelled", 500)
    assert recurring.payments.filter(status="paid").count() == 2
    subjects = [message.subject for message in mail.outbox]
    assert subjects.count("Your monthly support for Masthead has stopped") == 1


def test_an_amount_change_from_the_provider_is_recorded(django_capture_on_commit_callbacks):
    donation = pending("monthly", amount=500)
    update = events.SubscriptionUpdated(
        **common(donation, "updated"),
        subscription_id="sub_1",
        customer_id="cus_1",
        status="active",
        amount=800,
        currency="GBP",
    )

    deliver(
        completed(donation, subscription_id="sub_1"),
        invoice_paid(donation, 1),
        update,
        capture=django_capture_on_commit_callbacks,
    )

    assert RecurringDonation.objects.get().amount == 800


def test_an_older_amount_update_delivered_after_a_newer_one_is_ignored(
    django_capture_on_commit_callbacks,
):
    donation = pending("monthly", amount=500)
    earlier = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)

    def update(name, amount, occurred_at):
        return events.SubscriptionUpdated(
            **common(donation, name),
            subscription_id="sub_1",
            customer_id="cus_1",
            status="active",
            amount=amount,
            currency="GBP",
            occurred_at=occurred_at,
        )

    deliver(
        completed(donation, subscription_id="sub_1"),
        invoice_paid(donation, 1),
        update("to-1200", 1200, earlier + timedelta(hours=1)),
        update("to-800", 800, earlier),
        capture=django_capture_on_commit_callbacks,
    )

    assert RecurringDonation.objects.get().amount == 1200


def test_a_failed_renewal_makes_the_supporter_past_due_and_notifies_once_then_a_retry_pays(
    django_capture_on_commit_callbacks,
):
    donation = pending("monthly", amount=500)
    deliver(
        completed(donation, subscription_id="sub_1"),
        invoice_paid(donation, 1),
        capture=django_capture_on_commit_callbacks,
    )
    mail.outbox.clear()
    failure = events.PaymentFailed(
        **common(donation, "fail2"),
        amount=500,
        currency="GBP",
        subscription_id="sub_1",
        invoice_id=f"in_2_{donation.reference.hex[:6]}",
        reason="Card expired",
    )

    deliver(failure, failure, capture=django_capture_on_commit_callbacks)

    recurring = RecurringDonation.objects.get()
    failed = recurring.payments.get(is_renewal=True)
    assert (recurring.status, failed.status, failed.failure_reason) == (
        "past_due",
        "failed",
        "Card expired",
    )
    assert [message.subject for message in mail.outbox] == [
        "Your monthly support for Masthead could not be taken"
    ]
    assert "/support/manage/" in mail.outbox[0].body

    deliver(invoice_paid(donation, 2), capture=django_capture_on_commit_callbacks)

    recurring.refresh_from_db()
    failed.refresh_from_db()
    assert (recurring.status, failed.status) == ("active", "paid")
    assert recurring.payments.count() == 2


def test_refunds_converge_on_the_largest_running_total_in_any_order(
    django_capture_on_commit_callbacks,
):
    donation = pending(amount=1000)

    def refunded(total, name):
        return events.PaymentRefunded(
            **common(donation, name),
            payment_id="pi_r",
            amount_refunded=total,
            currency="GBP",
            fully_refunded=total == 1000,
        )

    deliver(
        completed(donation, "pi_r"),
        refunded(600, "r2"),
        refunded(300, "r1"),
        capture=django_capture_on_commit_callbacks,
    )
    donation.refresh_from_db()
    assert (donation.status, donation.refunded_amount, donation.net_amount) == ("paid", 600, 400)

    deliver(refunded(1000, "r3"), capture=django_capture_on_commit_callbacks)
    donation.refresh_from_db()
    assert (donation.status, donation.refunded_amount, donation.net_amount) == ("refunded", 1000, 0)


def test_a_refund_before_the_payment_event_still_ends_refunded(
    django_capture_on_commit_callbacks,
):
    donation = pending(amount=1000)
    refund = events.PaymentRefunded(
        **common(donation, "refund"),
        payment_id="pi_early",
        amount_refunded=1000,
        currency="GBP",
        fully_refunded=True,
    )

    deliver(refund, completed(donation, "pi_early"), capture=django_capture_on_commit_callbacks)

    donation.refresh_from_db()
    assert (donation.status, donation.refunded_amount) == ("refunded", 1000)


def test_a_dispute_is_recorded_on_the_donation(django_capture_on_commit_callbacks):
    donation = pending()
    dispute = events.PaymentDisputed(
        **common(donation, "dispute"), payment_id="pi_d", amount=1000, currency="GBP"
    )

    deliver(completed(donation, "pi_d"), dispute, capture=django_capture_on_commit_callbacks)

    donation.refresh_from_db()
    assert donation.disputed_at is not None


@pytest.mark.parametrize("reference", ["not-a-uuid", str(uuid.uuid4()), ""])
def test_events_for_references_that_are_not_ours_change_nothing(
    reference, django_capture_on_commit_callbacks
):
    donation = pending()
    stranger = events.CheckoutCompleted(
        provider=PROVIDER,
        provider_event_id="evt_x",
        purpose="donation",
        reference=reference,
        checkout_id="cs_other",
        amount=1000,
        currency="GBP",
        email="someone@example.org",
    )

    deliver(stranger, capture=django_capture_on_commit_callbacks)

    donation.refresh_from_db()
    assert donation.status == "pending"
    assert mail.outbox == []


def final_state():
    recurring = RecurringDonation.objects.get()
    return (
        recurring.status,
        recurring.subscription_id,
        sorted(recurring.payments.values_list("is_renewal", "status", "amount", "refunded_amount")),
        len(mail.outbox),
    )


@pytest.mark.parametrize("seed", range(8))
def test_a_monthly_story_delivered_three_times_in_random_order_ends_as_in_order(
    seed, django_capture_on_commit_callbacks
):
    donation = pending("monthly", amount=500)
    story = [
        completed(donation, subscription_id="sub_1"),
        invoice_paid(donation, 1),
        invoice_paid(donation, 2),
        events.PaymentRefunded(
            **common(donation, "refund"),
            payment_id=f"pi_2_{donation.reference.hex[:6]}",
            amount_refunded=200,
            currency="GBP",
            fully_refunded=False,
        ),
        invoice_paid(donation, 3),
    ]
    deliver(*story, capture=django_capture_on_commit_callbacks)
    in_order = final_state()
    Donation.objects.all().delete()
    RecurringDonation.objects.all().delete()
    mail.outbox.clear()
    donation = Donation.objects.create(
        reference=donation.reference,
        kind="monthly",
        recurring=RecurringDonation.objects.create(
            reference=donation.reference, email=donation.email, amount=500, provider=PROVIDER
        ),
        amount=500,
        email=donation.email,
        provider=PROVIDER,
        checkout_id=donation.checkout_id,
    )
    shuffled = story * 3
    random.Random(seed).shuffle(shuffled)  # noqa: S311 - a repeatable test order, not a secret

    deliver(*shuffled, capture=django_capture_on_commit_callbacks)

    assert final_state() == in_order
    assert in_order[0] == "active"
    assert in_order[3] == 3
