"""What the payment provider's events mean for donations (the "donation" purpose).

State changes only here, through :func:`handle_payment_event`, which the payments app calls
inside the transaction that records the provider event. It is idempotent (every transition
happens at most once, and emails are enqueued only on a transition, to run after the
commit) and tolerates events in any order: a renewal before the first checkout, a
cancellation before the last invoice, a refund before the payment it refunds.
"""

import logging
from functools import partial

from django.db import transaction
from django.utils import timezone

from masthead.donations.checkout import parse_reference
from masthead.donations.models import Donation, EarlyPaymentAdjustment, RecurringDonation
from masthead.donations.tasks import (
    send_cancellation_task,
    send_failed_renewal_task,
    send_receipt_task,
)
from masthead.payments import events

logger = logging.getLogger("masthead.donations")


def _first_donation(event):
    """The donation the checkout was opened for (locked), or None if the reference is not ours."""
    reference = parse_reference(event.reference)
    if reference is None:
        return None
    return Donation.objects.select_for_update().filter(reference=reference).first()


def _recurring_for(event, subscription_id=""):
    """The recurring supporter an event is about (locked): by subscription, else by reference."""
    rows = RecurringDonation.objects.select_for_update()
    if subscription_id:
        found = rows.filter(provider=event.provider, subscription_id=subscription_id).first()
        if found is not None:
            return found
    reference = parse_reference(event.reference)
    return rows.filter(reference=reference).first() if reference else None


def _after_commit(task, *args):
    transaction.on_commit(partial(task.enqueue, *args))


def _attach_payment(donation, payment_id):
    """Record which provider payment a donation is, applying any refund or dispute for it
    that arrived first."""
    if not payment_id or donation.payment_id:
        return
    donation.payment_id = payment_id
    early = (
        EarlyPaymentAdjustment.objects.select_for_update()
        .filter(provider=donation.provider, payment_id=payment_id)
        .first()
    )
    if early is None:
        return
    donation.refunded_amount = min(
        max(donation.refunded_amount, early.refunded_amount), donation.amount
    )
    donation.disputed_at = donation.disputed_at or early.disputed_at
    if donation.status == Donation.Status.PAID and donation.refunded_amount >= donation.amount:
        donation.status = Donation.Status.REFUNDED
    early.delete()


def _mark_paid(donation, payment_id="", when=None):
    """Settle a donation as paid (once): sends its receipt after the commit."""
    _attach_payment(donation, payment_id)
    if donation.status in {Donation.Status.PAID, Donation.Status.REFUNDED}:
        donation.save()
        return
    donation.paid_at = donation.paid_at or when or timezone.now()
    donation.status = (
        Donation.Status.REFUNDED
        if donation.refunded_amount >= donation.amount
        else Donation.Status.PAID
    )
    donation.failure_reason = ""
    donation.save()
    _after_commit(send_receipt_task, donation.pk)


def _start_recurring(recurring, subscription_id="", customer_id="", when=None):
    """A monthly gift's first payment went through: the supporter is active (unless they
    already cancelled, which is final)."""
    if subscription_id and not recurring.subscription_id:
        recurring.subscription_id = subscription_id
    if customer_id and not recurring.customer_id:
        recurring.customer_id = customer_id
    now = when or timezone.now()
    recurring.started_at = recurring.started_at or now
    recurring.last_payment_at = max(filter(None, [recurring.last_payment_at, now]))
    if recurring.status in {RecurringDonation.Status.PENDING, RecurringDonation.Status.ABANDONED}:
        recurring.status = RecurringDonation.Status.ACTIVE
    if recurring.status == RecurringDonation.Status.PAST_DUE:
        recurring.status = RecurringDonation.Status.ACTIVE
    recurring.save()


def _on_checkout_completed(event):
    donation = _first_donation(event)
    if donation is None:
        logger.warning("Checkout completed for unknown donation %s", event.reference)
        return
    donation.checkout_id = donation.checkout_id or event.checkout_id
    donation.customer_id = donation.customer_id or event.customer_id
    if event.amount != donation.amount or event.currency.upper() != donation.currency:
        logger.warning(
            "Donation %s: provider reported %s %s, expected %s %s",
            donation.reference,
            event.amount,
            event.currency,
            donation.amount,
            donation.currency,
        )
    if donation.recurring_id:
        recurring = RecurringDonation.objects.select_for_update().get(pk=donation.recurring_id)
        recurring.customer_id = recurring.customer_id or event.customer_id
        recurring.subscription_id = recurring.subscription_id or event.subscription_id
        recurring.save()
        if event.paid:
            _start_recurring(recurring)
    if event.paid:
        _mark_paid(donation, event.payment_id)
        return
    _attach_payment(donation, event.payment_id)
    if donation.status in {Donation.Status.PENDING, Donation.Status.EXPIRED}:
        donation.status = Donation.Status.PROCESSING
        donation.save()
    else:
        donation.save()


def _on_checkout_expired(event):
    donation = _first_donation(event)
    if donation is None:
        return
    if donation.status == Donation.Status.PENDING:
        donation.status = Donation.Status.EXPIRED
        donation.save(update_fields=["status"])
    if donation.recurring_id:
        RecurringDonation.objects.filter(
            pk=donation.recurring_id, status=RecurringDonation.Status.PENDING
        ).update(status=RecurringDonation.Status.ABANDONED)


def _renewal_donation(event, recurring):
    """The donation row for one renewal invoice, found by payment or invoice, or created."""
    rows = Donation.objects.select_for_update().filter(provider=event.provider)
    found = None
    payment_id = getattr(event, "payment_id", "")
    if payment_id:
        found = rows.filter(payment_id=payment_id).first()
    if found is None and event.invoice_id:
        found = rows.filter(invoice_id=event.invoice_id).first()
    if found is not None:
        return found
    return Donation.objects.create(
        kind=Donation.Kind.MONTHLY,
        recurring=recurring,
        is_renewal=True,
        amount=event.amount,
        currency=event.currency.upper(),
        email=event.email or recurring.email,
        anonymous=True,
        provider=event.provider,
        invoice_id=event.invoice_id,
        customer_id=event.customer_id,
    )


def _on_payment_succeeded(event):
    if not event.is_renewal:
        donation = _first_donation(event)
        if donation is None:
            logger.warning("Payment for unknown donation %s", event.reference)
            return
        if event.invoice_id and not donation.invoice_id:
            donation.invoice_id = event.invoice_id
        if donation.recurring_id:
            recurring = RecurringDonation.objects.select_for_update().get(pk=donation.recurring_id)
            _start_recurring(recurring, event.subscription_id, event.customer_id)
        _mark_paid(donation, event.payment_id)
        return
    recurring = _recurring_for(event, event.subscription_id)
    if recurring is None:
        logger.warning("Renewal for unknown monthly donation %s", event.reference)
        return
    _start_recurring(recurring, event.subscription_id, event.customer_id)
    donation = _renewal_donation(event, recurring)
    _mark_paid(donation, event.payment_id)


def _on_payment_failed(event):
    recurring = _recurring_for(event, event.subscription_id) if event.subscription_id else None
    first = _first_donation(event)
    if recurring is None and first is not None and first.recurring_id:
        recurring = RecurringDonation.objects.select_for_update().get(pk=first.recurring_id)
    is_renewal_failure = (
        recurring is not None
        and event.invoice_id
        and not (first is not None and first.invoice_id == event.invoice_id)
        and recurring.started_at is not None
    )
    if not is_renewal_failure:
        if first is not None and first.status in {
            Donation.Status.PENDING,
            Donation.Status.PROCESSING,
        }:
            first.status = Donation.Status.FAILED
            first.failure_reason = event.reason[:300]
            first.save(update_fields=["status", "failure_reason"])
        return
    donation = _renewal_donation(event, recurring)
    if donation.status in {Donation.Status.PAID, Donation.Status.REFUNDED}:
        # The retry already succeeded: the failure is old news.
        return
    first_failure = donation.status != Donation.Status.FAILED
    donation.status = Donation.Status.FAILED
    donation.failure_reason = event.reason[:300]
    donation.save()
    if recurring.status == RecurringDonation.Status.ACTIVE:
        recurring.status = RecurringDonation.Status.PAST_DUE
        recurring.save(update_fields=["status"])
    if first_failure and recurring.status != RecurringDonation.Status.CANCELLED:
        _after_commit(send_failed_renewal_task, donation.pk)


# The provider's words for a subscription's state (Stripe's, in either spelling of
# "cancelled") and what each means for a monthly supporter; any other leaves the status.
SUBSCRIPTION_STATUSES = {
    "active": RecurringDonation.Status.ACTIVE,
    "trialing": RecurringDonation.Status.ACTIVE,
    "past_due": RecurringDonation.Status.PAST_DUE,
    "unpaid": RecurringDonation.Status.PAST_DUE,
    "canceled": RecurringDonation.Status.CANCELLED,
    "cancelled": RecurringDonation.Status.CANCELLED,
    "incomplete_expired": RecurringDonation.Status.ABANDONED,
}


def record_cancellation(recurring, when=None):
    """Mark a (locked) supporter cancelled, once, and confirm it to them after the commit.

    The provider's cancellation event does this; so does the donor's own cancel, at once,
    for what the provider's event will then confirm."""
    if recurring.status == RecurringDonation.Status.CANCELLED:
        return
    was_started = recurring.started_at is not None
    recurring.status = RecurringDonation.Status.CANCELLED
    recurring.cancelled_at = when or timezone.now()
    recurring.save()
    if was_started:
        _after_commit(send_cancellation_task, recurring.pk)


def _on_subscription_updated(event):
    recurring = _recurring_for(event, event.subscription_id)
    if recurring is None:
        return
    recurring.subscription_id = recurring.subscription_id or event.subscription_id
    recurring.customer_id = recurring.customer_id or event.customer_id
    if recurring.status == RecurringDonation.Status.CANCELLED:
        # Cancelled is final: an update delivered late cannot bring a supporter back.
        recurring.save()
        return
    if (
        event.occurred_at is not None
        and recurring.provider_updated_at is not None
        and event.occurred_at < recurring.provider_updated_at
    ):
        # An older update delivered after a newer one: its amount and status are stale.
        recurring.save()
        return
    if event.occurred_at is not None:
        recurring.provider_updated_at = event.occurred_at
    if event.amount > 0:
        recurring.amount = event.amount
    recurring.cancel_at_period_end = event.cancel_at_period_end
    status = SUBSCRIPTION_STATUSES.get(event.status)
    if status == RecurringDonation.Status.CANCELLED:
        recurring.save()
        record_cancellation(recurring)
        return
    if status == RecurringDonation.Status.ACTIVE and recurring.started_at is None:
        # "active" before any payment reached us: wait for the payment to say so.
        status = None
    if status is not None:
        recurring.status = status
    recurring.save()


def _on_subscription_cancelled(event):
    recurring = _recurring_for(event, event.subscription_id)
    if recurring is None:
        return
    recurring.subscription_id = recurring.subscription_id or event.subscription_id
    recurring.save()
    record_cancellation(recurring)


def _payment_donation(event):
    """The donation a refund or dispute is about: by payment id, else a one-off gift's own
    (its only payment). None while the payment has not reached us."""
    found = (
        Donation.objects.select_for_update()
        .filter(provider=event.provider, payment_id=event.payment_id)
        .first()
    )
    if found is not None:
        return found
    first = _first_donation(event)
    if first is not None and first.kind == Donation.Kind.ONE_OFF and not first.payment_id:
        _attach_payment(first, event.payment_id)
        return first
    return None


def _early_adjustment(event):
    adjustment, _created = EarlyPaymentAdjustment.objects.select_for_update().get_or_create(
        provider=event.provider, payment_id=event.payment_id
    )
    return adjustment


def _on_payment_refunded(event):
    donation = _payment_donation(event)
    if donation is None:
        # The payment itself has not reached us yet: keep the refund until it does.
        adjustment = _early_adjustment(event)
        adjustment.refunded_amount = max(adjustment.refunded_amount, event.amount_refunded)
        adjustment.save()
        return
    # amount_refunded is the running total, so taking the larger converges in any order.
    donation.refunded_amount = min(
        max(donation.refunded_amount, event.amount_refunded), donation.amount
    )
    if donation.status == Donation.Status.PAID and (
        event.fully_refunded or donation.refunded_amount >= donation.amount
    ):
        donation.status = Donation.Status.REFUNDED
    donation.save()


def _on_payment_disputed(event):
    donation = _payment_donation(event)
    if donation is None:
        adjustment = _early_adjustment(event)
        adjustment.disputed_at = adjustment.disputed_at or timezone.now()
        adjustment.save()
        return
    donation.disputed_at = donation.disputed_at or timezone.now()
    donation.save()


EVENT_HANDLERS = {
    events.CheckoutCompleted: _on_checkout_completed,
    events.CheckoutExpired: _on_checkout_expired,
    events.PaymentSucceeded: _on_payment_succeeded,
    events.PaymentFailed: _on_payment_failed,
    events.SubscriptionUpdated: _on_subscription_updated,
    events.SubscriptionCancelled: _on_subscription_cancelled,
    events.PaymentRefunded: _on_payment_refunded,
    events.PaymentDisputed: _on_payment_disputed,
}


def handle_payment_event(event):
    """Apply one payment event to the donations (registered for the "donation" purpose).

    Runs in the payments app's transaction; idempotent and order-tolerant (see the module
    docstring). Events about references that are not ours are logged and ignored.
    """
    handler = EVENT_HANDLERS.get(type(event))
    if handler is None:
        logger.info("Donations ignore %s", type(event).__name__)
        return
    with transaction.atomic():
        handler(event)
