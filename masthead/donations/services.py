"""Everything that changes donation state: starting a donation, what the payment provider's
events mean for it, receipts and notices, donor self-service, refunds, and the figures for
the funding-transparency page.

Payment state changes only through :func:`handle_payment_event`, which the payments app
calls inside the transaction that records the provider event. It is idempotent (every
transition happens at most once, and emails are sent only on a transition) and tolerates
events in any order: a renewal before the first checkout, a cancellation before the last
invoice, a refund before the payment it refunds.
"""

import logging
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from masthead.core.emails import send_transactional_email
from masthead.core.sites import absolute_url, default_site, outlet_name
from masthead.donations.models import (
    Donation,
    DonationSettings,
    EarlyPaymentAdjustment,
    FundingGoal,
    MonthlyCost,
    RecurringDonation,
)
from masthead.payments import events
from masthead.payments import services as payments
from masthead.payments.money import InvalidAmount, validate_amount
from masthead.payments.providers.base import CheckoutRequest, LineItem

logger = logging.getLogger("masthead.donations")

PURPOSE = "donation"
MANAGE_LINK_SALT = "masthead.donations.manage"


def manage_link_max_age():
    """How long a "manage my support" link works, in seconds (an hour by default)."""
    return int(getattr(settings, "DONATIONS_MANAGE_LINK_MAX_AGE", 3600))


def donation_settings(request=None):
    """The DonationSettings of the request's site, or of the default site."""
    if request is not None:
        return DonationSettings.for_request(request)
    site = default_site()
    return DonationSettings.for_site(site) if site is not None else DonationSettings()


# --- Starting a donation -------------------------------------------------------------------------


@dataclass(frozen=True)
class DonationRequest:
    """A validated donate form: the gift before card fees, and who gives it."""

    frequency: str
    amount: int
    currency: str
    email: str
    cover_fees: bool = False
    public_name: str = ""
    message: str = ""
    anonymous: bool = True


def start_donation(donation_request, donation_settings_=None):
    """Record a pending donation and open a checkout for it; returns the payments app's
    Checkout, whose ``url`` is where to send the reader.

    The amount charged is worked out here from the validated form and the outlet's own
    settings (the gift, plus the card fee when the donor chose to cover it), never taken
    from the page. A monthly gift also records its (pending) recurring supporter.
    """
    config = donation_settings_ or donation_settings()
    if donation_request.currency != config.currency:
        raise InvalidAmount(
            _("Donations are taken in %(currency)s.") % {"currency": config.currency}
        )
    validate_amount(
        donation_request.amount,
        config.currency,
        minimum=config.minimum_amount,
        maximum=config.maximum_amount,
    )
    fee = config.card_fee(donation_request.amount) if donation_request.cover_fees else 0
    total = validate_amount(donation_request.amount + fee, config.currency)
    monthly = donation_request.frequency == Donation.Kind.MONTHLY
    provider = payments.get_provider()
    reference = uuid.uuid4()
    with transaction.atomic():
        recurring = None
        if monthly:
            recurring = RecurringDonation.objects.create(
                reference=reference,
                email=donation_request.email,
                amount=total,
                currency=config.currency,
                provider=provider.name,
            )
        donation = Donation.objects.create(
            reference=reference,
            kind=donation_request.frequency,
            recurring=recurring,
            amount=total,
            fee_amount=fee,
            currency=config.currency,
            cover_fees=donation_request.cover_fees,
            email=donation_request.email,
            public_name=donation_request.public_name,
            message=donation_request.message,
            anonymous=donation_request.anonymous,
            provider=provider.name,
        )
    name = _("Monthly support for %(outlet)s") if monthly else _("A gift to %(outlet)s")
    checkout = payments.start_checkout(
        CheckoutRequest(
            purpose=PURPOSE,
            reference=str(reference),
            mode="subscription" if monthly else "payment",
            currency=config.currency,
            line_items=[LineItem(name=name % {"outlet": outlet_name()}, amount=total)],
            success_url=absolute_url(reverse("donations:thanks") + f"?ref={reference}"),
            cancel_url=absolute_url(reverse("donations:donate")),
            customer_email=donation_request.email,
            metadata={"kind": donation_request.frequency},
            idempotency_key=f"donation-{reference}",
        )
    )
    Donation.objects.filter(pk=donation.pk).update(checkout_id=checkout.provider_checkout_id)
    return checkout


# --- Provider events -----------------------------------------------------------------------------


def parse_reference(value):
    """A donation reference as a UUID, or None for anything that is not one."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


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


def _after_commit(function, *args):
    transaction.on_commit(lambda: function.enqueue(*args))


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


SUBSCRIPTION_STATUSES = {
    "active": RecurringDonation.Status.ACTIVE,
    "trialing": RecurringDonation.Status.ACTIVE,
    "past_due": RecurringDonation.Status.PAST_DUE,
    "unpaid": RecurringDonation.Status.PAST_DUE,
    "canceled": RecurringDonation.Status.CANCELLED,
    "cancelled": RecurringDonation.Status.CANCELLED,
    "incomplete_expired": RecurringDonation.Status.ABANDONED,
}


def _cancel(recurring, when=None):
    """Mark a supporter cancelled (once) and confirm it to them after the commit."""
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
        _cancel(recurring)
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
    _cancel(recurring)


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


# --- Emails --------------------------------------------------------------------------------------


def _send(template, subject, to, context):
    send_transactional_email(f"donations/email/{template}", subject, to, context)


def send_receipt(donation_id):
    """Email the receipt for one paid donation, once; True if it was sent now."""
    with transaction.atomic():
        # Lock only the donation: PostgreSQL cannot lock the nullable side of the join.
        donation = (
            Donation.objects.select_for_update(of=("self",))
            .filter(pk=donation_id, receipt_sent_at__isnull=True, paid_at__isnull=False)
            .select_related("recurring")
            .first()
        )
        if donation is None:
            return False
        _send(
            "receipt",
            _("Your receipt from %(outlet)s") % {"outlet": outlet_name()},
            donation.email,
            {"donation": donation, "manage_url": absolute_url(reverse("donations:manage"))},
        )
        donation.receipt_sent_at = timezone.now()
        donation.save(update_fields=["receipt_sent_at"])
    return True


@task()
def send_receipt_task(donation_id):
    """Background task: the receipt for one payment (sent at most once)."""
    return send_receipt(donation_id)


def send_failed_renewal_notice(donation_id):
    """Tell a monthly supporter a renewal failed, with a link to fix their card."""
    donation = Donation.objects.select_related("recurring").filter(pk=donation_id).first()
    if donation is None or donation.status != Donation.Status.FAILED:
        return False
    email = donation.recurring.email if donation.recurring else donation.email
    _send(
        "renewal_failed",
        _("Your monthly support for %(outlet)s could not be taken") % {"outlet": outlet_name()},
        email,
        {
            "donation": donation,
            "manage_url": manage_url(email),
            "valid_minutes": manage_link_max_age() // 60,
        },
    )
    return True


@task()
def send_failed_renewal_task(donation_id):
    """Background task: the failed-renewal notice (only while the payment is still failed)."""
    return send_failed_renewal_notice(donation_id)


def send_cancellation_confirmation(recurring_id):
    """Confirm to a supporter that their monthly gift has stopped."""
    recurring = RecurringDonation.objects.filter(
        pk=recurring_id, status=RecurringDonation.Status.CANCELLED
    ).first()
    if recurring is None:
        return False
    _send(
        "cancelled",
        _("Your monthly support for %(outlet)s has stopped") % {"outlet": outlet_name()},
        recurring.email,
        {"recurring": recurring, "donate_url": absolute_url(reverse("donations:donate"))},
    )
    return True


@task()
def send_cancellation_task(recurring_id):
    """Background task: the cancellation confirmation."""
    return send_cancellation_confirmation(recurring_id)


# --- Donor self-service --------------------------------------------------------------------------


def normalise_email(email):
    return (email or "").strip().lower()


def manage_token(email):
    """A signed token naming the donor's address, for a "manage my support" link."""
    return signing.dumps(normalise_email(email), salt=MANAGE_LINK_SALT)


def read_manage_token(token):
    """The address a manage token names; raises signing.SignatureExpired once it is older
    than the link's lifetime, signing.BadSignature if it was altered."""
    return signing.loads(token, salt=MANAGE_LINK_SALT, max_age=manage_link_max_age())


def manage_url(email):
    return absolute_url(reverse("donations:manage_donor", args=[manage_token(email)]))


def donations_for(email):
    """A donor's donations worth showing them (not abandoned checkouts), newest first."""
    return Donation.objects.filter(email__iexact=normalise_email(email)).exclude(
        status__in=[Donation.Status.PENDING, Donation.Status.EXPIRED]
    )


def recurring_for(email):
    """A donor's monthly gifts that started, newest first."""
    return RecurringDonation.objects.filter(
        email__iexact=normalise_email(email), started_at__isnull=False
    )


def is_known_donor(email):
    return donations_for(email).exists() or recurring_for(email).exists()


def send_manage_link(email):
    """Email a sign-in link to a donor's own page, if the address has given before.

    The page that asks says the same whether or not the address is known, so nobody can
    learn who gives; returns whether a link was sent (for tests and logs only).
    """
    email = normalise_email(email)
    if not is_known_donor(email):
        return False
    _send(
        "manage_link",
        _("Manage your support for %(outlet)s") % {"outlet": outlet_name()},
        email,
        {"manage_url": manage_url(email), "valid_minutes": manage_link_max_age() // 60},
    )
    return True


@task()
def send_manage_link_task(email):
    """Background task: the "manage my support" email."""
    return send_manage_link(email)


class NotAllowed(Exception):
    """The donor asked for something their monthly gift cannot do (e.g. it has stopped)."""


def _own_recurring(email, recurring_id):
    found = recurring_for(email).filter(pk=recurring_id).first()
    if found is None:
        raise NotAllowed(_("That monthly gift is not yours."))
    return found


def change_monthly_amount(email, recurring_id, amount):
    """Change a donor's monthly amount at the provider and here; from the next payment on."""
    config = donation_settings()
    recurring = _own_recurring(email, recurring_id)
    if not recurring.is_live:
        raise NotAllowed(_("This monthly gift has stopped; start a new one instead."))
    validate_amount(
        amount, recurring.currency, minimum=config.minimum_amount, maximum=config.maximum_amount
    )
    payments.change_subscription_amount(
        recurring.subscription_id,
        amount,
        recurring.currency,
        provider_name=recurring.provider,
        idempotency_key=f"donation-amount-{recurring.pk}-{uuid.uuid4().hex}",
    )
    RecurringDonation.objects.filter(pk=recurring.pk).update(amount=amount)
    recurring.amount = amount
    return recurring


def cancel_monthly(email, recurring_id):
    """Stop a donor's monthly gift at the provider and here, and confirm it by email."""
    recurring = _own_recurring(email, recurring_id)
    if recurring.status == RecurringDonation.Status.CANCELLED:
        return recurring
    payments.cancel_subscription(
        recurring.subscription_id,
        provider_name=recurring.provider,
        idempotency_key=f"donation-cancel-{recurring.pk}",
    )
    with transaction.atomic():
        recurring = RecurringDonation.objects.select_for_update().get(pk=recurring.pk)
        _cancel(recurring)
    return recurring


def customer_portal_url(email, recurring_id, return_url):
    """The provider's own page where the donor changes their card."""
    recurring = _own_recurring(email, recurring_id)
    if not recurring.customer_id:
        raise NotAllowed(_("There is no card on file for this gift yet."))
    return payments.customer_portal_url(
        recurring.customer_id, return_url, provider_name=recurring.provider
    )


# --- Refunds (from the admin) --------------------------------------------------------------------


def refund_donation(donation, amount=None):
    """Refund ``amount`` (all that is left when None) of a paid donation through its provider.

    The provider's refund event settles the final figures; meanwhile the refunded total
    here is raised at once, in a way the event's running total then simply confirms.
    """
    remaining = donation.amount - donation.refunded_amount
    if donation.status != Donation.Status.PAID or not donation.payment_id or remaining <= 0:
        raise NotAllowed(_("Only a paid donation with something left to refund can be refunded."))
    amount = remaining if amount is None else amount
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= remaining:
        raise InvalidAmount(_("A refund must be between 1 and the amount not yet refunded."))
    payments.refund(
        donation.payment_id,
        amount,
        currency=donation.currency,
        provider_name=donation.provider,
        idempotency_key=f"donation-refund-{donation.pk}-{donation.refunded_amount}-{amount}",
    )
    with transaction.atomic():
        donation = Donation.objects.select_for_update().get(pk=donation.pk)
        donation.refunded_amount = max(
            donation.refunded_amount, donation.amount - remaining + amount
        )
        if donation.refunded_amount >= donation.amount:
            donation.status = Donation.Status.REFUNDED
        donation.save()
    return donation


# --- Funding figures -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CostLine:
    """One category's cost in a month."""

    category: str
    amount: int
    note: str = ""


@dataclass(frozen=True)
class IncomeLine:
    """Income from another source than readers' gifts in a month (the shop's margin...)."""

    name: str
    label: str
    amount: int


@dataclass(frozen=True)
class MonthFunding:
    """A month's costs against what readers gave, as the funding page shows them."""

    month: date
    currency: str
    costs: int
    income: int
    goal: int | None
    cost_lines: list = field(default_factory=list)
    monthly_supporters: int = 0
    gifts: int = 0
    # ``income`` includes these; ``gifts_income`` is what readers gave.
    income_lines: list = field(default_factory=list)

    @property
    def gifts_income(self):
        return self.income - sum(line.amount for line in self.income_lines)

    @property
    def target(self):
        """What the month needs: the goal set for it, else its costs."""
        return self.goal if self.goal else self.costs

    @property
    def percent(self):
        """Whole percent of the target readers covered (None when nothing is needed)."""
        if not self.target:
            return None
        return self.income * 100 // self.target

    @property
    def bar_percent(self):
        return min(self.percent or 0, 100)


def month_start(value=None):
    """The first day of the month that ``value`` (today by default) falls in."""
    value = value or timezone.localdate()
    return date(value.year, value.month, 1)


def add_months(month, count):
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def _month_bounds(month):
    zone = timezone.get_current_timezone()
    start = datetime(month.year, month.month, 1, tzinfo=zone)
    following = add_months(month, 1)
    return start, datetime(following.year, following.month, 1, tzinfo=zone)


def _counted_donations(currency):
    return Donation.objects.filter(
        currency=currency,
        status__in=[Donation.Status.PAID, Donation.Status.REFUNDED],
        paid_at__isnull=False,
    )


def income_between(start, end, currency):
    """What readers gave between two moments, net of refunds, in minor units."""
    total = (
        _counted_donations(currency)
        .filter(paid_at__gte=start, paid_at__lt=end)
        .aggregate(total=Sum(F("amount") - F("refunded_amount")))["total"]
    )
    return total or 0


def other_income_between(start, end, currency):
    """Income from the registered sources (masthead.core.funding), one line each."""
    from masthead.core.funding import income_sources

    return [
        IncomeLine(source.name, str(source.label), source.between(start, end, currency))
        for source in income_sources()
    ]


def month_funding(month=None, currency=None):
    """The figures for one month (this month by default)."""
    month = month_start(month)
    currency = currency or donation_settings().currency
    start, end = _month_bounds(month)
    costs = list(
        MonthlyCost.objects.filter(month=month, currency=currency)
        .select_related("category")
        .order_by("category__sort_order", "category__name")
    )
    goal = FundingGoal.objects.filter(month=month, currency=currency).first()
    gifts = (
        _counted_donations(currency)
        .filter(paid_at__gte=start, paid_at__lt=end)
        .aggregate(count=Count("pk"))["count"]
    )
    income_lines = other_income_between(start, end, currency)
    return MonthFunding(
        month=month,
        currency=currency,
        costs=sum(cost.amount for cost in costs),
        income=income_between(start, end, currency) + sum(line.amount for line in income_lines),
        income_lines=income_lines,
        goal=goal.amount if goal else None,
        cost_lines=[CostLine(cost.category.name, cost.amount, cost.note) for cost in costs],
        monthly_supporters=RecurringDonation.objects.filter(
            Q(status=RecurringDonation.Status.ACTIVE) | Q(status=RecurringDonation.Status.PAST_DUE)
        ).count(),
        gifts=gifts,
    )


@dataclass(frozen=True)
class MonthPoint:
    """One month of the 12-month chart."""

    month: date
    costs: int
    income: int


def funding_series(months=12, last_month=None, currency=None):
    """Costs and income for the ``months`` months up to and including ``last_month``."""
    last = month_start(last_month)
    currency = currency or donation_settings().currency
    first = add_months(last, -(months - 1))
    cost_totals = dict(
        MonthlyCost.objects.filter(month__gte=first, month__lte=last, currency=currency)
        .values_list("month")
        .annotate(total=Sum("amount"))
    )
    points = []
    for offset in range(months):
        month = add_months(first, offset)
        start, end = _month_bounds(month)
        income = income_between(start, end, currency) + sum(
            line.amount for line in other_income_between(start, end, currency)
        )
        points.append(MonthPoint(month, cost_totals.get(month, 0), income))
    return points


# --- Admin reports -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SupporterMonth:
    """One month of the supporters report."""

    month: date
    income: int
    recurring_income: int
    new_supporters: int
    lost_supporters: int


def supporters_report(months=12, last_month=None, currency=None):
    """Per month: all income, income from monthly gifts, and supporters gained and lost."""
    last = month_start(last_month)
    currency = currency or donation_settings().currency
    rows = []
    for offset in range(months - 1, -1, -1):
        month = add_months(last, -offset)
        start, end = _month_bounds(month)
        recurring_income = (
            _counted_donations(currency)
            .filter(paid_at__gte=start, paid_at__lt=end, kind=Donation.Kind.MONTHLY)
            .aggregate(total=Sum(F("amount") - F("refunded_amount")))["total"]
        )
        rows.append(
            SupporterMonth(
                month=month,
                income=income_between(start, end, currency),
                recurring_income=recurring_income or 0,
                new_supporters=RecurringDonation.objects.filter(
                    started_at__gte=start, started_at__lt=end
                ).count(),
                lost_supporters=RecurringDonation.objects.filter(
                    started_at__isnull=False, cancelled_at__gte=start, cancelled_at__lt=end
                ).count(),
            )
        )
    return rows


def monthly_recurring_income(currency=None):
    """What live monthly gifts bring in each month, at their current amounts."""
    currency = currency or donation_settings().currency
    total = RecurringDonation.objects.filter(
        currency=currency,
        status__in=[RecurringDonation.Status.ACTIVE, RecurringDonation.Status.PAST_DUE],
    ).aggregate(total=Sum("amount"))["total"]
    return total or 0
