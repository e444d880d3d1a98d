"""The offline demo provider: a local stand-in for Stripe's hosted checkout.

Its checkout page (/payments/demo/checkout/<id>/) lets the tester pay, have the card
declined, or abandon. Each outcome becomes the Stripe-shaped events Stripe would send,
signed with a local secret and fed through ``webhooks.receive`` — the same verification,
event store and handlers as real Stripe deliveries. A demo "customer portal"
simulates monthly renewals (paid or failed) and cancellations, so the recurring flow can be
shown without waiting a month. Nothing here touches the network.
"""

import hashlib
import hmac
import json
import secrets
import time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from masthead.payments import webhooks
from masthead.payments.models import DemoCheckout, DemoPayment, DemoRefund, DemoSubscription
from masthead.payments.providers import stripe_events
from masthead.payments.providers.base import (
    CheckoutSession,
    PaymentProvider,
    PaymentProviderError,
)

# The demo's answers follow this Stripe API version's shapes.
API_VERSION = "2026-10-28.endive"
# Demo deliveries are signed a moment before they are verified.
TOLERANCE_SECONDS = 300
# Stripe's answer to an idempotency key reused for a different request.
KEY_REUSED = gettext_noop(
    "Keys for idempotent requests can only be used with the same parameters they were first "
    "used with."
)


def demo_webhook_secret():
    """The demo provider's signing secret, derived from SECRET_KEY so no one configures it
    and no outsider can forge a demo delivery to the public demo endpoint."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), b"masthead-demo-payments-webhook", hashlib.sha256
    ).hexdigest()
    return f"whsec_demo_{digest}"


def _new_id(prefix):
    return f"{prefix}_demo_{secrets.token_hex(12)}"


def _timestamp(moment):
    return int(moment.timestamp()) if moment else None


def _add_month(moment):
    """The same day next month, or the month's last day when it has fewer days."""
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    for day in (moment.day, 30, 29, 28):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return moment


def _routing_metadata(record):
    return {**record.metadata, "purpose": record.purpose, "reference": record.reference}


def _session_object(checkout, *, payment_status, status):
    return {
        "id": checkout.id,
        "object": "checkout.session",
        "mode": checkout.mode,
        "status": status,
        "payment_status": payment_status,
        "amount_total": checkout.amount,
        "currency": checkout.currency.lower(),
        "customer": checkout.customer_id or None,
        "customer_email": checkout.customer_email or None,
        "customer_details": {"email": checkout.customer_email or None},
        "payment_intent": checkout.payment_id or None,
        "subscription": checkout.subscription_id or None,
        "metadata": _routing_metadata(checkout),
        "expires_at": _timestamp(checkout.expires_at),
        "success_url": checkout.success_url,
        "cancel_url": checkout.cancel_url,
    }


def _subscription_object(subscription):
    return {
        "id": subscription.id,
        "object": "subscription",
        "customer": subscription.customer_id,
        "status": subscription.status,
        "cancel_at_period_end": False,
        "cancel_at": None,
        "currency": subscription.currency.lower(),
        "metadata": _routing_metadata(subscription),
        "items": {
            "object": "list",
            "data": [
                {
                    "id": f"si_{subscription.id}",
                    "object": "subscription_item",
                    "quantity": 1,
                    "current_period_end": _timestamp(subscription.current_period_end),
                    "price": {
                        "object": "price",
                        "currency": subscription.currency.lower(),
                        "unit_amount": subscription.amount,
                        "recurring": {"interval": "month", "interval_count": 1},
                        "product": f"prod_{subscription.id}",
                    },
                }
            ],
        },
    }


def _invoice_object(subscription, *, invoice_id, payment_id, paid, billing_reason):
    period_start = subscription.current_period_end
    return {
        "id": invoice_id,
        "object": "invoice",
        "status": "paid" if paid else "open",
        "billing_reason": billing_reason,
        "amount_due": subscription.amount,
        "amount_paid": subscription.amount if paid else 0,
        "currency": subscription.currency.lower(),
        "customer": subscription.customer_id,
        "customer_email": subscription.customer_email or None,
        "parent": {
            "type": "subscription_details",
            "subscription_details": {
                "subscription": subscription.id,
                "metadata": _routing_metadata(subscription),
            },
        },
        "payments": {
            "object": "list",
            "data": [{"payment": {"type": "payment_intent", "payment_intent": payment_id}}]
            if paid
            else [],
        },
        "lines": {
            "object": "list",
            "data": [
                {
                    "period": {
                        "start": _timestamp(period_start),
                        "end": _timestamp(_add_month(period_start)),
                    }
                }
            ],
        },
        "last_finalization_error": None
        if paid
        else {"message": _("Your card was declined (demo).")},
    }


def _charge_object(payment):
    return {
        "id": payment.charge_id,
        "object": "charge",
        "amount": payment.amount,
        "amount_refunded": payment.amount_refunded,
        "currency": payment.currency.lower(),
        "payment_intent": payment.id,
        "refunded": payment.amount_refunded >= payment.amount,
        "metadata": _routing_metadata(payment),
    }


class DemoLookup:
    """Answers stripe_events' questions from the demo provider's own tables."""

    def subscription(self, subscription_id):
        subscription = DemoSubscription.objects.filter(pk=subscription_id).first()
        return _subscription_object(subscription) if subscription else {}

    def payment_intent(self, payment_intent_id):
        payment = DemoPayment.objects.filter(pk=payment_intent_id).first()
        return {"id": payment.id, "metadata": _routing_metadata(payment)} if payment else {}

    def invoice_payment_intent(self, invoice_id):
        payment = DemoPayment.objects.filter(invoice_id=invoice_id).first()
        return payment.id if payment else ""


class DemoProvider(PaymentProvider):
    """Takes pretend payments on a local page and reports them as Stripe would."""

    name = "demo"

    # --- the PaymentProvider interface ---

    def create_checkout(self, request):
        checkout = DemoCheckout.objects.create(
            id=_new_id("cs"),
            mode=request.mode,
            purpose=request.purpose,
            reference=request.reference,
            metadata={str(key): str(value) for key, value in request.metadata.items()},
            description=", ".join(item.name for item in request.line_items)[:500],
            amount=request.total,
            currency=request.currency.upper(),
            customer_email=request.customer_email,
            customer_id=request.customer_id,
            success_url=request.success_url,
            cancel_url=request.cancel_url,
            expires_at=request.expires_at,
        )
        url = reverse("payments:demo_checkout", args=[checkout.id])
        return CheckoutSession(id=checkout.id, url=url, expires_at=checkout.expires_at)

    def parse_webhook(self, body, headers):
        return stripe_events.parse(
            self.name, body, headers, demo_webhook_secret(), TOLERANCE_SECONDS, DemoLookup()
        )

    def refund(self, payment_id, amount=None, idempotency_key=""):
        """Refund like Stripe: a request repeated with an idempotency key already used gets
        the refund made the first time (no second refund, no second event); the same key
        with another payment or amount is refused. Returns the refund's id."""
        with transaction.atomic():
            payment = (
                DemoPayment.objects.select_for_update()
                .filter(Q(pk=payment_id) | Q(charge_id=payment_id))
                .first()
            )
            if payment is None:
                raise PaymentProviderError(_("There is no such payment."))
            earlier = (
                DemoRefund.objects.filter(idempotency_key=idempotency_key).first()
                if idempotency_key
                else None
            )
            if earlier is not None:
                if earlier.payment_id != payment.pk or amount not in (None, earlier.amount):
                    raise PaymentProviderError(_(KEY_REUSED))
                return earlier.id
            remaining = payment.amount - payment.amount_refunded
            amount = remaining if amount is None else amount
            if not 0 < amount <= remaining:
                raise PaymentProviderError(
                    _("At most %(remaining)d can be refunded.") % {"remaining": remaining}
                )
            try:
                with transaction.atomic():
                    refund = DemoRefund.objects.create(
                        id=_new_id("re"),
                        payment=payment,
                        amount=amount,
                        idempotency_key=idempotency_key,
                    )
            except IntegrityError as error:
                # The same key, at the same moment, for a refund of another payment.
                raise PaymentProviderError(_(KEY_REUSED)) from error
            payment.amount_refunded += amount
            payment.save(update_fields=["amount_refunded"])
            self.emit("charge.refunded", _charge_object(payment))
            return refund.id

    def cancel_subscription(self, subscription_id, idempotency_key=""):
        with transaction.atomic():
            subscription = self._subscription(subscription_id)
            if subscription.status == DemoSubscription.Status.CANCELED:
                return
            subscription.status = DemoSubscription.Status.CANCELED
            subscription.save(update_fields=["status"])
            self.emit("customer.subscription.deleted", _subscription_object(subscription))

    def change_subscription_amount(self, subscription_id, amount, currency, idempotency_key=""):
        with transaction.atomic():
            subscription = self._subscription(subscription_id)
            if subscription.status == DemoSubscription.Status.CANCELED:
                raise PaymentProviderError(_("This monthly payment has ended."))
            if currency.upper() != subscription.currency:
                raise PaymentProviderError(_("A monthly payment cannot change its currency."))
            subscription.amount = amount
            subscription.save(update_fields=["amount"])
            self.emit("customer.subscription.updated", _subscription_object(subscription))

    def customer_portal_url(self, customer_id, return_url):
        return reverse("payments:demo_portal", args=[customer_id])

    # --- what the demo pages do ---

    def emit(self, event_type, data_object):
        """Sign a Stripe-shaped event and deliver it through the webhook path."""
        body = json.dumps(
            {
                "id": _new_id("evt"),
                "object": "event",
                "api_version": API_VERSION,
                "created": int(time.time()),
                "livemode": False,
                "type": event_type,
                "data": {"object": data_object},
            }
        )
        header = stripe_events.sign_payload(body, demo_webhook_secret())
        return webhooks.receive(self, body.encode(), {"Stripe-Signature": header})

    def _subscription(self, subscription_id):
        subscription = (
            DemoSubscription.objects.select_for_update().filter(pk=subscription_id).first()
        )
        if subscription is None:
            raise PaymentProviderError(_("There is no such monthly payment."))
        return subscription

    def _open_checkout(self, checkout_id):
        checkout = DemoCheckout.objects.select_for_update().filter(pk=checkout_id).first()
        if checkout is None or checkout.status != DemoCheckout.Status.OPEN:
            raise PaymentProviderError(_("This checkout is no longer open."))
        return checkout

    def pay(self, checkout_id):
        """The tester paid: a one-off payment, or the first month of a monthly one."""
        with transaction.atomic():
            checkout = self._open_checkout(checkout_id)
            checkout.customer_id = checkout.customer_id or _new_id("cus")
            checkout.status = DemoCheckout.Status.PAID
            payment = DemoPayment(
                id=_new_id("pi"),
                charge_id=_new_id("ch"),
                purpose=checkout.purpose,
                reference=checkout.reference,
                metadata=checkout.metadata,
                amount=checkout.amount,
                currency=checkout.currency,
                customer_id=checkout.customer_id,
            )
            if checkout.mode == DemoCheckout.Mode.PAYMENT:
                checkout.payment_id = payment.id
                payment.save()
                checkout.save()
                self.emit(
                    "checkout.session.completed",
                    _session_object(checkout, payment_status="paid", status="complete"),
                )
                return checkout
            subscription = DemoSubscription.objects.create(
                id=_new_id("sub"),
                customer_id=checkout.customer_id,
                customer_email=checkout.customer_email,
                purpose=checkout.purpose,
                reference=checkout.reference,
                metadata=checkout.metadata,
                amount=checkout.amount,
                currency=checkout.currency,
                invoices_raised=1,
                current_period_end=timezone.now(),
            )
            checkout.subscription_id = subscription.id
            checkout.save()
            invoice = self._pay_invoice(subscription, payment, "subscription_create")
            self.emit(
                "checkout.session.completed",
                _session_object(checkout, payment_status="paid", status="complete"),
            )
            self.emit("invoice.paid", invoice)
            return checkout

    def _pay_invoice(self, subscription, payment, billing_reason):
        payment.subscription_id = subscription.id
        payment.invoice_id = _new_id("in")
        payment.save()
        invoice = _invoice_object(
            subscription,
            invoice_id=payment.invoice_id,
            payment_id=payment.id,
            paid=True,
            billing_reason=billing_reason,
        )
        subscription.current_period_end = _add_month(subscription.current_period_end)
        subscription.status = DemoSubscription.Status.ACTIVE
        subscription.save(update_fields=["current_period_end", "status"])
        return invoice

    def decline(self, checkout_id):
        """The tester's card was declined. As on Stripe's page, the reader stays on the
        checkout and may try again, so no event is sent."""
        with transaction.atomic():
            checkout = self._open_checkout(checkout_id)
            checkout.declined_attempts += 1
            checkout.save(update_fields=["declined_attempts"])
            return checkout

    def abandon(self, checkout_id):
        """The tester left without paying; the checkout expires as Stripe's would."""
        with transaction.atomic():
            checkout = self._open_checkout(checkout_id)
            checkout.status = DemoCheckout.Status.EXPIRED
            checkout.save(update_fields=["status"])
            self.emit(
                "checkout.session.expired",
                _session_object(checkout, payment_status="unpaid", status="expired"),
            )
            return checkout

    def renew(self, subscription_id, *, succeed=True):
        """Simulate next month's invoice for a monthly payment, paid or declined."""
        with transaction.atomic():
            subscription = self._subscription(subscription_id)
            if subscription.status == DemoSubscription.Status.CANCELED:
                raise PaymentProviderError(_("This monthly payment has ended."))
            subscription.invoices_raised += 1
            subscription.save(update_fields=["invoices_raised"])
            if succeed:
                payment = DemoPayment(
                    id=_new_id("pi"),
                    charge_id=_new_id("ch"),
                    purpose=subscription.purpose,
                    reference=subscription.reference,
                    metadata=subscription.metadata,
                    amount=subscription.amount,
                    currency=subscription.currency,
                    customer_id=subscription.customer_id,
                )
                invoice = self._pay_invoice(subscription, payment, "subscription_cycle")
                self.emit("invoice.paid", invoice)
                return
            invoice = _invoice_object(
                subscription,
                invoice_id=_new_id("in"),
                payment_id="",
                paid=False,
                billing_reason="subscription_cycle",
            )
            subscription.status = DemoSubscription.Status.PAST_DUE
            subscription.save(update_fields=["status"])
            self.emit("invoice.payment_failed", invoice)
            self.emit("customer.subscription.updated", _subscription_object(subscription))

    def dispute(self, payment_id):
        """Simulate the payer's bank opening a chargeback on a payment."""
        payment = DemoPayment.objects.filter(pk=payment_id).first()
        if payment is None:
            raise PaymentProviderError(_("There is no such payment."))
        self.emit(
            "charge.dispute.created",
            {
                "id": _new_id("dp"),
                "object": "dispute",
                "amount": payment.amount,
                "currency": payment.currency.lower(),
                "charge": payment.charge_id,
                "payment_intent": payment.id,
                "reason": "general",
                "status": "needs_response",
            },
        )

    def expire_checkout(self, checkout_id, idempotency_key=""):
        """End an open checkout at the outlet's request, as Stripe's expire call does."""
        return self.abandon(checkout_id)

    def expire_if_due(self, checkout_id):
        """Expire an open checkout whose time is up, as Stripe does on its own."""
        checkout = DemoCheckout.objects.filter(pk=checkout_id).first()
        if (
            checkout
            and checkout.status == DemoCheckout.Status.OPEN
            and checkout.expires_at
            and checkout.expires_at <= timezone.now()
        ):
            self.abandon(checkout_id)
