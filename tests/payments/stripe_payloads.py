"""Stripe-shaped webhook events for tests, signed here exactly as Stripe signs them
(independently of Masthead's own code): HMAC-SHA256 over "{t}.{payload}" with the
endpoint's secret, sent as ``Stripe-Signature: t=<t>,v1=<hex>``."""

import hashlib
import hmac
import json
import time

WEBHOOK_SECRET = "whsec_test"
ROUTING = {"purpose": "test", "reference": "ref-1"}


def sign(payload, secret=WEBHOOK_SECRET, timestamp=None):
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def event(event_type, data_object, event_id="evt_1"):
    return {
        "id": event_id,
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": 1_800_000_000,
        "livemode": False,
        "pending_webhooks": 1,
        "type": event_type,
        "data": {"object": data_object},
    }


def deliver(client, payload_dict, *, secret=WEBHOOK_SECRET, timestamp=None, provider="stripe"):
    """POST an event to the webhook endpoint as Stripe would; returns the response."""
    body = json.dumps(payload_dict)
    return client.post(
        f"/payments/webhooks/{provider}/",
        data=body,
        content_type="application/json",
        headers={"Stripe-Signature": sign(body, secret, timestamp)},
    )


def session(session_id="cs_test_1", *, mode="payment", payment_status="paid", **overrides):
    data = {
        "id": session_id,
        "object": "checkout.session",
        "mode": mode,
        "status": "complete",
        "payment_status": payment_status,
        "amount_total": 1250,
        "currency": "gbp",
        "customer": "cus_1",
        "customer_email": None,
        "customer_details": {"email": "reader@example.org", "name": "A Reader"},
        "payment_intent": "pi_1" if mode == "payment" else None,
        "subscription": "sub_1" if mode == "subscription" else None,
        "metadata": dict(ROUTING),
    }
    data.update(overrides)
    return data


def invoice(invoice_id="in_1", *, billing_reason="subscription_cycle", metadata=True, **overrides):
    data = {
        "id": invoice_id,
        "object": "invoice",
        "status": "paid",
        "billing_reason": billing_reason,
        "amount_due": 500,
        "amount_paid": 500,
        "currency": "gbp",
        "customer": "cus_1",
        "customer_email": "reader@example.org",
        "parent": {
            "type": "subscription_details",
            "quote_details": None,
            "subscription_details": {
                "subscription": "sub_1",
                "metadata": dict(ROUTING) if metadata else {},
            },
        },
        "payments": {
            "object": "list",
            "data": [{"payment": {"type": "payment_intent", "payment_intent": f"pi_{invoice_id}"}}],
        },
        "lines": {
            "object": "list",
            "data": [{"period": {"start": 1_800_000_000, "end": 1_802_592_000}}],
        },
        "last_finalization_error": None,
    }
    data.update(overrides)
    return data


def subscription(subscription_id="sub_1", *, status="active", amount=500, **overrides):
    data = {
        "id": subscription_id,
        "object": "subscription",
        "customer": "cus_1",
        "status": status,
        "cancel_at_period_end": False,
        "cancel_at": None,
        "currency": "gbp",
        "metadata": dict(ROUTING),
        "items": {
            "object": "list",
            "data": [
                {
                    "id": "si_1",
                    "object": "subscription_item",
                    "quantity": 1,
                    "current_period_end": 1_802_592_000,
                    "price": {
                        "id": "price_1",
                        "object": "price",
                        "currency": "gbp",
                        "unit_amount": amount,
                        "product": "prod_1",
                        "recurring": {"interval": "month", "interval_count": 1},
                    },
                }
            ],
        },
    }
    data.update(overrides)
    return data


def charge(charge_id="ch_1", *, amount_refunded=1250, **overrides):
    data = {
        "id": charge_id,
        "object": "charge",
        "amount": 1250,
        "amount_refunded": amount_refunded,
        "currency": "gbp",
        "payment_intent": "pi_1",
        "refunded": amount_refunded >= 1250,
        "metadata": dict(ROUTING),
    }
    data.update(overrides)
    return data


def dispute(dispute_id="dp_1", **overrides):
    data = {
        "id": dispute_id,
        "object": "dispute",
        "amount": 1250,
        "currency": "gbp",
        "charge": "ch_1",
        "payment_intent": "pi_1",
        "reason": "fraudulent",
        "status": "needs_response",
        "metadata": {},
    }
    data.update(overrides)
    return data
