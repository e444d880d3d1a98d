"""The interface every payment provider implements (Stripe, and the offline demo provider)."""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class LineItem:
    """One thing being paid for. ``amount`` is the unit price in minor units."""

    name: str
    amount: int
    quantity: int = 1
    description: str = ""


@dataclass(frozen=True, kw_only=True)
class CheckoutRequest:
    """What a domain asks the provider to collect.

    ``mode`` is "payment" (one-off) or "subscription" (monthly, priced inline for any amount).
    ``purpose`` names the domain handler ("donation", "order"); ``reference`` is the domain's
    own id for the thing being paid, echoed back on every event.
    """

    purpose: str
    reference: str
    mode: str
    currency: str
    line_items: list[LineItem]
    success_url: str
    cancel_url: str
    customer_email: str = ""
    customer_id: str = ""
    metadata: dict = field(default_factory=dict)
    expires_at: datetime | None = None
    idempotency_key: str = ""

    @property
    def total(self):
        return sum(item.amount * item.quantity for item in self.line_items)


@dataclass(frozen=True)
class CheckoutSession:
    """Where to send the reader to pay, and until when it is valid."""

    id: str
    url: str
    expires_at: datetime | None = None


@dataclass(frozen=True)
class WebhookEvent:
    """One verified provider event: its unique id and type, the raw payload, and what it
    means for the domains (zero or more masthead.payments.events objects)."""

    provider_event_id: str
    event_type: str
    payload: dict
    events: list


class InvalidWebhook(Exception):
    """The request did not come from the provider (bad or stale signature, bad payload)."""


class PaymentProviderError(Exception):
    """The provider refused or could not be reached; the message is safe to show."""


class PaymentProvider(ABC):
    """A way to take money. Implementations are thin: no domain logic lives here."""

    name: str

    @abstractmethod
    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        """Start a hosted checkout and return where to send the reader."""

    @abstractmethod
    def parse_webhook(self, body: bytes, headers: dict) -> WebhookEvent:
        """Verify a webhook request against its raw body and say what it means; raise
        InvalidWebhook if the signature, its timestamp or the payload is bad."""

    @abstractmethod
    def refund(self, payment_id: str, amount: int | None = None, idempotency_key: str = ""):
        """Refund ``amount`` (all when None) of a payment."""

    @abstractmethod
    def cancel_subscription(self, subscription_id: str, idempotency_key: str = ""):
        """Stop a recurring payment now."""

    @abstractmethod
    def change_subscription_amount(
        self, subscription_id: str, amount: int, currency: str, idempotency_key: str = ""
    ):
        """Charge ``amount`` per period from the next period on."""

    @abstractmethod
    def expire_checkout(self, checkout_id: str, idempotency_key: str = ""):
        """End an open checkout now, so it can no longer be paid (a checkout expired this
        way sends the same event as one that timed out). Raises PaymentProviderError when
        the checkout is not open any more."""

    @abstractmethod
    def customer_portal_url(self, customer_id: str, return_url: str) -> str:
        """A page where the customer manages their card and payments, if the provider has one."""
