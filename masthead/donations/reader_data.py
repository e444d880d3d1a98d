"""Donations' and payments' share of what is held about a reader: linking their gifts to
them, a copy of everything for them, and erasure.

A gift belongs to a reader when it is linked to them, or (for a reader an editor looks up
who never verified their address, or rows made before the link) when its address reaches
the reader's mailbox.

Erasure happens in two steps, as ``readers.registry`` runs them. First every live monthly
gift is cancelled at the provider, through the same path as the donor's own cancel button
(``self_service.cancel``), and checkouts still open are ended; if the provider refuses or
cannot be reached, the erasure waits (``ErasureMustWait``) and nothing is erased. Then
payments' share erases first (it finds its events by the ids the gifts still hold), and the
gifts lose the address, the public name, the message, the customer id and the link to the
reader. What the accounts need stays: date, amount, currency, fees, status, refunds, kind,
and the provider's ids of checkouts, payments, invoices and subscriptions (a late refund
must still reach its gift). Erased
rows hold a blank address (as gifts never paid do after ``retention``): nothing unique
rests on it, and a blank address matches no donor's manage link.
"""

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from masthead.core.retention import years_before
from masthead.donations import self_service
from masthead.donations.models import Donation, DonationEvent, RecurringDonation
from masthead.payments import personal_data as payments_data
from masthead.payments import services as payments
from masthead.payments.models import Checkout
from masthead.payments.providers.base import PaymentProviderError
from masthead.payments.services import PaymentsUnavailable
from masthead.readers import identity
from masthead.readers.registry import ErasureMustWait, PersonalData

DONATION_FIELDS = [
    "reference",
    "kind",
    "is_renewal",
    "amount",
    "fee_amount",
    "cover_fees",
    "currency",
    "email",
    "public_name",
    "message",
    "anonymous",
    "status",
    "provider",
    "checkout_id",
    "payment_id",
    "invoice_id",
    "customer_id",
    "refunded_amount",
    "failure_reason",
    "created_at",
    "paid_at",
    "disputed_at",
    "receipt_sent_at",
]
RECURRING_FIELDS = [
    "reference",
    "email",
    "amount",
    "currency",
    "status",
    "provider",
    "subscription_id",
    "customer_id",
    "cancel_at_period_end",
    "created_at",
    "started_at",
    "cancelled_at",
    "last_payment_at",
    "current_period_end",
]
# Keys of a history entry's parameters that stand for the payer at the provider.
PAYER_KEYS = frozenset({"customer_id"})
# A monthly gift in one of these states may still take money: erasure cancels it first.
MAY_STILL_CHARGE = (
    RecurringDonation.Status.ACTIVE,
    RecurringDonation.Status.PAST_DUE,
)

KEPT = _(
    "Donations keep the date, amount, currency, card-fee part, status, refunds, kind and "
    "the payment provider's references of each gift, with no name, address or message: "
    "charities and companies must keep their financial records for six years (HMRC), and "
    "the funding figures must still add up. Monthly gifts are cancelled at the payment "
    "provider first."
)
PAYMENTS_KEPT = _(
    "Payments keep each checkout's and each provider event's amounts, states, times and "
    "ids, with the payer's address, name, customer id and every other personal detail "
    "removed, so refunds and the accounts still reconcile with the provider."
)


def _owned(queryset, reader):
    """The rows of ``queryset`` (donations or monthly gifts) that belong to ``reader``."""
    by_address = payments_data.matching_mailbox(queryset, "email", reader.email)
    condition = Q(pk__in=by_address)
    if reader.pk is not None:
        condition |= Q(reader=reader)
    return queryset.filter(condition)


def donations_of(reader):
    return _owned(Donation.objects.all(), reader)


def monthly_gifts_of(reader):
    return _owned(RecurringDonation.objects.all(), reader)


def link(reader):
    """Link the gifts under the reader's address to them."""
    for model in (Donation, RecurringDonation):
        rows = model.objects.filter(reader__isnull=True)
        model.objects.filter(
            pk__in=payments_data.matching_mailbox(rows, "email", reader.email)
        ).update(reader=reader)


def _value(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value) if hasattr(value, "hex") else value


def _rows(objects, names, **extra):
    rows = []
    for row in objects:
        data = {name: _value(getattr(row, name)) for name in names}
        data.update({key: _value(make(row)) for key, make in extra.items()})
        rows.append(data)
    return rows


def export(reader):
    """Everything donations hold about the reader: gifts, monthly gifts, their history and
    the receipts sent."""
    donations = list(donations_of(reader).select_related("recurring").order_by("pk"))
    monthly = list(monthly_gifts_of(reader).order_by("pk"))
    events = DonationEvent.objects.filter(
        Q(donation__in=[row.pk for row in donations]) | Q(recurring__in=[row.pk for row in monthly])
    ).order_by("pk")
    return {
        "donations": _rows(
            donations,
            DONATION_FIELDS,
            monthly_gift=lambda row: row.recurring.reference if row.recurring else None,
        ),
        "monthly_gifts": _rows(monthly, RECURRING_FIELDS),
        "donation_history": [
            {
                "donation": _value(event.donation.reference) if event.donation else None,
                "monthly_gift": _value(event.recurring.reference) if event.recurring else None,
                "kind": event.kind,
                "description": str(event.message),
                "parameters": event.parameters,
                "created_at": event.created_at.isoformat(),
            }
            for event in events.select_related("donation", "recurring")
        ],
        "donation_receipts": [
            {
                "donation": str(row.reference),
                "sent_to": row.email,
                "sent_at": row.receipt_sent_at.isoformat(),
                "amount": row.amount,
                "currency": row.currency,
            }
            for row in donations
            if row.receipt_sent_at
        ],
    }


def _open_checkouts(reader):
    """The provider ids of the reader's checkouts that could still be paid."""
    pending = donations_of(reader).filter(status=Donation.Status.PENDING).exclude(checkout_id="")
    open_ids = []
    for donation in pending.order_by("pk"):
        checkout = payments.find_checkout(donation.checkout_id)
        if checkout is None or checkout.status != Checkout.Status.OPEN:
            continue
        if checkout.expires_at is None or checkout.expires_at > timezone.now():
            open_ids.append((donation.checkout_id, donation.provider))
    return open_ids


def prepare_erasure(reader):
    """Cancel the reader's live monthly gifts at the provider, through the donor's own
    cancel, and end their checkouts still open (so nothing is paid after the erasure);
    raises ErasureMustWait (erasing nothing) if the provider will not."""
    live = monthly_gifts_of(reader).filter(
        Q(status__in=MAY_STILL_CHARGE)
        | Q(status=RecurringDonation.Status.PENDING) & ~Q(subscription_id="")
    )
    try:
        for recurring in live.order_by("pk"):
            self_service.cancel(recurring)
        for checkout_id, provider in _open_checkouts(reader):
            payments.expire_checkout(checkout_id, provider_name=provider)
    except (PaymentProviderError, PaymentsUnavailable) as error:
        raise ErasureMustWait(
            gettext_noop("The payment provider could not stop a gift yet: %(reason)s"),
            {"reason": str(error)},
        ) from error


def _scrub_history(events, needles):
    for event in events:
        parameters = payments_data.scrub(event.parameters, needles)
        event.parameters = _without_payer(parameters)
    DonationEvent.objects.bulk_update(events, ["parameters"])


def _without_payer(value):
    if isinstance(value, dict):
        return {key: _without_payer(item) for key, item in value.items() if key not in PAYER_KEYS}
    if isinstance(value, list):
        return [_without_payer(item) for item in value]
    return value


def erase(reader):
    """Anonymise the reader's gifts, keeping what the accounts need (module docstring)."""
    donations = donations_of(reader)
    monthly = monthly_gifts_of(reader)
    if monthly.filter(status__in=MAY_STILL_CHARGE).exists():
        raise ErasureMustWait(gettext_noop("A monthly gift is still live at the payment provider."))
    addresses = {
        *donations.values_list("email", flat=True),
        *monthly.values_list("email", flat=True),
    }
    names = {reader.name, *donations.values_list("public_name", flat=True)}
    needles = {
        text.strip().lower()
        for text in addresses | names
        if len(text.strip()) >= payments_data.SHORTEST_NEEDLE
    }
    with transaction.atomic():
        events = DonationEvent.objects.filter(
            Q(donation__in=donations.values("pk")) | Q(recurring__in=monthly.values("pk"))
        )
        _scrub_history(list(events), needles)
        donation_ids = list(donations.values_list("pk", flat=True))
        monthly_ids = list(monthly.values_list("pk", flat=True))
        Donation.objects.filter(pk__in=donation_ids).update(
            email="", public_name="", message="", anonymous=True, customer_id="", reader=None
        )
        RecurringDonation.objects.filter(pk__in=monthly_ids).update(
            email="", customer_id="", reader=None
        )


def _provider_ids(reader):
    """The provider's ids and the addresses the reader's gifts carry, for payments' share."""
    ids = set()
    for row in donations_of(reader).values(
        "checkout_id", "payment_id", "invoice_id", "customer_id"
    ):
        ids |= set(row.values())
    for row in monthly_gifts_of(reader).values("subscription_id", "customer_id"):
        ids |= set(row.values())
    addresses = {*donations_of(reader).values_list("email", flat=True)}
    addresses |= {*monthly_gifts_of(reader).values_list("email", flat=True)}
    return ids - {""}, addresses - {""}


def export_payments(reader):
    ids, addresses = _provider_ids(reader)
    return payments_data.export_payer(reader.email, ids=ids, addresses=addresses)


def erase_payments(reader):
    ids, addresses = _provider_ids(reader)
    names = {reader.name, *donations_of(reader).values_list("public_name", flat=True)}
    payments_data.erase_payer(reader.email, ids=ids, addresses=addresses, names=names - {""})


# Payments erase before donations, while the gifts still hold the ids to find events by.
PAYMENTS_SHARE = PersonalData(
    name="payments",
    title=_("Payments"),
    models=payments_data.MODELS,
    export=export_payments,
    erase=erase_payments,
    kept=PAYMENTS_KEPT,
    order=40,
)
DONATIONS_SHARE = PersonalData(
    name="donations",
    title=_("Support"),
    models=("donations.Donation", "donations.RecurringDonation", "donations.DonationEvent"),
    export=export,
    erase=erase,
    link=link,
    prepare_erasure=prepare_erasure,
    kept=KEPT,
    order=50,
)


# --- Retention of paid gifts ----------------------------------------------------------------------

LAPSED_DONORS_PER_RUN = 200


def forget_lapsed_donors(now=None):
    """Periodic job: a donor whose every gift is older than DONATIONS_PAID_ADDRESS_YEARS, and
    who has no monthly gift that may still charge, is anonymised as an erasure would do for
    donations and payments (their gifts keep date, amount and status for the accounts). At
    most LAPSED_DONORS_PER_RUN addresses a run; returns how many were anonymised."""
    now = now or timezone.now()
    cutoff = years_before(now, settings.DONATIONS_PAID_ADDRESS_YEARS)
    lapsed_addresses = (
        Donation.objects.exclude(email="")
        .values("email")
        .annotate(last_gift=Max("created_at"))
        .filter(last_gift__lt=cutoff)
        .order_by("last_gift")
        .values_list("email", flat=True)
    )
    forgotten = 0
    for address in lapsed_addresses[: LAPSED_DONORS_PER_RUN * 2]:
        donor = identity.transient(address)
        gifts = donations_of(donor)
        if gifts.filter(created_at__gte=cutoff).exists():
            continue
        monthly = monthly_gifts_of(donor)
        if (
            monthly.filter(status__in=MAY_STILL_CHARGE).exists()
            or monthly.filter(created_at__gte=cutoff).exists()
        ):
            continue
        # Not the Reader's own name: the donor's account may be recent and in use.
        donor.name = ""
        erase_payments(donor)
        erase(donor)
        forgotten += 1
        if forgotten >= LAPSED_DONORS_PER_RUN:
            break
    return forgotten
