"""What the payment provider's events mean for donations (the "donation" purpose).

State changes only here, through :func:`handle_payment_event`, which the payments app calls
inside the transaction that records the provider event. It is idempotent (every transition
happens at most once, and emails are enqueued only on a transition, to run after the
commit) and tolerates events in any order: a renewal before the first checkout, a
cancellation before the last invoice, a refund before the payment it refunds.

An event must match what it pays for. Every event that names a gift must come from the
provider the gift was started with; a first payment must be for exactly the amount and
currency its checkout asked; a renewal for an amount agreed for the subscription (the
current monthly amount, or one it was changed from, since an invoice raised before a change
can be paid after it). An event that does not match raises ``EventRefused``: whatever its
handler had begun is rolled back (its savepoint), nothing is paid and no email is sent, and
the refusal is written to the gift's history for editors (``DonationEvent``). A renewal
refused only for its amount is applied after all if the provider's update confirming that
amount arrives later (events may come in any order).
"""

import logging
from functools import partial

from django.db import transaction
from django.utils import timezone

from masthead.audience import attribution as audience
from masthead.audience.models import Conversion
from masthead.donations import history
from masthead.donations.checkout import CONVERSION_SOURCE, PURPOSE, parse_reference
from masthead.donations.models import (
    Donation,
    DonationEvent,
    EarlyPaymentAdjustment,
    RecurringDonation,
)
from masthead.donations.tasks import (
    send_cancellation_task,
    send_failed_renewal_task,
    send_receipt_task,
)
from masthead.payments import events
from masthead.readers import identity

logger = logging.getLogger("masthead.donations")


class EventRefused(Exception):
    """A payment event that does not match the gift it names: from another provider, or for
    an amount or currency that was not charged. Carries what the gift's history records."""

    def __init__(self, kind, *, donation=None, recurring=None, **parameters):
        super().__init__(kind)
        self.kind = kind
        self.donation = donation
        self.recurring = recurring
        self.parameters = parameters


def _described(event):
    return {"event_type": type(event).__name__, "event_id": event.provider_event_id}


def _check_provider(event, *, donation=None, recurring=None):
    """Refuse an event from another provider than the one the gift was started with."""
    started_with = (donation or recurring).provider
    if event.provider != started_with:
        raise EventRefused(
            DonationEvent.Kind.WRONG_PROVIDER,
            donation=donation,
            recurring=recurring,
            provider=event.provider,
            expected_provider=started_with,
            **_described(event),
        )


def _check_amount(event, expected_amounts, currency, *, donation=None, recurring=None, **extra):
    """Refuse an event whose amount is none of ``expected_amounts`` or whose currency is
    not ``currency``."""
    if event.currency.upper() == currency and event.amount in expected_amounts:
        return
    raise EventRefused(
        DonationEvent.Kind.AMOUNT_MISMATCH,
        donation=donation,
        recurring=recurring,
        amount=event.amount,
        currency=event.currency.upper(),
        expected_amounts=list(expected_amounts),
        expected_currency=currency,
        **_described(event),
        **extra,
    )


def _check_first_payment(event, donation):
    """A gift's first payment (or its failure) must come from the provider it was started
    with, for exactly the amount and currency its checkout asked."""
    _check_provider(event, donation=donation)
    _check_amount(event, [donation.amount], donation.currency, donation=donation)


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
    _link_reader(donation)
    donation.save()
    if not donation.is_renewal and donation.reference:
        # A renewal is not a new supporter: only the first payment completes the conversion.
        audience.complete(CONVERSION_SOURCE, donation.reference, when=donation.paid_at)
    _after_commit(send_receipt_task, donation.pk)


def _link_reader(gift):
    """A paid gift verifies its address: link the gift (a donation or a monthly gift) to
    the address's Reader, made if new, with everything else held under the address."""
    if gift.reader_id is None and gift.email:
        gift.reader = identity.verified(gift.email)


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
    _link_reader(recurring)
    recurring.save()


def _on_checkout_completed(event):
    donation = _first_donation(event)
    if donation is None:
        logger.warning("Checkout completed for unknown donation %s", event.reference)
        return
    _check_first_payment(event, donation)
    donation.checkout_id = donation.checkout_id or event.checkout_id
    donation.customer_id = donation.customer_id or event.customer_id
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
    _check_provider(event, donation=donation)
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
        # A failed renewal kept past the retention time lost its address; a late success
        # needs it back for the receipt.
        found.email = found.email or event.email or recurring.email
        return found
    return Donation.objects.create(
        kind=Donation.Kind.MONTHLY,
        recurring=recurring,
        is_renewal=True,
        amount=event.amount,
        currency=event.currency.upper(),
        email=event.email or recurring.email,
        reader_id=recurring.reader_id,
        anonymous=True,
        provider=event.provider,
        invoice_id=event.invoice_id,
        customer_id=event.customer_id,
    )


def _renewal_particulars(event):
    """What a renewal refused for its amount needs to be applied later, should the
    provider confirm that amount (``_accept_confirmed_renewals``)."""
    return {
        "payment_id": event.payment_id,
        "invoice_id": event.invoice_id,
        "customer_id": event.customer_id,
        "subscription_id": event.subscription_id,
    }


def _apply_renewal(event, recurring):
    """Record one paid renewal of a (locked) supporter, once, if its amount was agreed."""
    _check_amount(
        event,
        history.agreed_amounts(recurring),
        recurring.currency,
        recurring=recurring,
        renewal=_renewal_particulars(event),
    )
    _start_recurring(recurring, event.subscription_id, event.customer_id)
    donation = _renewal_donation(event, recurring)
    _mark_paid(donation, event.payment_id)
    return donation


def _accept_confirmed_renewals(recurring):
    """Apply the renewals refused for an amount that has since been agreed: the provider's
    update that changed the monthly amount arrived after the invoice it paid."""
    agreed = history.agreed_amounts(recurring)
    refused = recurring.events.filter(
        kind=DonationEvent.Kind.AMOUNT_MISMATCH, parameters__has_key="renewal"
    )
    for entry in refused:
        details = entry.parameters
        already_paid = Donation.objects.filter(
            provider=recurring.provider,
            payment_id=details["renewal"]["payment_id"],
            status__in=[Donation.Status.PAID, Donation.Status.REFUNDED],
        ).exists()
        if already_paid or details["currency"] != recurring.currency:
            continue
        if details["amount"] not in agreed:
            continue
        renewal = events.PaymentSucceeded(
            provider=recurring.provider,
            provider_event_id=details["event_id"],
            purpose=PURPOSE,
            reference=str(recurring.reference),
            amount=details["amount"],
            currency=details["currency"],
            is_renewal=True,
            **details["renewal"],
        )
        donation = _apply_renewal(renewal, recurring)
        history.record(
            DonationEvent.Kind.RENEWAL_ACCEPTED,
            donation=donation,
            recurring=recurring,
            amount=donation.amount,
            currency=donation.currency,
            payment_id=donation.payment_id,
        )


def _on_payment_succeeded(event):
    if not event.is_renewal:
        donation = _first_donation(event)
        if donation is None:
            logger.warning("Payment for unknown donation %s", event.reference)
            return
        _check_first_payment(event, donation)
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
    _check_provider(event, recurring=recurring)
    _apply_renewal(event, recurring)


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
            _check_first_payment(event, first)
            first.status = Donation.Status.FAILED
            first.failure_reason = event.reason[:300]
            first.save(update_fields=["status", "failure_reason"])
        return
    _check_provider(event, recurring=recurring)
    _check_amount(event, history.agreed_amounts(recurring), recurring.currency, recurring=recurring)
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
    _check_provider(event, recurring=recurring)
    if event.amount > 0 and event.currency.upper() != recurring.currency:
        # A new amount is the provider's to set; a new currency is not.
        _check_amount(event, [recurring.amount], recurring.currency, recurring=recurring)
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
    if event.amount > 0 and event.amount != recurring.amount:
        previous, recurring.amount = recurring.amount, event.amount
        history.record_amount_change(recurring, previous, DonationEvent.ChangedBy.PROVIDER)
        _accept_confirmed_renewals(recurring)
    recurring.cancel_at_period_end = event.cancel_at_period_end
    if event.current_period_end is not None:
        recurring.current_period_end = event.current_period_end
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
    _check_provider(event, recurring=recurring)
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
        _check_provider(event, donation=first)
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
    # The gift's conversion counts what was kept; a full refund withdraws it.
    kept = (
        0
        if donation.status == Donation.Status.REFUNDED
        else donation.amount - donation.refunded_amount
    )
    audience.refunded(CONVERSION_SOURCE, donation.reference, kept, kind=Conversion.Kind.DONATION)


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
    docstring). Events about references that are not ours are logged and ignored; an event
    that does not match its gift changes nothing and is recorded in the gift's history.
    """
    handler = EVENT_HANDLERS.get(type(event))
    if handler is None:
        logger.info("Donations ignore %s", type(event).__name__)
        return
    try:
        with transaction.atomic():
            handler(event)
    except EventRefused as refusal:
        logger.warning(
            "Donations refused %s %s: %s", type(event).__name__, event.provider_event_id, refusal
        )
        donation = refusal.donation
        history.record(
            refusal.kind,
            donation=donation,
            recurring=refusal.recurring or (donation.recurring if donation else None),
            **refusal.parameters,
        )
