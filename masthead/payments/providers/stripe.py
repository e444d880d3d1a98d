"""The Stripe provider: a thin wrapper over the ``stripe`` package's StripeClient.

Checkout Sessions take one-off payments (``payment`` mode) and monthly ones
(``subscription`` mode) priced inline, so any amount works without creating Prices first.
The routing metadata (purpose, reference) goes on the session, on its payment intent and on
its subscription, so invoice, charge and dispute events can find their way back. Every POST
carries an idempotency key. Keys come only from settings, which read the environment.
"""

import logging
import uuid

import stripe
from django.conf import settings
from django.utils.translation import gettext as _

from masthead.payments.models import Checkout, PaymentRoute
from masthead.payments.providers import stripe_events
from masthead.payments.providers.base import (
    CheckoutRequest,
    CheckoutSession,
    PaymentProvider,
    PaymentProviderError,
)

logger = logging.getLogger("masthead.payments")


# None means stripe's own HTTP client; tests put a client answering from recorded
# responses here, so nothing reaches the network.
http_client = None


def _as_dict(stripe_object):
    return stripe_object.to_dict() if hasattr(stripe_object, "to_dict") else dict(stripe_object)


def _metadata(request):
    """Stripe metadata values are strings; routing keys win over the domain's own."""
    metadata = {str(key)[:40]: str(value)[:500] for key, value in request.metadata.items()}
    metadata.update(purpose=request.purpose, reference=request.reference)
    return metadata


class StripeProvider(PaymentProvider):
    """Takes payments through Stripe Checkout, Billing and the Customer Portal."""

    name = "stripe"

    def __init__(
        self,
        secret_key,
        webhook_secret,
        *,
        tolerance=300,
        payment_method_types=("card",),
        enable_bacs=False,
        api_base="",
        http_client=None,
    ):
        self.webhook_secret = webhook_secret
        self.tolerance = tolerance
        self.payment_method_types = list(payment_method_types)
        self.enable_bacs = enable_bacs
        self.client = stripe.StripeClient(
            secret_key or "sk_unset",
            base_addresses={"api": api_base} if api_base else None,
            http_client=http_client,
            max_network_retries=2,
        )

    @classmethod
    def from_settings(cls, http_client=None):
        """The provider as the environment configures it."""
        return cls(
            settings.STRIPE_SECRET_KEY,
            settings.STRIPE_WEBHOOK_SECRET,
            tolerance=settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
            payment_method_types=settings.STRIPE_PAYMENT_METHOD_TYPES,
            enable_bacs=settings.STRIPE_ENABLE_BACS,
            api_base=settings.STRIPE_API_BASE,
            http_client=http_client,
        )

    def _payment_method_types(self, currency):
        types = list(self.payment_method_types)
        # Bacs Direct Debit collects pounds from UK bank accounts only.
        if self.enable_bacs and currency.upper() == "GBP" and "bacs_debit" not in types:
            types.append("bacs_debit")
        return types

    def _call(self, what, function, *args, **kwargs):
        try:
            return function(*args, **kwargs)
        except stripe.StripeError as error:
            logger.warning("Stripe refused to %s: %s", what, error)
            message = getattr(error, "user_message", None) or _(
                "The payment provider could not be reached. Please try again."
            )
            raise PaymentProviderError(message) from error

    def checkout_params(self, request: CheckoutRequest):
        """The form parameters of POST /v1/checkout/sessions for ``request``."""
        currency = request.currency.lower()
        line_items = []
        for item in request.line_items:
            product_data = {"name": item.name}
            if item.description:
                product_data["description"] = item.description
            price_data = {
                "currency": currency,
                "unit_amount": item.amount,
                "product_data": product_data,
            }
            if request.mode == Checkout.Mode.SUBSCRIPTION:
                price_data["recurring"] = {"interval": "month"}
            line_items.append({"price_data": price_data, "quantity": item.quantity})
        metadata = _metadata(request)
        params = {
            "mode": request.mode,
            "line_items": line_items,
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "metadata": metadata,
            "payment_method_types": self._payment_method_types(currency),
        }
        if request.customer_id:
            params["customer"] = request.customer_id
        elif request.customer_email:
            params["customer_email"] = request.customer_email
        if request.mode == Checkout.Mode.SUBSCRIPTION:
            params["subscription_data"] = {"metadata": metadata}
        else:
            params["payment_intent_data"] = {"metadata": metadata}
            if not request.customer_id:
                # A customer lets a one-off supporter use the portal and be recognised later.
                params["customer_creation"] = "always"
        if request.expires_at:
            params["expires_at"] = int(request.expires_at.timestamp())
        return params

    def create_checkout(self, request):
        session = self._call(
            "create a checkout session",
            self.client.v1.checkout.sessions.create,
            self.checkout_params(request),
            options={"idempotency_key": request.idempotency_key},
        )
        data = _as_dict(session)
        return CheckoutSession(
            id=data["id"],
            url=data["url"],
            expires_at=stripe_events._datetime(data.get("expires_at")),
        )

    def expire_checkout(self, checkout_id, idempotency_key=""):
        return self._call(
            "expire a checkout session",
            self.client.v1.checkout.sessions.expire,
            checkout_id,
            options={"idempotency_key": idempotency_key} if idempotency_key else None,
        )

    def parse_webhook(self, body, headers):
        return stripe_events.parse(
            self.name, body, headers, self.webhook_secret, self.tolerance, StripeLookup(self)
        )

    def refund(self, payment_id, amount=None, idempotency_key=""):
        params = {"charge" if payment_id.startswith("ch_") else "payment_intent": payment_id}
        if amount is not None:
            params["amount"] = amount
        return self._call(
            "refund",
            self.client.v1.refunds.create,
            params,
            options={"idempotency_key": idempotency_key},
        )

    def cancel_subscription(self, subscription_id, idempotency_key=""):
        # A DELETE: repeating it is harmless, and Stripe ignores idempotency keys on DELETE.
        return self._call(
            "cancel a subscription", self.client.v1.subscriptions.cancel, subscription_id
        )

    def change_subscription_amount(self, subscription_id, amount, currency, idempotency_key=""):
        subscription = self._call(
            "fetch a subscription", self.client.v1.subscriptions.retrieve, subscription_id
        )
        item = _as_dict(subscription)["items"]["data"][0]
        product = item["price"]["product"]
        params = {
            "items": [
                {
                    "id": item["id"],
                    "price_data": {
                        "currency": currency.lower(),
                        "product": product if isinstance(product, str) else product["id"],
                        "unit_amount": amount,
                        "recurring": {"interval": "month"},
                    },
                }
            ],
            # The new amount applies from the next invoice; nothing is charged or credited now.
            "proration_behavior": "none",
        }
        return self._call(
            "change a subscription",
            self.client.v1.subscriptions.update,
            subscription_id,
            params,
            options={"idempotency_key": idempotency_key},
        )

    def customer_portal_url(self, customer_id, return_url):
        session = self._call(
            "open the customer portal",
            self.client.v1.billing_portal.sessions.create,
            {"customer": customer_id, "return_url": return_url},
            # A fresh key each time: a portal session is short-lived, so a repeated visit
            # needs a new one, and the key still makes the client's own retries safe.
            options={"idempotency_key": f"portal-{uuid.uuid4().hex}"},
        )
        return _as_dict(session)["url"]


class StripeLookup:
    """Answers stripe_events' questions about objects a payload only names: from the routes
    earlier events taught us when it can, otherwise from the API."""

    def __init__(self, provider):
        self.provider = provider

    def _known_route(self, object_id):
        route = PaymentRoute.objects.filter(
            provider=self.provider.name, object_id=object_id
        ).first()
        if route is None:
            return None
        return {
            "id": object_id,
            "metadata": {"purpose": route.purpose, "reference": route.reference},
        }

    def subscription(self, subscription_id):
        known = self._known_route(subscription_id)
        if known:
            return known
        client = self.provider.client
        return _as_dict(
            self.provider._call(
                "fetch a subscription", client.v1.subscriptions.retrieve, subscription_id
            )
        )

    def payment_intent(self, payment_intent_id):
        known = self._known_route(payment_intent_id)
        if known:
            return known
        client = self.provider.client
        return _as_dict(
            self.provider._call(
                "fetch a payment", client.v1.payment_intents.retrieve, payment_intent_id
            )
        )

    def invoice_payment_intent(self, invoice_id):
        client = self.provider.client
        payments = self.provider._call(
            "list an invoice's payments",
            client.v1.invoice_payments.list,
            {"invoice": invoice_id, "limit": 10},
        )
        for invoice_payment in _as_dict(payments).get("data") or []:
            payment = invoice_payment.get("payment") or {}
            if payment.get("payment_intent"):
                return stripe_events._object_id(payment["payment_intent"])
        return ""
