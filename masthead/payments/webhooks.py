"""The one path every provider event takes, the demo provider's included: verify the
delivery, store the event and hand what it means to the domains' handlers in one
transaction, so an event and its effect commit together, and a second delivery of the same
event id finds the first and changes nothing.

It is handed the provider itself, so a provider (the demo one, which delivers its own
events) can use it without knowing how providers are chosen (``services.get_provider``).
"""

import dataclasses
import logging
from enum import StrEnum

from django.db import IntegrityError, transaction
from django.utils import timezone

from masthead.payments import events, registry
from masthead.payments.models import Checkout, PaymentRoute, ProviderEvent

logger = logging.getLogger("masthead.payments")


class WebhookOutcome(StrEnum):
    """What became of one delivery: applied now, or already stored (and changing nothing)."""

    PROCESSED = "processed"
    DUPLICATE = "duplicate"


@dataclasses.dataclass(frozen=True)
class WebhookResult:
    """What happened to one delivery, and the event's id."""

    outcome: WebhookOutcome
    provider_event_id: str


# A later status never gives way to an earlier one, whatever order the events arrive in.
_STATUS_RANK = {
    Checkout.Status.CREATING: 0,
    Checkout.Status.OPEN: 0,
    Checkout.Status.ERROR: 0,
    Checkout.Status.EXPIRED: 1,
    Checkout.Status.PROCESSING: 2,
    Checkout.Status.PAID: 3,
    Checkout.Status.FAILED: 3,
}


def _checkout_status_after(event):
    if isinstance(event, events.CheckoutCompleted):
        return Checkout.Status.PAID if event.paid else Checkout.Status.PROCESSING
    if isinstance(event, events.CheckoutExpired):
        return Checkout.Status.EXPIRED
    if isinstance(event, events.PaymentSucceeded) and event.checkout_id:
        return Checkout.Status.PAID
    if isinstance(event, events.PaymentFailed) and event.checkout_id:
        return Checkout.Status.FAILED
    return None


def _update_checkout(provider_name, event):
    status = _checkout_status_after(event)
    if status is None:
        return
    checkout = (
        Checkout.objects.select_for_update()
        .filter(provider=provider_name, provider_checkout_id=event.checkout_id)
        .first()
    )
    if checkout is None:
        return
    if _STATUS_RANK[status] > _STATUS_RANK[checkout.status]:
        checkout.status = status
    for field in ("customer_id", "subscription_id", "payment_id"):
        value = getattr(event, field, "")
        if value and not getattr(checkout, field):
            setattr(checkout, field, value)
    checkout.save()


_ROUTED_FIELDS = ("checkout_id", "payment_id", "subscription_id", "invoice_id")


def _route(provider_name, event):
    """Fill in purpose and reference from what earlier events taught us, for an event whose
    payload did not carry them."""
    if event.purpose:
        return event
    object_ids = [getattr(event, name, "") for name in _ROUTED_FIELDS]
    route = PaymentRoute.objects.filter(
        provider=provider_name, object_id__in=[value for value in object_ids if value]
    ).first()
    if route is None:
        return event
    return dataclasses.replace(event, purpose=route.purpose, reference=route.reference)


def _remember_route(provider_name, event):
    for name in _ROUTED_FIELDS:
        object_id = getattr(event, name, "")
        if object_id:
            PaymentRoute.objects.get_or_create(
                provider=provider_name,
                object_id=object_id,
                defaults={"purpose": event.purpose, "reference": event.reference},
            )


def receive(provider, body, headers) -> WebhookResult:
    """Verify one webhook delivery from ``provider``, store it and apply it, exactly once.

    Raises InvalidWebhook for a delivery that fails verification (nothing is stored then),
    and PaymentProviderError when the provider could not be asked about it. A delivery
    whose event id is already stored is a duplicate: it returns at once and changes
    nothing. Otherwise the event row, the checkout's status, the routes and whatever the
    domains' handlers do are committed together; if a handler fails, none of it is, and the
    provider's retry will try again.
    """
    parsed = provider.parse_webhook(body, headers)
    with transaction.atomic():
        try:
            # The unique constraint is the guard: a concurrent delivery of the same event
            # waits on this insert and then finds it taken.
            with transaction.atomic():
                record = ProviderEvent.objects.create(
                    provider=provider.name,
                    provider_event_id=parsed.provider_event_id,
                    event_type=parsed.event_type,
                    payload=parsed.payload,
                )
        except IntegrityError:
            return WebhookResult(WebhookOutcome.DUPLICATE, parsed.provider_event_id)
        outcomes = []
        for event in parsed.events:
            event = _route(provider.name, event)
            _update_checkout(provider.name, event)
            if not event.purpose:
                outcomes.append("not ours (no purpose)")
                continue
            _remember_route(provider.name, event)
            try:
                registry.dispatch(event)
            except registry.UnknownPurpose:
                logger.warning("No payment handler for purpose %r", event.purpose)
                outcomes.append(f"no handler for {event.purpose}")
            else:
                outcomes.append(f"{type(event).__name__} → {event.purpose}")
        record.processed_at = timezone.now()
        record.outcome = ("; ".join(outcomes) or "ignored")[:255]
        record.save(update_fields=["processed_at", "outcome"])
    return WebhookResult(WebhookOutcome.PROCESSED, parsed.provider_event_id)
