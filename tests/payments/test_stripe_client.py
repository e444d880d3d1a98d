"""Calls to Stripe's API, answered at the HTTP layer by recorded responses: what Masthead
sends (method, path, form parameters, idempotency key) and what it does with the answer."""

from datetime import UTC, datetime

import pytest

from masthead.payments import services
from masthead.payments.models import Checkout
from masthead.payments.money import InvalidAmount
from masthead.payments.providers.base import CheckoutRequest, LineItem, PaymentProviderError

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_settings")]

EXPIRES = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)


def checkout_request(mode="payment", amount=1250, currency="GBP", **overrides):
    values = {
        "purpose": "test",
        "reference": "ref-1",
        "mode": mode,
        "currency": currency,
        "line_items": [LineItem("Support our reporting", amount, description="Thank you")],
        "success_url": "https://news.example.org/support/thanks/?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://news.example.org/support/",
        "customer_email": "reader@example.org",
        "metadata": {"campaign": "spring"},
        "expires_at": EXPIRES,
    }
    values.update(overrides)
    return CheckoutRequest(**values)


@pytest.fixture
def session_recorded(stripe_api):
    stripe_api.responses["POST /v1/checkout/sessions"] = (200, "checkout_session.json")
    return stripe_api


def test_one_off_checkout_posts_inline_price_metadata_and_idempotency_key(
    session_recorded, settings
):
    settings.STRIPE_ENABLE_BACS = True
    checkout = services.start_checkout(checkout_request())

    [sent] = session_recorded.requests
    assert (sent["method"], sent["path"]) == ("POST", "/v1/checkout/sessions")
    assert sent["headers"]["Authorization"] == "Bearer sk_test_123"
    assert sent["headers"]["Idempotency-Key"] == checkout.idempotency_key
    params = sent["params"]
    assert params["mode"] == "payment"
    assert params["line_items[0][price_data][unit_amount]"] == "1250"
    assert params["line_items[0][price_data][currency]"] == "gbp"
    assert params["line_items[0][price_data][product_data][name]"] == "Support our reporting"
    assert params["line_items[0][quantity]"] == "1"
    assert "line_items[0][price_data][recurring][interval]" not in params
    assert params["metadata[purpose]"] == "test"
    assert params["metadata[reference]"] == "ref-1"
    assert params["metadata[campaign]"] == "spring"
    assert params["payment_intent_data[metadata][purpose]"] == "test"
    assert params["payment_intent_data[metadata][reference]"] == "ref-1"
    assert params["payment_method_types[0]"] == "card"
    assert params["payment_method_types[1]"] == "bacs_debit"
    assert params["customer_email"] == "reader@example.org"
    assert params["customer_creation"] == "always"
    assert params["expires_at"] == str(int(EXPIRES.timestamp()))
    assert "subscription_data[metadata][purpose]" not in params

    assert checkout.status == "open"
    assert checkout.provider_checkout_id == "cs_test_a1B2c3D4"
    assert checkout.url == "https://checkout.stripe.com/c/pay/cs_test_a1B2c3D4"
    assert (checkout.amount, checkout.currency, checkout.mode) == (1250, "GBP", "payment")


def test_monthly_checkout_uses_recurring_price_and_subscription_metadata(session_recorded):
    services.start_checkout(checkout_request(mode="subscription", amount=500))
    params = session_recorded.requests[0]["params"]
    assert params["mode"] == "subscription"
    assert params["line_items[0][price_data][unit_amount]"] == "500"
    assert params["line_items[0][price_data][recurring][interval]"] == "month"
    assert params["subscription_data[metadata][purpose]"] == "test"
    assert params["subscription_data[metadata][reference]"] == "ref-1"
    assert "payment_intent_data[metadata][purpose]" not in params
    assert "customer_creation" not in params
    assert "payment_method_types[1]" not in params


def test_bacs_is_offered_only_for_pounds(session_recorded, settings):
    settings.STRIPE_ENABLE_BACS = True
    services.start_checkout(checkout_request(currency="EUR"))
    params = session_recorded.requests[0]["params"]
    assert params["payment_method_types[0]"] == "card"
    assert "payment_method_types[1]" not in params
    assert params["line_items[0][price_data][currency]"] == "eur"


def test_retry_with_same_idempotency_key_returns_the_same_checkout(session_recorded):
    first = services.start_checkout(checkout_request(idempotency_key="donation-42-attempt-1"))
    second = services.start_checkout(checkout_request(idempotency_key="donation-42-attempt-1"))
    assert first.pk == second.pk
    assert len(session_recorded.requests) == 1
    assert session_recorded.requests[0]["headers"]["Idempotency-Key"] == "donation-42-attempt-1"


def test_stripe_refusal_raises_and_marks_checkout_as_not_started(stripe_api):
    stripe_api.responses["POST /v1/checkout/sessions"] = (400, "error_invalid_amount.json")
    with pytest.raises(PaymentProviderError):
        services.start_checkout(checkout_request())
    assert Checkout.objects.get().status == "error"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"amount": -500}, "at least £0.01"),
        ({"amount": 0}, "at least £0.01"),
        ({"amount": 12.5}, "whole number"),
        ({"amount": True}, "whole number"),
        ({"amount": "1250"}, "whole number"),
        ({"amount": 100_000_000}, "at most £999,999.99"),
        ({"amount": 20}, "at least £0.30"),
        ({"currency": "XYZ"}, "not a currency we accept"),
        ({"currency": ""}, "not a currency we accept"),
        ({"mode": "setup"}, "one-off payment or a monthly one"),
        ({"purpose": ""}, "purpose"),
        ({"line_items": []}, "between 1 and 100 items"),
    ],
)
def test_tampered_checkout_is_refused_before_stripe_is_called(stripe_api, overrides, message):
    amount = overrides.pop("amount", 1250)
    with pytest.raises(ValueError, match=message):
        services.start_checkout(checkout_request(amount=amount, **overrides))
    assert stripe_api.requests == []
    assert Checkout.objects.count() == 0


def test_refund_posts_amount_with_idempotency_key(stripe_api):
    stripe_api.responses["POST /v1/refunds"] = (200, "refund.json")
    services.refund("pi_1", 500, idempotency_key="refund-donation-42")
    [sent] = stripe_api.requests
    assert (sent["method"], sent["path"]) == ("POST", "/v1/refunds")
    assert sent["params"] == {"payment_intent": "pi_1", "amount": "500"}
    assert sent["headers"]["Idempotency-Key"] == "refund-donation-42"


def test_refund_of_a_negative_amount_is_refused(stripe_api):
    with pytest.raises(ValueError, match="at least"):
        services.refund("pi_1", -5)
    assert stripe_api.requests == []


def test_expire_checkout_ends_an_open_session(stripe_api):
    path = "/v1/checkout/sessions/cs_test_a1B2c3D4/expire"
    stripe_api.responses[f"POST {path}"] = (200, "checkout_session_expired.json")
    services.expire_checkout("cs_test_a1B2c3D4")
    [sent] = stripe_api.requests
    assert (sent["method"], sent["path"]) == ("POST", path)
    assert sent["headers"]["Idempotency-Key"] == "expire-cs_test_a1B2c3D4"


def test_expiring_a_session_that_is_not_open_is_a_provider_error(stripe_api):
    path = "/v1/checkout/sessions/cs_paid/expire"
    stripe_api.responses[f"POST {path}"] = (400, "error_checkout_not_open.json")
    with pytest.raises(PaymentProviderError):
        services.expire_checkout("cs_paid")


def test_cancel_subscription_deletes_it(stripe_api):
    stripe_api.responses["DELETE /v1/subscriptions/sub_1"] = (200, "subscription_canceled.json")
    services.cancel_subscription("sub_1")
    assert [(r["method"], r["path"]) for r in stripe_api.requests] == [
        ("DELETE", "/v1/subscriptions/sub_1")
    ]


def test_change_amount_replaces_the_price_from_next_invoice(stripe_api):
    stripe_api.responses["GET /v1/subscriptions/sub_1"] = (200, "subscription.json")
    stripe_api.responses["POST /v1/subscriptions/sub_1"] = (200, "subscription_updated.json")
    services.change_subscription_amount("sub_1", 800, "GBP", idempotency_key="change-7")
    fetch, update = stripe_api.requests
    assert (fetch["method"], fetch["path"]) == ("GET", "/v1/subscriptions/sub_1")
    assert "Idempotency-Key" not in fetch["headers"]
    assert (update["method"], update["path"]) == ("POST", "/v1/subscriptions/sub_1")
    assert update["headers"]["Idempotency-Key"] == "change-7"
    assert update["params"] == {
        "items[0][id]": "si_1",
        "items[0][price_data][currency]": "gbp",
        "items[0][price_data][product]": "prod_1",
        "items[0][price_data][unit_amount]": "800",
        "items[0][price_data][recurring][interval]": "month",
        "proration_behavior": "none",
    }


def test_change_amount_refuses_out_of_range_values(stripe_api):
    with pytest.raises(InvalidAmount, match="at most"):
        services.change_subscription_amount("sub_1", 10**12, "GBP")
    with pytest.raises(InvalidAmount, match="not a currency"):
        services.change_subscription_amount("sub_1", 800, "gbpx")
    assert stripe_api.requests == []


def test_customer_portal_url_comes_from_a_portal_session(stripe_api):
    stripe_api.responses["POST /v1/billing_portal/sessions"] = (
        200,
        "billing_portal_session.json",
    )
    url = services.customer_portal_url("cus_1", "https://news.example.org/support/manage/")
    assert url == "https://billing.stripe.com/p/session/test_bps_1"
    [sent] = stripe_api.requests
    assert sent["params"] == {
        "customer": "cus_1",
        "return_url": "https://news.example.org/support/manage/",
    }
    assert sent["headers"]["Idempotency-Key"].startswith("portal-")
