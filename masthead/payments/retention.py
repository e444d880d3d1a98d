"""How long the payments app keeps a payer's details.

Provider events are stored as the provider sent them, and Stripe's carry the payer's name,
email, address, phone and billing details, and sometimes the IP address and browser of a
mandate's acceptance. They are kept whole while they may be needed to answer a dispute
(``settings.PAYMENTS_PERSONAL_DATA_RETENTION_DAYS``, 120 days by default: card networks
allow disputes up to 120 days after a payment); after that only ids, types, amounts, states
and times remain. IP addresses and user agents go sooner
(``settings.PAYMENTS_IP_RETENTION_DAYS``, 90 days). Checkouts and the demo provider's own
records lose the payer's email with the events.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from masthead.payments.models import Checkout, DemoCheckout, DemoSubscription, ProviderEvent

# Keys whose values identify the payer's device: removed after PAYMENTS_IP_RETENTION_DAYS.
DEVICE_KEYS = frozenset({"ip_address", "client_ip", "customer_purchase_ip", "user_agent"})
# Keys whose values identify the payer, at any depth of a payload (Stripe's names):
# removed after PAYMENTS_PERSONAL_DATA_RETENTION_DAYS. Ids, types, amounts, currencies,
# states, times and metadata (which carries only Masthead's own references) stay.
PERSONAL_KEYS = DEVICE_KEYS | {
    "email",
    "customer_email",
    "customer_email_address",
    "receipt_email",
    "name",
    "customer_name",
    "account_holder_name",
    "phone",
    "customer_phone",
    "address",
    "customer_address",
    "billing_address",
    "shipping",
    "shipping_address",
    "shipping_details",
    "customer_shipping",
    "customer_details",
    "billing_details",
    "payment_method_details",
    "customer_tax_ids",
    "custom_fields",
    "evidence",
    "receipt_url",
    "hosted_invoice_url",
    "invoice_pdf",
}
REDACTED = "[redacted]"
# Events redacted per transaction, so a large backlog never holds a long write lock.
BATCH_SIZE = 500


def redact(value, keys):
    """A copy of a JSON ``value`` with what is under any of ``keys`` replaced by REDACTED
    (empty values are left as they are, so the shape still says what was there)."""
    if isinstance(value, dict):
        return {
            key: REDACTED if key in keys and item not in (None, "", {}, []) else redact(item, keys)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact(item, keys) for item in value]
    return value


def _redact_events(events, keys, redaction):
    redacted = 0
    while True:
        with transaction.atomic():
            batch = list(events.order_by("received_at", "pk")[:BATCH_SIZE])
            for event in batch:
                event.payload = redact(event.payload, keys)
                event.redaction = redaction
            ProviderEvent.objects.bulk_update(batch, ["payload", "redaction"])
        redacted += len(batch)
        if len(batch) < BATCH_SIZE:
            return redacted


def forget_payers(now=None):
    """Periodic job: redact provider events older than the retention times (device details
    first, then every personal detail) and clear the payer's email from checkouts and the
    demo provider's records of the same age. Idempotent; returns how many events it
    redacted."""
    now = now or timezone.now()
    personal_cutoff = now - timedelta(days=settings.PAYMENTS_PERSONAL_DATA_RETENTION_DAYS)
    device_cutoff = now - timedelta(days=settings.PAYMENTS_IP_RETENTION_DAYS)
    redacted = _redact_events(
        ProviderEvent.objects.filter(received_at__lt=personal_cutoff).exclude(
            redaction=ProviderEvent.Redaction.PERSONAL
        ),
        PERSONAL_KEYS,
        ProviderEvent.Redaction.PERSONAL,
    )
    redacted += _redact_events(
        ProviderEvent.objects.filter(
            received_at__lt=device_cutoff, redaction=ProviderEvent.Redaction.NONE
        ),
        DEVICE_KEYS,
        ProviderEvent.Redaction.DEVICE,
    )
    Checkout.objects.filter(created_at__lt=personal_cutoff).exclude(customer_email="").update(
        customer_email=""
    )
    DemoCheckout.objects.filter(created_at__lt=personal_cutoff).exclude(customer_email="").update(
        customer_email=""
    )
    DemoSubscription.objects.filter(
        created_at__lt=personal_cutoff, status=DemoSubscription.Status.CANCELED
    ).exclude(customer_email="").update(customer_email="")
    return redacted
