"""Starting a gift: a validated donate form becomes a pending donation (and, for a monthly
gift, a pending recurring supporter) and a checkout at the payment provider.

Nothing here marks anything paid: the provider's events do that (``payment_events``). The
reference created here is what those events carry back.
"""

import uuid
from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from masthead.audience import attribution as audience
from masthead.audience.models import Conversion
from masthead.core.sites import absolute_url, outlet_name
from masthead.donations.models import Donation, DonationSettings, RecurringDonation
from masthead.payments import services as payments
from masthead.payments.models import Checkout
from masthead.payments.money import InvalidAmount, validate_amount
from masthead.payments.providers.base import CheckoutRequest, LineItem

# The payments app sends events of this purpose to the donations' handler.
PURPOSE = "donation"
# How a gift is named in audience's conversions (with the donation's reference).
CONVERSION_SOURCE = "donations.Donation"


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


def parse_reference(value):
    """A donation reference as a UUID, or None for anything that is not one."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def start_donation(donation_request, config=None, attribution=None):
    """Record a pending donation and open a checkout for it; returns the payments app's
    Checkout, whose ``url`` is where to send the reader.

    The amount charged is worked out here from the validated form and the outlet's own
    settings (the gift, plus the card fee when the donor chose to cover it), never taken
    from the page. A monthly gift also records its (pending) recurring supporter.
    ``attribution`` (``audience.attribution.capture`` of the form's post) records the gift
    as a conversion (a new monthly supporter with the monthly amount, or a one-off gift),
    completed when it is paid.
    """
    config = config or DonationSettings.current()
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
        if attribution is not None:
            audience.record(
                attribution,
                Conversion.Kind.MONTHLY if monthly else Conversion.Kind.DONATION,
                CONVERSION_SOURCE,
                reference,
                amount=total,
                currency=config.currency,
            )
    name = _("Monthly support for %(outlet)s") if monthly else _("A gift to %(outlet)s")
    checkout = payments.start_checkout(
        CheckoutRequest(
            purpose=PURPOSE,
            reference=str(reference),
            mode=Checkout.Mode.SUBSCRIPTION if monthly else Checkout.Mode.PAYMENT,
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
