"""The demo provider end to end: its checkout page and portal, driven with the test client,
produce the same events through the same webhook path as Stripe."""

import time

import pytest
from django.utils import timezone

from masthead.payments import events, services
from masthead.payments.models import Checkout, DemoPayment, ProviderEvent
from masthead.payments.providers.base import CheckoutRequest, LineItem, PaymentProviderError
from masthead.payments.providers.demo import demo_webhook_secret
from tests.payments import stripe_payloads as payloads
from tests.payments.stripe_payloads import deliver, event

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def demo_settings(settings):
    settings.PAYMENTS_PROVIDER = "demo"
    settings.MASTHEAD_ALLOW_DEMO_PAYMENTS = True
    return settings


def start(mode="payment", amount=1250):
    return services.start_checkout(
        CheckoutRequest(
            purpose="test",
            reference="ref-1",
            mode=mode,
            currency="GBP",
            line_items=[LineItem("Support our reporting", amount)],
            success_url="/thanks/?session_id={CHECKOUT_SESSION_ID}",
            cancel_url="/support/",
            customer_email="reader@example.org",
        )
    )


def test_checkout_page_shows_amount_and_three_choices(client):
    checkout = start()
    assert checkout.url == f"/payments/demo/checkout/{checkout.provider_checkout_id}/"
    response = client.get(checkout.url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "£12.50" in page
    assert 'value="pay"' in page and 'value="decline"' in page and 'value="abandon"' in page
    assert "no-cache" in response["Cache-Control"]


def test_pay_sends_checkout_completed_through_the_webhook_path(client, received):
    checkout = start()
    response = client.post(checkout.url, {"action": "pay"})
    assert response.status_code == 302
    assert response["Location"] == f"/thanks/?session_id={checkout.provider_checkout_id}"
    checkout.refresh_from_db()
    assert checkout.status == "paid"
    [completed] = received
    assert isinstance(completed, events.CheckoutCompleted)
    assert (completed.provider, completed.amount, completed.currency) == ("demo", 1250, "GBP")
    assert (completed.purpose, completed.reference, completed.paid) == ("test", "ref-1", True)
    assert completed.email == "reader@example.org"
    assert completed.payment_id == checkout.payment_id != ""
    stored = ProviderEvent.objects.get()
    assert (stored.provider, stored.event_type) == ("demo", "checkout.session.completed")


def test_paying_twice_is_refused_and_sends_nothing_more(client, received):
    checkout = start()
    client.post(checkout.url, {"action": "pay"})
    response = client.post(checkout.url, {"action": "pay"})
    assert response.status_code == 409
    assert "no longer open" in response.content.decode()
    assert len(received) == 1


def test_decline_keeps_the_checkout_open_and_sends_no_event(client, received):
    checkout = start()
    response = client.post(checkout.url, {"action": "decline"})
    assert response.status_code == 402
    assert "declined" in response.content.decode()
    checkout.refresh_from_db()
    assert checkout.status == "open"
    assert received == []
    assert ProviderEvent.objects.count() == 0


def test_abandon_expires_the_checkout(client, received):
    checkout = start()
    client.post(checkout.url, {"action": "decline"})
    response = client.post(checkout.url, {"action": "abandon"})
    assert response.status_code == 302
    assert response["Location"] == "/support/"
    checkout.refresh_from_db()
    assert checkout.status == "expired"
    assert received == [
        events.CheckoutExpired(
            provider="demo",
            provider_event_id=received[0].provider_event_id,
            purpose="test",
            reference="ref-1",
            occurred_at=received[0].occurred_at,
            checkout_id=checkout.provider_checkout_id,
        )
    ]
    assert abs((received[0].occurred_at - timezone.now()).total_seconds()) < 60


def test_unknown_action_is_400(client, received):
    checkout = start()
    assert client.post(checkout.url, {"action": "steal"}).status_code == 400
    assert received == []


def test_unknown_checkout_is_404(client):
    assert client.get("/payments/demo/checkout/cs_demo_nothing/").status_code == 404


def test_monthly_flow_first_payment_renewals_change_and_cancel(client, received):
    checkout = start(mode="subscription", amount=500)
    client.post(checkout.url, {"action": "pay"})
    checkout.refresh_from_db()
    assert checkout.status == "paid"
    completed, first = received
    assert isinstance(completed, events.CheckoutCompleted)
    assert completed.subscription_id == checkout.subscription_id != ""
    assert isinstance(first, events.PaymentSucceeded)
    assert (first.amount, first.is_renewal) == (500, False)

    portal = services.customer_portal_url(checkout.customer_id, "/support/")
    assert portal == f"/payments/demo/portal/{checkout.customer_id}/"
    subscription = {"subscription": checkout.subscription_id}
    assert client.post(portal, {**subscription, "action": "renew"}).status_code == 200
    renewal = received[-1]
    assert (type(renewal), renewal.is_renewal, renewal.amount) == (
        events.PaymentSucceeded,
        True,
        500,
    )

    client.post(portal, {**subscription, "action": "fail_renewal"})
    failed, updated = received[-2:]
    assert isinstance(failed, events.PaymentFailed)
    assert (updated.status, updated.amount) == ("past_due", 500)

    response = client.post(portal, {**subscription, "action": "change_amount", "amount": "8"})
    assert response.status_code == 200
    assert (type(received[-1]), received[-1].amount) == (events.SubscriptionUpdated, 800)
    assert "£8.00 a month" in response.content.decode()

    client.post(portal, {**subscription, "action": "cancel"})
    assert isinstance(received[-1], events.SubscriptionCancelled)
    count = len(received)
    assert client.post(portal, {**subscription, "action": "renew"}).status_code == 409
    assert len(received) == count


@pytest.mark.parametrize(
    ("amount", "message"),
    [("-3", "cannot be negative"), ("8.999", "2 decimal places"), ("lots", "in numbers")],
)
def test_portal_refuses_bad_amounts(client, received, amount, message):
    checkout = start(mode="subscription", amount=500)
    client.post(checkout.url, {"action": "pay"})
    checkout.refresh_from_db()
    portal = f"/payments/demo/portal/{checkout.customer_id}/"
    data = {"subscription": checkout.subscription_id, "action": "change_amount", "amount": amount}
    response = client.post(portal, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert len(received) == 2


def test_portal_refuses_someone_elses_subscription(client, received):
    mine, theirs = start(mode="subscription"), start(mode="subscription")
    client.post(mine.url, {"action": "pay"})
    client.post(theirs.url, {"action": "pay"})
    mine.refresh_from_db()
    theirs.refresh_from_db()
    response = client.post(
        f"/payments/demo/portal/{mine.customer_id}/",
        {"subscription": theirs.subscription_id, "action": "cancel"},
    )
    assert response.status_code == 400
    assert not any(isinstance(item, events.SubscriptionCancelled) for item in received)


def test_refunds_and_disputes_emit_their_events(client, received):
    checkout = start()
    client.post(checkout.url, {"action": "pay"})
    checkout.refresh_from_db()
    services.refund(checkout.payment_id, 500, provider_name="demo")
    services.refund(checkout.payment_id, provider_name="demo")
    partial, full = received[1:]
    assert (partial.amount_refunded, partial.fully_refunded) == (500, False)
    assert (full.amount_refunded, full.fully_refunded) == (1250, True)
    with pytest.raises(PaymentProviderError):
        services.refund(checkout.payment_id, 1, provider_name="demo")
    assert DemoPayment.objects.get().amount_refunded == 1250

    services.get_provider("demo").dispute(checkout.payment_id)
    assert (type(received[-1]), received[-1].payment_id) == (
        events.PaymentDisputed,
        checkout.payment_id,
    )


def test_demo_webhook_refuses_deliveries_not_signed_with_the_demo_secret(client, received):
    payload = event("checkout.session.completed", payloads.session())
    assert deliver(client, payload, provider="demo").status_code == 400
    assert (
        deliver(client, payload, provider="demo", secret=demo_webhook_secret()).status_code == 200
    )
    assert len(received) == 1


def test_demo_payments_are_off_in_production_unless_allowed(client, settings, received):
    checkout = start()
    settings.MASTHEAD_ALLOW_DEMO_PAYMENTS = False
    assert client.get(checkout.url).status_code == 404
    assert client.post(checkout.url, {"action": "pay"}).status_code == 404
    payload = event("checkout.session.completed", payloads.session())
    assert (
        deliver(client, payload, provider="demo", secret=demo_webhook_secret()).status_code == 404
    )
    with pytest.raises(services.PaymentsUnavailable):
        start()
    assert received == []


def test_status_page_shows_what_the_webhooks_recorded(client, monkeypatch):
    def no_sleeping(seconds):
        raise AssertionError(f"the status page slept {seconds} s in a request thread")

    monkeypatch.setattr(time, "sleep", no_sleeping)
    checkout = start()
    waiting = client.get(
        "/payments/checkout/status/", {"session_id": checkout.provider_checkout_id}
    )
    assert waiting.status_code == 200
    assert "Confirming your payment" in waiting.content.decode()
    assert 'http-equiv="refresh"' in waiting.content.decode()

    client.post(checkout.url, {"action": "pay"})
    paid = client.get("/payments/checkout/status/", {"session_id": checkout.provider_checkout_id})
    assert "We have received your payment of £12.50." in paid.content.decode()
    assert 'http-equiv="refresh"' not in paid.content.decode()


@pytest.mark.parametrize("query", [{}, {"session_id": "cs_unknown"}, {"session_id": "x" * 300}])
def test_status_page_for_unknown_checkout_is_404(client, query):
    assert client.get("/payments/checkout/status/", query).status_code == 404


def test_checkout_record_unchanged_by_visiting_the_status_page(client):
    checkout = start()
    client.get("/payments/checkout/status/", {"session_id": checkout.provider_checkout_id})
    assert Checkout.objects.get().status == "open"
