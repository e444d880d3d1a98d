"""Everything that changes payment state goes through here: starting a checkout, taking a
webhook, refunds and changes to recurring payments.

Every provider event, the demo provider's included, takes one path: ``webhooks.receive``
(``process_webhook`` here, by the provider's name) verifies the delivery, stores the event
and hands what it means to the domains' handlers in one transaction, so an event and its
effect commit together, and a second delivery of the same event id finds the first and
changes nothing.
"""

import dataclasses
import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from masthead.payments import webhooks
from masthead.payments.models import Checkout, PaymentRoute
from masthead.payments.money import InvalidAmount, validate_amount, validate_currency
from masthead.payments.providers import stripe as stripe_provider
from masthead.payments.providers.base import CheckoutRequest, PaymentProviderError
from masthead.payments.providers.demo import DemoProvider

logger = logging.getLogger("masthead.payments")

PROVIDER_NAMES = ("demo", "stripe")


class PaymentsUnavailable(LookupError):
    """The provider asked for is unknown, or switched off here (the demo provider in
    production without MASTHEAD_ALLOW_DEMO_PAYMENTS)."""


class InvalidCheckout(ValueError):
    """A checkout request that cannot be sent to a provider; the message says why."""


def get_provider(name=None):
    """The provider called ``name``, or the configured one (PAYMENTS_PROVIDER)."""
    name = name or settings.PAYMENTS_PROVIDER
    if name == "demo":
        if not settings.MASTHEAD_ALLOW_DEMO_PAYMENTS:
            raise PaymentsUnavailable("The demo payment provider is switched off.")
        return DemoProvider()
    if name == "stripe":
        return stripe_provider.StripeProvider.from_settings(http_client=stripe_provider.http_client)
    raise PaymentsUnavailable(f"There is no payment provider called {name!r}.")


# --- Checkout -------------------------------------------------------------------------------------


def _validate_checkout(request):
    if request.mode not in Checkout.Mode.values:
        raise InvalidCheckout(_("A checkout is either a one-off payment or a monthly one."))
    if not request.purpose or len(request.purpose) > 50:
        raise InvalidCheckout(_("A checkout needs a purpose of at most 50 characters."))
    if not request.reference or len(request.reference) > 255:
        raise InvalidCheckout(_("A checkout needs a reference of at most 255 characters."))
    if not request.success_url or not request.cancel_url:
        raise InvalidCheckout(_("A checkout needs a success and a cancel address."))
    if len(request.customer_email) > 254:
        raise InvalidCheckout(_("That email address is too long."))
    currency = validate_currency(request.currency)
    if not request.line_items or len(request.line_items) > 100:
        raise InvalidCheckout(_("A checkout needs between 1 and 100 items."))
    if request.mode == Checkout.Mode.SUBSCRIPTION and len(request.line_items) != 1:
        raise InvalidCheckout(_("A monthly payment is for exactly one amount."))
    for item in request.line_items:
        if not item.name or len(item.name) > 250:
            raise InvalidCheckout(_("Every item needs a name of at most 250 characters."))
        validate_amount(item.amount, currency, minimum=1)
        if isinstance(item.quantity, bool) or not isinstance(item.quantity, int):
            raise InvalidCheckout(_("A quantity must be a whole number."))
        if not 1 <= item.quantity <= 999:
            raise InvalidCheckout(_("A quantity must be between 1 and 999."))
    validate_amount(request.total, currency)
    return currency


def start_checkout(request: CheckoutRequest) -> Checkout:
    """Record a checkout and ask the provider for its hosted page.

    The record is saved (and committed) before the provider is called, under an
    idempotency key the provider also receives, so a retry of the same request returns the
    same checkout instead of creating a second one. Raises InvalidCheckout or InvalidAmount
    for a bad request and PaymentProviderError when the provider refuses; a checkout that
    could not be started is left with status "error".
    """
    currency = _validate_checkout(request)
    provider = get_provider()
    key = request.idempotency_key or f"checkout-{uuid.uuid4().hex}"
    checkout, created = Checkout.objects.get_or_create(
        idempotency_key=key,
        defaults={
            "provider": provider.name,
            "purpose": request.purpose,
            "reference": request.reference,
            "mode": request.mode,
            "amount": request.total,
            "currency": currency,
            "customer_email": request.customer_email,
        },
    )
    if not created and checkout.provider_checkout_id:
        return checkout
    expires_at = request.expires_at or timezone.now() + timedelta(
        minutes=settings.PAYMENTS_CHECKOUT_EXPIRY_MINUTES
    )
    request = dataclasses.replace(
        request, currency=currency, idempotency_key=key, expires_at=expires_at
    )
    try:
        session = provider.create_checkout(request)
    except PaymentProviderError:
        Checkout.objects.filter(pk=checkout.pk).update(status=Checkout.Status.ERROR)
        raise
    checkout.provider_checkout_id = session.id
    checkout.url = session.url
    checkout.expires_at = session.expires_at or expires_at
    checkout.status = Checkout.Status.OPEN
    checkout.save(
        update_fields=["provider_checkout_id", "url", "expires_at", "status", "updated_at"]
    )
    PaymentRoute.objects.get_or_create(
        provider=provider.name,
        object_id=session.id,
        defaults={"purpose": checkout.purpose, "reference": checkout.reference},
    )
    return checkout


def find_checkout(provider_checkout_id):
    """The checkout with this provider id, or None (for any malformed or unknown id)."""
    if not isinstance(provider_checkout_id, str) or not 0 < len(provider_checkout_id) <= 255:
        return None
    return Checkout.objects.filter(provider_checkout_id=provider_checkout_id).first()


# --- Webhooks -------------------------------------------------------------------------------------


def process_webhook(provider_name, body, headers) -> webhooks.WebhookResult:
    """Verify one webhook delivery to the provider called ``provider_name``, store it and
    apply it, exactly once (see ``webhooks.receive``).

    Raises PaymentsUnavailable for an unknown or disabled provider and InvalidWebhook for a
    delivery that fails verification (nothing is stored then).
    """
    return webhooks.receive(get_provider(provider_name), body, headers)


# --- After the checkout ---------------------------------------------------------------------------


def _check_positive(amount, currency):
    try:
        return validate_amount(amount, currency, minimum=1)
    except InvalidAmount as error:
        raise InvalidCheckout(str(error)) from error


def refund(payment_id, amount=None, *, currency=None, provider_name=None, idempotency_key=""):
    """Give back ``amount`` minor units (everything when None) of a payment. The effect
    arrives later as a PaymentRefunded event through the webhook, like any other."""
    if amount is not None:
        _check_positive(amount, currency or settings.PAYMENTS_CURRENCY)
    provider = get_provider(provider_name)
    provider.refund(
        payment_id, amount, idempotency_key=idempotency_key or f"refund-{uuid.uuid4().hex}"
    )


def cancel_subscription(subscription_id, *, provider_name=None, idempotency_key=""):
    """Stop a monthly payment now; a SubscriptionCancelled event follows."""
    provider = get_provider(provider_name)
    provider.cancel_subscription(
        subscription_id, idempotency_key=idempotency_key or f"cancel-{uuid.uuid4().hex}"
    )


def change_subscription_amount(
    subscription_id, amount, currency, *, provider_name=None, idempotency_key=""
):
    """Charge ``amount`` each month from the next invoice on; a SubscriptionUpdated event
    follows. Refuses amounts that cannot be charged with InvalidAmount."""
    currency = validate_currency(currency)
    validate_amount(amount, currency)
    provider = get_provider(provider_name)
    provider.change_subscription_amount(
        subscription_id,
        amount,
        currency,
        idempotency_key=idempotency_key or f"change-{uuid.uuid4().hex}",
    )


def expire_checkout(provider_checkout_id, *, provider_name=None):
    """End an open checkout now so it can no longer be paid; its expiry event follows
    through the webhook. Raises PaymentProviderError if the checkout is not open any more."""
    provider = get_provider(provider_name)
    provider.expire_checkout(
        provider_checkout_id, idempotency_key=f"expire-{provider_checkout_id}"[:255]
    )


def customer_portal_url(customer_id, return_url, *, provider_name=None):
    """Where a supporter manages their card and monthly payments."""
    return get_provider(provider_name).customer_portal_url(customer_id, return_url)
