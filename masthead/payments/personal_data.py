"""What the payments app holds about a payer, for a copy of their data and for erasure.

Payments knows no reader (it sits below ``readers``): it works from an address, and from
the provider ids (checkouts, customers, subscriptions, payments, invoices) that the domain
above it knows for that address. It finds, by the address's mailbox (``+tags`` and Gmail's
dots aside), its own Checkout rows and the demo provider's records, and gathers their ids;
with those it finds every stored provider event that mentions the address or one of the
ids (a renewal's invoice names the subscription and the customer, not the checkout).

Erasure keeps what the accounts and later events need: amounts, currencies, states, times,
and the ids of checkouts, payments, subscriptions and invoices (a refund after the erasure
must still reach its gift). It removes the payer's address, the customer id that stands for
them at the provider, and every personal detail of the events (``retention.redact``, as the
retention job does when they age, plus any text that still names the payer).
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast

from masthead.core.mailboxes import pks_reaching
from masthead.payments.models import (
    Checkout,
    DemoCheckout,
    DemoPayment,
    DemoSubscription,
    PaymentRoute,
    ProviderEvent,
)
from masthead.payments.retention import PERSONAL_KEYS, REDACTED, redact

# The models whose rows about a payer this module exports and erases.
MODELS = (
    "payments.Checkout",
    "payments.ProviderEvent",
    "payments.DemoCheckout",
    "payments.DemoSubscription",
    "payments.DemoPayment",
    "payments.PaymentRoute",
)
DEMO_CHECKOUT_FIELDS = [
    "id",
    "mode",
    "purpose",
    "reference",
    "amount",
    "currency",
    "customer_email",
    "customer_id",
    "status",
    "payment_id",
    "subscription_id",
    "metadata",
    "created_at",
]
DEMO_SUBSCRIPTION_FIELDS = [
    "id",
    "customer_id",
    "customer_email",
    "purpose",
    "reference",
    "amount",
    "currency",
    "status",
    "current_period_end",
    "metadata",
    "created_at",
]
DEMO_PAYMENT_FIELDS = [
    "id",
    "purpose",
    "reference",
    "amount",
    "amount_refunded",
    "currency",
    "customer_id",
    "subscription_id",
    "invoice_id",
    "metadata",
    "created_at",
]
# Text shorter than this is not searched for inside payloads (a one-letter name would match
# everything); the keys that hold names are redacted whatever their value.
SHORTEST_NEEDLE = 3
# Events scanned per query when looking for the payer's ids.
IDS_PER_QUERY = 50


def matching_mailbox(queryset, field_name, address):
    """The pks of rows of ``queryset`` whose ``field_name`` reaches the same mailbox as
    ``address``."""
    return pks_reaching(queryset, field_name, address)


@dataclass
class Payer:
    """What payments holds for one address: its rows, and every id and address they carry."""

    checkouts: list = field(default_factory=list)
    demo_checkouts: list = field(default_factory=list)
    demo_subscriptions: list = field(default_factory=list)
    demo_payments: list = field(default_factory=list)
    events: list = field(default_factory=list)
    ids: set = field(default_factory=set)
    customer_ids: set = field(default_factory=set)
    addresses: set = field(default_factory=set)


def _ids_of(rows, *names):
    return {getattr(row, name) for row in rows for name in names} - {""}


def _demo_records(payer, address):
    """The demo provider's checkouts, subscriptions and payments for the payer."""
    checkouts = DemoCheckout.objects.filter(
        Q(pk__in=matching_mailbox(DemoCheckout.objects, "customer_email", address))
        | Q(pk__in=payer.ids)
    )
    payer.demo_checkouts = list(checkouts)
    payer.ids |= _ids_of(payer.demo_checkouts, "id", "customer_id", "payment_id", "subscription_id")
    subscriptions = DemoSubscription.objects.filter(
        Q(pk__in=matching_mailbox(DemoSubscription.objects, "customer_email", address))
        | Q(pk__in=payer.ids)
        | Q(customer_id__in=payer.ids)
    )
    payer.demo_subscriptions = list(subscriptions)
    payer.ids |= _ids_of(payer.demo_subscriptions, "id", "customer_id")
    payer.customer_ids |= _ids_of(payer.demo_checkouts + payer.demo_subscriptions, "customer_id")
    payments = DemoPayment.objects.filter(
        Q(pk__in=payer.ids) | Q(subscription_id__in=payer.ids) | Q(customer_id__in=payer.ids)
    )
    payer.demo_payments = list(payments)
    payer.ids |= _ids_of(payer.demo_payments, "id", "charge_id", "invoice_id")
    payer.addresses |= {row.customer_email for row in payer.demo_checkouts if row.customer_email}
    payer.addresses |= {
        row.customer_email for row in payer.demo_subscriptions if row.customer_email
    }


def _events(payer):
    """Stored provider events whose payload mentions one of the payer's addresses or ids."""
    needles = [Q(text__icontains=address) for address in payer.addresses]
    # Ids are matched as whole JSON strings, so "pi_1" does not find "pi_10".
    needles += [Q(text__contains=f'"{object_id}"') for object_id in sorted(payer.ids)]
    found = {}
    texts = ProviderEvent.objects.alias(text=Cast("payload", TextField()))
    for start in range(0, len(needles), IDS_PER_QUERY):
        condition = Q()
        for needle in needles[start : start + IDS_PER_QUERY]:
            condition |= needle
        for event in texts.filter(condition):
            found[event.pk] = event
    return sorted(found.values(), key=lambda event: event.pk)


def find_payer(address, *, ids=(), addresses=()):
    """Everything payments holds for ``address``, with the provider ``ids`` and other
    ``addresses`` the domains above know for the same person."""
    payer = Payer(ids=set(ids) - {""}, addresses={address, *addresses} - {""})
    checkouts = Checkout.objects.filter(
        Q(pk__in=matching_mailbox(Checkout.objects, "customer_email", address))
        | Q(provider_checkout_id__in=payer.ids)
    ).order_by("pk")
    payer.checkouts = list(checkouts)
    payer.ids |= _ids_of(
        payer.checkouts, "provider_checkout_id", "customer_id", "subscription_id", "payment_id"
    )
    payer.customer_ids |= _ids_of(payer.checkouts, "customer_id")
    payer.addresses |= {row.customer_email for row in payer.checkouts if row.customer_email}
    _demo_records(payer, address)
    payer.customer_ids |= {object_id for object_id in payer.ids if object_id.startswith("cus_")}
    payer.events = _events(payer)
    return payer


def _value(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def _rows(objects, names):
    return [{name: _value(getattr(row, name)) for name in names} for row in objects]


def export_payer(address, *, ids=(), addresses=()):
    """A copy of what payments holds for the payer: ``{table: [row, ...]}`` (JSON)."""
    payer = find_payer(address, ids=ids, addresses=addresses)
    return {
        "payment_checkouts": _rows(
            payer.checkouts,
            [
                "provider",
                "provider_checkout_id",
                "purpose",
                "reference",
                "mode",
                "amount",
                "currency",
                "customer_email",
                "status",
                "customer_id",
                "subscription_id",
                "payment_id",
                "created_at",
                "updated_at",
            ],
        ),
        "payment_provider_events": _rows(
            payer.events,
            ["provider", "provider_event_id", "event_type", "received_at", "outcome", "payload"],
        ),
        "demo_checkouts": _rows(payer.demo_checkouts, DEMO_CHECKOUT_FIELDS),
        "demo_subscriptions": _rows(payer.demo_subscriptions, DEMO_SUBSCRIPTION_FIELDS),
        "demo_payments": _rows(payer.demo_payments, DEMO_PAYMENT_FIELDS),
    }


def scrub(value, needles):
    """A copy of a JSON ``value`` in which every string that contains one of ``needles``
    (case-insensitive) is replaced by REDACTED."""
    if isinstance(value, dict):
        return {key: scrub(item, needles) for key, item in value.items()}
    if isinstance(value, list):
        return [scrub(item, needles) for item in value]
    if isinstance(value, str) and any(needle in value.lower() for needle in needles):
        return REDACTED
    return value


def _needles(payer, names):
    texts = {*payer.addresses, *payer.customer_ids, *names}
    return {text.strip().lower() for text in texts if len(text.strip()) >= SHORTEST_NEEDLE}


def erase_payer(address, *, ids=(), addresses=(), names=()):
    """Erase what payments holds for the payer (see the module docstring): addresses and
    customer ids cleared, events redacted, and any string naming the payer (their
    ``addresses``, ``names`` or customer ids) removed from payloads and metadata. Returns
    the Payer that was erased."""
    payer = find_payer(address, ids=ids, addresses=addresses)
    needles = _needles(payer, names)
    with transaction.atomic():
        for event in payer.events:
            event.payload = scrub(redact(event.payload, PERSONAL_KEYS), needles)
            event.redaction = ProviderEvent.Redaction.PERSONAL
        ProviderEvent.objects.bulk_update(payer.events, ["payload", "redaction"])
        Checkout.objects.filter(pk__in=[row.pk for row in payer.checkouts]).update(
            customer_email="", customer_id=""
        )
        for row in payer.demo_checkouts:
            row.customer_email = row.customer_id = ""
            row.metadata = scrub(row.metadata, needles)
            row.description = scrub(row.description, needles)
        DemoCheckout.objects.bulk_update(
            payer.demo_checkouts, ["customer_email", "customer_id", "metadata", "description"]
        )
        for row in payer.demo_subscriptions:
            row.customer_email = ""
            row.metadata = scrub(row.metadata, needles)
        DemoSubscription.objects.bulk_update(
            payer.demo_subscriptions, ["customer_email", "metadata"]
        )
        for row in payer.demo_payments:
            row.metadata = scrub(row.metadata, needles)
        DemoPayment.objects.bulk_update(payer.demo_payments, ["metadata"])
        # A customer id leads to the payer at the provider; payments and subscriptions keep
        # their routes so a late refund still reaches its gift.
        PaymentRoute.objects.filter(object_id__in=payer.customer_ids).delete()
    return payer
