"""What a donor does on their own page (reached through a signed link, see ``donors``) or
in their reader account (``account``): change a monthly amount, stop a monthly gift, or go
to the provider's page to change card.

Each acts at the provider first and only then here, so nothing is recorded that the
provider refused; the provider's own events then confirm it (``payment_events``).
"""

import uuid

from django.db import transaction
from django.utils.translation import gettext as _

from masthead.donations import history
from masthead.donations.donors import recurring_for
from masthead.donations.models import DonationEvent, DonationSettings, RecurringDonation
from masthead.donations.payment_events import record_cancellation
from masthead.payments import services as payments
from masthead.payments.money import validate_amount


class NotAllowed(Exception):
    """The donor asked for something their monthly gift cannot do (e.g. it has stopped)."""


def _own_recurring(email, recurring_id):
    found = recurring_for(email).filter(pk=recurring_id).first()
    if found is None:
        raise NotAllowed(_("That monthly gift is not yours."))
    return found


def change_monthly_amount(email, recurring_id, amount):
    """Change a donor's monthly amount (see ``change_amount``), for the donor's own page."""
    return change_amount(_own_recurring(email, recurring_id), amount)


def cancel_monthly(email, recurring_id):
    """Stop a donor's monthly gift (see ``cancel``), for the donor's own page."""
    return cancel(_own_recurring(email, recurring_id))


def customer_portal_url(email, recurring_id, return_url):
    """The provider's page for a donor's card (see ``portal_url``), for the donor's own page."""
    return portal_url(_own_recurring(email, recurring_id), return_url)


def change_amount(recurring, amount):
    """Change a monthly amount at the provider and here, from the next payment on, and note
    the change in the supporter's history (renewals at the old amount still raised before
    it remain acceptable: see ``history.agreed_amounts``). ``recurring`` must be one the
    caller has checked is the donor's own."""
    config = DonationSettings.current()
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
    with transaction.atomic():
        recurring = RecurringDonation.objects.select_for_update().get(pk=recurring.pk)
        # The provider's own update event may have recorded the change already.
        previous, recurring.amount = recurring.amount, amount
        recurring.save(update_fields=["amount"])
        history.record_amount_change(recurring, previous, DonationEvent.ChangedBy.DONOR)
    return recurring


def cancel(recurring):
    """Stop a monthly gift at the provider and here, and confirm it by email. Raises
    PaymentProviderError (or PaymentsUnavailable) when the provider refuses or cannot be
    reached; nothing changes here then. Also what an erasure uses (``reader_data``)."""
    if recurring.status == RecurringDonation.Status.CANCELLED:
        return recurring
    payments.cancel_subscription(
        recurring.subscription_id,
        provider_name=recurring.provider,
        idempotency_key=f"donation-cancel-{recurring.pk}",
    )
    with transaction.atomic():
        recurring = RecurringDonation.objects.select_for_update().get(pk=recurring.pk)
        record_cancellation(recurring)
    return recurring


def portal_url(recurring, return_url):
    """The provider's own page where the donor changes their card."""
    if not recurring.customer_id:
        raise NotAllowed(_("There is no card on file for this gift yet."))
    return payments.customer_portal_url(
        recurring.customer_id, return_url, provider_name=recurring.provider
    )
