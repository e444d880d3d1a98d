"""The interface a print-on-demand provider implements (Printful today), and what its
webhooks tell the shop, as plain dataclasses the orders module applies."""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field


class FulfilmentError(Exception):
    """The provider refused an order or could not be reached; the message is safe to show
    an editor."""


class InvalidFulfilmentWebhook(ValueError):
    """A webhook body that is not what the provider sends (bad JSON, missing fields)."""


@dataclass(frozen=True)
class ShipmentUpdate:
    """A parcel left the provider: for which of our orders (its number), which lines and
    how many of each (``{order line id: quantity}``; empty when the provider did not say),
    by which carrier, with what tracking."""

    order_number: str
    external_id: str
    carrier: str
    tracking_number: str = ""
    tracking_url: str = ""
    items: dict = field(default_factory=dict)


@dataclass(frozen=True)
class StatusUpdate:
    """The provider's order changed state (failed, cancelled, updated); ``reason`` is its
    explanation, if any."""

    order_number: str
    status: str
    reason: str = ""


class FulfilmentProvider(ABC):
    """A business that prints and posts items for the outlet."""

    name: str

    @abstractmethod
    def submit(self, order) -> str:
        """Send an order's print-on-demand lines; return the provider's order id. Calling it
        again for the same order must not create a second order at the provider."""

    @abstractmethod
    def parse_webhook(self, body: bytes, headers: dict | None = None) -> list:
        """What a webhook delivery means: a list of ShipmentUpdate and StatusUpdate. Raises
        InvalidFulfilmentWebhook for a body that cannot be read. (Printful signs nothing:
        its deliveries are authenticated by the secret in the webhook address.)"""
