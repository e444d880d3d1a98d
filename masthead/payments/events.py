"""What the payments app tells the domains (donations, the shop) about money.

Providers turn their own webhook events into these dataclasses; the registry hands each to
the handler registered for its ``purpose``. Handlers run inside the transaction that also
records the provider event, so an event's effect and its record commit together or not at
all. Handlers must tolerate events out of order (a renewal before the first checkout, a
cancellation before the last invoice) and must be idempotent.

Money is always an integer number of minor units with an ISO currency code.
"""

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, kw_only=True)
class PaymentEvent:
    """Fields every event carries."""

    provider: str
    provider_event_id: str
    purpose: str
    reference: str
    metadata: dict = field(default_factory=dict)
    # When the provider says the change happened, so a handler can ignore an older state
    # that arrives after a newer one.
    occurred_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class CheckoutCompleted(PaymentEvent):
    """The reader finished checkout. ``paid`` is False while an asynchronous method (Bacs
    Direct Debit) is still settling: a later PaymentSucceeded or PaymentFailed follows."""

    checkout_id: str
    amount: int
    currency: str
    email: str
    customer_id: str = ""
    subscription_id: str = ""
    payment_id: str = ""
    paid: bool = True


@dataclass(frozen=True, kw_only=True)
class CheckoutExpired(PaymentEvent):
    """The checkout was abandoned or timed out; nothing was charged."""

    checkout_id: str


@dataclass(frozen=True, kw_only=True)
class PaymentSucceeded(PaymentEvent):
    """Money was taken: a one-off payment that settled late, or a subscription invoice
    (``is_renewal`` for every invoice after the first)."""

    payment_id: str
    amount: int
    currency: str
    email: str = ""
    checkout_id: str = ""
    customer_id: str = ""
    subscription_id: str = ""
    invoice_id: str = ""
    is_renewal: bool = False
    period_end: object = None


@dataclass(frozen=True, kw_only=True)
class PaymentFailed(PaymentEvent):
    """A payment attempt failed (a declined renewal, a failed Direct Debit)."""

    amount: int
    currency: str
    email: str = ""
    checkout_id: str = ""
    customer_id: str = ""
    subscription_id: str = ""
    invoice_id: str = ""
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class SubscriptionUpdated(PaymentEvent):
    """A recurring payment changed: amount, status or when it will end."""

    subscription_id: str
    customer_id: str
    status: str
    amount: int
    currency: str
    cancel_at_period_end: bool = False
    current_period_end: object = None


@dataclass(frozen=True, kw_only=True)
class SubscriptionCancelled(PaymentEvent):
    """A recurring payment ended; no further invoices will be raised."""

    subscription_id: str
    customer_id: str = ""


@dataclass(frozen=True, kw_only=True)
class PaymentRefunded(PaymentEvent):
    """Some or all of a payment went back to the payer. ``amount_refunded`` is the total
    refunded so far, not this refund alone, so replays and reordering converge."""

    payment_id: str
    amount_refunded: int
    currency: str
    fully_refunded: bool


@dataclass(frozen=True, kw_only=True)
class PaymentDisputed(PaymentEvent):
    """The payer's bank opened a dispute (chargeback) on a payment."""

    payment_id: str
    amount: int
    currency: str
    reason: str = ""
