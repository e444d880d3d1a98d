"""Giving a reader's money back through the payment provider. Editors reach this through
the ``RefundDonation`` action (``actions.py``), which checks their permission and logs it."""

from django.db import transaction
from django.utils.translation import gettext as _

from masthead.donations.models import Donation
from masthead.payments import services as payments
from masthead.payments.money import InvalidAmount


class NotRefundable(Exception):
    """The donation has nothing that can be refunded (not paid, or all given back)."""


def refund_donation(donation, amount=None):
    """Refund ``amount`` (all that is left when None) of a paid donation through its provider.

    The provider's refund event settles the final figures; meanwhile the refunded total
    here is raised at once, in a way the event's running total then simply confirms. The
    provider is called with no database lock held.
    """
    remaining = donation.amount - donation.refunded_amount
    if donation.status != Donation.Status.PAID or not donation.payment_id or remaining <= 0:
        raise NotRefundable(
            _("Only a paid donation with something left to refund can be refunded.")
        )
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
