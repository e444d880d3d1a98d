"""Stripe's webhook format: verifying a signed delivery and saying what it means.

Both providers use this: Stripe for real deliveries, and the demo provider, which signs
Stripe-shaped events with its own secret so they run through exactly the same code. What a
payload lacks (an invoice without its subscription's metadata, a refund that names only a
payment intent) is asked of ``lookup``, which the Stripe provider answers from the API and
the demo provider from its own tables.
"""

import hashlib
import hmac
import json
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Protocol

import stripe

from masthead.payments import events
from masthead.payments.providers.base import InvalidWebhook, WebhookEvent

HANDLED_EVENT_TYPES = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "invoice.paid",
    "invoice.payment_failed",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "charge.refunded",
    "charge.dispute.created",
)

# Metadata keys that route an event; everything else in metadata is the domain's own.
ROUTING_KEYS = ("purpose", "reference")


class ObjectLookup(Protocol):
    """Fetches provider objects a webhook payload refers to but does not include."""

    def subscription(self, subscription_id: str) -> dict: ...

    def payment_intent(self, payment_intent_id: str) -> dict: ...

    def invoice_payment_intent(self, invoice_id: str) -> str: ...


def sign_payload(payload, secret, timestamp=None):
    """The Stripe-Signature header for ``payload`` (str), as Stripe computes it."""
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    signature = hmac.new(
        secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={signature}"


def verify(body, headers, secret, tolerance):
    """Check the Stripe-Signature header against the raw body and return the event as a
    dict; raise InvalidWebhook for a bad, missing, stale or future-dated signature or a
    payload that is not a Stripe event."""
    if not secret:
        raise InvalidWebhook("No webhook secret is configured.")
    header = headers.get("Stripe-Signature") or ""
    if not header:
        raise InvalidWebhook("The Stripe-Signature header is missing.")
    try:
        payload = bytes(body).decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidWebhook("The body is not UTF-8.") from error
    try:
        stripe.WebhookSignature.verify_header(payload, header, secret, tolerance)
    except stripe.SignatureVerificationError as error:
        raise InvalidWebhook(str(error).split(".")[0]) from error
    # Stripe's check only refuses old timestamps; one far in the future is just as suspect.
    timestamp = _header_timestamp(header)
    if tolerance and timestamp > time.time() + tolerance:
        raise InvalidWebhook("Timestamp is in the future.")
    try:
        event = json.loads(payload)
    except ValueError as error:
        raise InvalidWebhook("The body is not JSON.") from error
    if not isinstance(event, dict):
        raise InvalidWebhook("The body is not a Stripe event.")
    event_id, event_type = event.get("id"), event.get("type")
    data = event.get("data")
    if not isinstance(event_id, str) or not event_id or len(event_id) > 255:
        raise InvalidWebhook("The event has no valid id.")
    if not isinstance(event_type, str) or not event_type or len(event_type) > 100:
        raise InvalidWebhook("The event has no valid type.")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise InvalidWebhook("The event has no data object.")
    return event


def _header_timestamp(header):
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0


def parse(provider_name, body, headers, secret, tolerance, lookup):
    """Verify a delivery and map it to masthead.payments.events objects."""
    event = verify(body, headers, secret, tolerance)
    try:
        mapped = map_event(provider_name, event, lookup)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise InvalidWebhook(f"The {event['type']} payload is malformed.") from error
    return WebhookEvent(
        provider_event_id=event["id"], event_type=event["type"], payload=event, events=mapped
    )


def map_event(provider_name, event, lookup):
    """The domain events one Stripe event means; [] for types Masthead does not handle."""
    mapper = _MAPPERS.get(event["type"])
    if mapper is None:
        return []
    occurred_at = _datetime(event.get("created"))
    return [
        replace(mapped, occurred_at=occurred_at)
        for mapped in mapper(provider_name, event["id"], event["data"]["object"], lookup)
    ]


def _object_id(value):
    """Stripe gives a related object as its id, or as the object itself when expanded."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else ""


def _text(value):
    return value if isinstance(value, str) else ""


def _minor_units(value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{value!r} is not an amount in minor units")
    return value


def _currency(value):
    if not isinstance(value, str) or len(value) != 3:
        raise ValueError(f"{value!r} is not a currency code")
    return value.upper()


def _datetime(value):
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return datetime.fromtimestamp(value, tz=UTC)


def _routing(metadata):
    """purpose, reference and the rest of a metadata dict."""
    metadata = metadata if isinstance(metadata, dict) else {}
    rest = {key: value for key, value in metadata.items() if key not in ROUTING_KEYS}
    return _text(metadata.get("purpose")), _text(metadata.get("reference")), rest


def _common(provider_name, event_id, metadata):
    purpose, reference, rest = _routing(metadata)
    return {
        "provider": provider_name,
        "provider_event_id": event_id,
        "purpose": purpose,
        "reference": reference,
        "metadata": rest,
    }


def _session_email(session):
    details = session.get("customer_details") or {}
    return _text(details.get("email")) or _text(session.get("customer_email"))


def _checkout_completed(provider_name, event_id, session, lookup):
    return [
        events.CheckoutCompleted(
            **_common(provider_name, event_id, session.get("metadata")),
            checkout_id=session["id"],
            amount=_minor_units(session.get("amount_total") or 0),
            currency=_currency(session.get("currency")),
            email=_session_email(session),
            customer_id=_object_id(session.get("customer")),
            subscription_id=_object_id(session.get("subscription")),
            payment_id=_object_id(session.get("payment_intent")),
            paid=session.get("payment_status") in ("paid", "no_payment_required"),
        )
    ]


def _checkout_async_succeeded(provider_name, event_id, session, lookup):
    return [
        events.PaymentSucceeded(
            **_common(provider_name, event_id, session.get("metadata")),
            payment_id=_object_id(session.get("payment_intent")) or session["id"],
            amount=_minor_units(session.get("amount_total") or 0),
            currency=_currency(session.get("currency")),
            email=_session_email(session),
            checkout_id=session["id"],
            customer_id=_object_id(session.get("customer")),
            subscription_id=_object_id(session.get("subscription")),
        )
    ]


def _checkout_async_failed(provider_name, event_id, session, lookup):
    return [
        events.PaymentFailed(
            **_common(provider_name, event_id, session.get("metadata")),
            amount=_minor_units(session.get("amount_total") or 0),
            currency=_currency(session.get("currency")),
            email=_session_email(session),
            checkout_id=session["id"],
            customer_id=_object_id(session.get("customer")),
            subscription_id=_object_id(session.get("subscription")),
            reason="The bank did not settle the payment.",
        )
    ]


def _checkout_expired(provider_name, event_id, session, lookup):
    return [
        events.CheckoutExpired(
            **_common(provider_name, event_id, session.get("metadata")),
            checkout_id=session["id"],
        )
    ]


def _invoice_subscription(invoice, lookup):
    """The invoice's subscription id and its metadata, from the payload (current and older
    API versions place them differently) or, failing that, from the subscription itself."""
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    subscription_id = _object_id(details.get("subscription")) or _object_id(
        invoice.get("subscription")
    )
    metadata = details.get("metadata") or (invoice.get("subscription_details") or {}).get(
        "metadata"
    )
    if not _routing(metadata)[0] and subscription_id:
        metadata = lookup.subscription(subscription_id).get("metadata")
    return subscription_id, metadata


def _invoice_payment_id(invoice, lookup):
    legacy = _object_id(invoice.get("payment_intent"))
    if legacy:
        return legacy
    for invoice_payment in (invoice.get("payments") or {}).get("data") or []:
        payment_intent = _object_id((invoice_payment.get("payment") or {}).get("payment_intent"))
        if payment_intent:
            return payment_intent
    return lookup.invoice_payment_intent(invoice["id"]) or invoice["id"]


def _invoice_period_end(invoice):
    lines = (invoice.get("lines") or {}).get("data") or []
    if lines:
        end = _datetime((lines[0].get("period") or {}).get("end"))
        if end:
            return end
    return _datetime(invoice.get("period_end"))


def _invoice_paid(provider_name, event_id, invoice, lookup):
    subscription_id, metadata = _invoice_subscription(invoice, lookup)
    if not subscription_id:
        # A one-off invoice raised by hand in the Stripe dashboard: not ours to route.
        return []
    return [
        events.PaymentSucceeded(
            **_common(provider_name, event_id, metadata),
            payment_id=_invoice_payment_id(invoice, lookup),
            amount=_minor_units(invoice.get("amount_paid") or 0),
            currency=_currency(invoice.get("currency")),
            email=_text(invoice.get("customer_email")),
            customer_id=_object_id(invoice.get("customer")),
            subscription_id=subscription_id,
            invoice_id=invoice["id"],
            is_renewal=invoice.get("billing_reason") != "subscription_create",
            period_end=_invoice_period_end(invoice),
        )
    ]


def _invoice_payment_failed(provider_name, event_id, invoice, lookup):
    subscription_id, metadata = _invoice_subscription(invoice, lookup)
    if not subscription_id:
        return []
    error = invoice.get("last_finalization_error") or {}
    return [
        events.PaymentFailed(
            **_common(provider_name, event_id, metadata),
            amount=_minor_units(invoice.get("amount_due") or 0),
            currency=_currency(invoice.get("currency")),
            email=_text(invoice.get("customer_email")),
            customer_id=_object_id(invoice.get("customer")),
            subscription_id=subscription_id,
            invoice_id=invoice["id"],
            reason=_text(error.get("message")) or "The card was declined.",
        )
    ]


def _subscription_updated(provider_name, event_id, subscription, lookup):
    items = (subscription.get("items") or {}).get("data") or []
    item = items[0] if items else {}
    price = item.get("price") or {}
    quantity = item.get("quantity") or 1
    return [
        events.SubscriptionUpdated(
            **_common(provider_name, event_id, subscription.get("metadata")),
            subscription_id=subscription["id"],
            customer_id=_object_id(subscription.get("customer")),
            status=_text(subscription.get("status")),
            amount=_minor_units(price.get("unit_amount") or 0) * quantity,
            currency=_currency(price.get("currency") or subscription.get("currency")),
            cancel_at_period_end=bool(
                subscription.get("cancel_at_period_end") or subscription.get("cancel_at")
            ),
            current_period_end=_datetime(item.get("current_period_end"))
            or _datetime(subscription.get("current_period_end")),
        )
    ]


def _subscription_deleted(provider_name, event_id, subscription, lookup):
    return [
        events.SubscriptionCancelled(
            **_common(provider_name, event_id, subscription.get("metadata")),
            subscription_id=subscription["id"],
            customer_id=_object_id(subscription.get("customer")),
        )
    ]


def _payment_metadata(own_metadata, payment_intent_id, lookup):
    if _routing(own_metadata)[0] or not payment_intent_id:
        return own_metadata
    return lookup.payment_intent(payment_intent_id).get("metadata")


def _charge_refunded(provider_name, event_id, charge, lookup):
    payment_intent_id = _object_id(charge.get("payment_intent"))
    metadata = _payment_metadata(charge.get("metadata"), payment_intent_id, lookup)
    return [
        events.PaymentRefunded(
            **_common(provider_name, event_id, metadata),
            payment_id=payment_intent_id or charge["id"],
            amount_refunded=_minor_units(charge.get("amount_refunded") or 0),
            currency=_currency(charge.get("currency")),
            fully_refunded=bool(charge.get("refunded")),
        )
    ]


def _dispute_created(provider_name, event_id, dispute, lookup):
    payment_intent_id = _object_id(dispute.get("payment_intent"))
    metadata = _payment_metadata({}, payment_intent_id, lookup)
    return [
        events.PaymentDisputed(
            **_common(provider_name, event_id, metadata),
            payment_id=payment_intent_id or _object_id(dispute.get("charge")),
            amount=_minor_units(dispute.get("amount") or 0),
            currency=_currency(dispute.get("currency")),
            reason=_text(dispute.get("reason")),
        )
    ]


_MAPPERS = {
    "checkout.session.completed": _checkout_completed,
    "checkout.session.async_payment_succeeded": _checkout_async_succeeded,
    "checkout.session.async_payment_failed": _checkout_async_failed,
    "checkout.session.expired": _checkout_expired,
    "invoice.paid": _invoice_paid,
    "invoice.payment_failed": _invoice_payment_failed,
    "customer.subscription.updated": _subscription_updated,
    "customer.subscription.deleted": _subscription_deleted,
    "charge.refunded": _charge_refunded,
    "charge.dispute.created": _dispute_created,
}
