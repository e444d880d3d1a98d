"""A payment event must match the gift it pays for (issue 10, defect 6, donations): it must
come from the provider the gift was started with, for the amount and currency charged (a
one-off: its checkout's amount; monthly: an agreed monthly amount). A mismatch changes
nothing, sends no receipt, and is recorded in the gift's history, shown to editors.

Every event here is signed and delivered to the webhook endpoint as a provider would."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from masthead.donations.models import Donation, DonationEvent, RecurringDonation
from masthead.donations.self_service import change_monthly_amount
from masthead.payments.models import ProviderEvent
from masthead.payments.providers import stripe as stripe_provider
from masthead.payments.providers.demo import demo_webhook_secret
from tests.donations.helpers import give, give_and_pay, open_outlet
from tests.payments import stripe_payloads as payloads
from tests.payments.conftest import RecordedHTTPClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def outlet(settings):
    return open_outlet(settings)


@pytest.fixture
def stripe_outlet(outlet, settings, monkeypatch):
    """The outlet taking gifts through Stripe, whose API answers from a recorded session."""
    settings.PAYMENTS_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_123"
    settings.STRIPE_WEBHOOK_SECRET = payloads.WEBHOOK_SECRET
    settings.STRIPE_API_BASE = ""
    settings.STRIPE_ENABLE_BACS = False
    settings.STRIPE_PAYMENT_METHOD_TYPES = ["card"]
    api = RecordedHTTPClient({"POST /v1/checkout/sessions": (200, "checkout_session.json")})
    monkeypatch.setattr(stripe_provider, "http_client", api)
    return outlet


@pytest.fixture
def editor(client):
    user = get_user_model().objects.create_superuser("editor", "editor@example.org", "pw-12345")
    client.force_login(user)
    return user


def routing(reference):
    return {"purpose": "donation", "reference": str(reference)}


def checkout_completed(donation, event_id, **overrides):
    session = payloads.session(
        donation.checkout_id,
        amount_total=donation.amount,
        payment_intent=f"pi_{event_id}",
        metadata=routing(donation.reference),
    )
    session.update(overrides)
    return payloads.event("checkout.session.completed", session, event_id)


def renewal(recurring, event_id, amount):
    invoice = payloads.invoice(
        f"in_{event_id}",
        amount_due=amount,
        amount_paid=amount,
        customer=recurring.customer_id,
    )
    invoice["parent"]["subscription_details"].update(
        subscription=recurring.subscription_id, metadata=routing(recurring.reference)
    )
    return payloads.event("invoice.paid", invoice, event_id)


def subscription_updated(recurring, event_id, amount):
    subscription = payloads.subscription(
        recurring.subscription_id,
        amount=amount,
        customer=recurring.customer_id,
        metadata=routing(recurring.reference),
    )
    return payloads.event("customer.subscription.updated", subscription, event_id)


def deliver_stripe(client, payload, capture):
    with capture(execute=True):
        response = payloads.deliver(client, payload)
    assert response.status_code == 200, response.content
    return response


def deliver_demo(client, payload, capture):
    """Deliver a Stripe-shaped event to the demo provider's endpoint, signed with its secret."""
    with capture(execute=True):
        response = payloads.deliver(client, payload, secret=demo_webhook_secret(), provider="demo")
    assert response.status_code == 200, response.content
    return response


def history(gift):
    return [(entry.kind, entry.message) for entry in gift.events.order_by("pk")]


def stripe_gift(client, amount="1000", frequency="one_off"):
    response = give(client, frequency=frequency, amount=amount)
    assert response.status_code == 302
    return Donation.objects.get()


def test_a_checkout_paid_for_less_than_the_gift_pays_nothing_and_editors_see_why(
    client, stripe_outlet, editor, django_capture_on_commit_callbacks
):
    donation = stripe_gift(client)
    assert donation.provider == "stripe"

    deliver_stripe(
        client,
        checkout_completed(donation, "evt_short", amount_total=100),
        django_capture_on_commit_callbacks,
    )

    donation.refresh_from_db()
    assert (donation.status, donation.payment_id, donation.paid_at) == ("pending", "", None)
    assert mail.outbox == []
    assert ProviderEvent.objects.filter(provider_event_id="evt_short").exists()
    refusal = "Refused a checkout completed event evt_short for £1.00: £10.00 was charged."
    assert history(donation) == [
        ("amount_mismatch", f"{refusal} Nothing was changed."),
    ]
    assert donation.events.get().parameters == {
        "event_type": "CheckoutCompleted",
        "event_id": "evt_short",
        "amount": 100,
        "currency": "GBP",
        "expected_amounts": [1000],
        "expected_currency": "GBP",
    }
    response = client.get(f"/admin/donations/inspect/{donation.pk}/")
    print(response.status_code, response.get("Location"))
    page = response.content.decode()
    assert refusal in page
    listed = client.get("/admin/donations/?refused_events=true").content.decode()
    assert donation.email in listed
    assert (
        donation.email not in client.get("/admin/donations/?refused_events=false").content.decode()
    )

    deliver_stripe(
        client, checkout_completed(donation, "evt_right"), django_capture_on_commit_callbacks
    )

    donation.refresh_from_db()
    assert (donation.status, donation.payment_id) == ("paid", "pi_evt_right")
    assert [message.to for message in mail.outbox] == [["reader@example.org"]]


def test_a_checkout_paid_in_another_currency_pays_nothing(
    client, stripe_outlet, django_capture_on_commit_callbacks
):
    donation = stripe_gift(client)

    deliver_stripe(
        client,
        checkout_completed(donation, "evt_euro", currency="eur"),
        django_capture_on_commit_callbacks,
    )

    donation.refresh_from_db()
    assert donation.status == "pending"
    assert mail.outbox == []
    assert history(donation) == [
        (
            "amount_mismatch",
            "Refused a checkout completed event evt_euro for €10.00: £10.00 was charged. "
            "Nothing was changed.",
        )
    ]


def test_an_event_from_another_provider_pays_nothing(
    client, stripe_outlet, django_capture_on_commit_callbacks
):
    donation = stripe_gift(client)

    deliver_demo(
        client, checkout_completed(donation, "evt_demo"), django_capture_on_commit_callbacks
    )

    donation.refresh_from_db()
    assert (donation.status, donation.payment_id) == ("pending", "")
    assert mail.outbox == []
    assert history(donation) == [
        (
            "wrong_provider",
            "Refused a checkout completed event evt_demo from demo: this gift was started "
            "with stripe. Nothing was changed.",
        )
    ]


def test_a_stripe_event_for_a_gift_started_with_the_demo_provider_pays_nothing(
    client, stripe_outlet, settings, django_capture_on_commit_callbacks
):
    settings.PAYMENTS_PROVIDER = "demo"
    response = give(client, frequency="monthly", amount="500")
    assert response.status_code == 302
    donation = Donation.objects.get()

    deliver_stripe(
        client,
        checkout_completed(donation, "evt_stripe", mode="subscription", subscription="sub_x"),
        django_capture_on_commit_callbacks,
    )

    donation.refresh_from_db()
    recurring = RecurringDonation.objects.get()
    assert (donation.status, recurring.status, recurring.subscription_id) == (
        "pending",
        "pending",
        "",
    )
    assert mail.outbox == []
    # One entry, on the first payment and on the monthly gift it starts.
    assert history(donation) == history(recurring)
    assert [kind for kind, _message in history(recurring)] == ["wrong_provider"]


def test_a_monthly_first_payment_for_another_amount_starts_nothing(
    client, outlet, django_capture_on_commit_callbacks
):
    give(client, frequency="monthly", amount="500")
    donation = Donation.objects.get()

    deliver_demo(
        client,
        checkout_completed(
            donation,
            "evt_first",
            mode="subscription",
            subscription="sub_first",
            customer="cus_first",
            amount_total=50,
        ),
        django_capture_on_commit_callbacks,
    )

    donation.refresh_from_db()
    recurring = RecurringDonation.objects.get()
    assert (donation.status, recurring.status) == ("pending", "pending")
    assert (recurring.subscription_id, recurring.customer_id, recurring.started_at) == (
        "",
        "",
        None,
    )
    assert mail.outbox == []
    assert [kind for kind, _message in history(recurring)] == ["amount_mismatch"]


@pytest.fixture
def supporter(client, outlet, django_capture_on_commit_callbacks):
    """A monthly supporter giving £5, first month paid through the demo provider."""
    with django_capture_on_commit_callbacks(execute=True):
        first = give_and_pay(client, frequency="monthly", amount="500")
    mail.outbox.clear()
    return first.recurring


def renewals(recurring):
    return list(
        recurring.payments.filter(is_renewal=True)
        .order_by("pk")
        .values_list("amount", "status", "payment_id")
    )


def test_a_renewal_for_another_amount_is_refused_and_shown_on_the_supporter(
    client, supporter, editor, django_capture_on_commit_callbacks
):
    deliver_demo(client, renewal(supporter, "evt_low", 100), django_capture_on_commit_callbacks)

    assert renewals(supporter) == []
    assert mail.outbox == []
    refusal = "Refused a payment event evt_low for £1.00: £5.00 was charged."
    assert history(supporter) == [("amount_mismatch", f"{refusal} Nothing was changed.")]
    page = client.get(f"/admin/supporters/inspect/{supporter.pk}/").content.decode()
    assert refusal in page

    deliver_demo(client, renewal(supporter, "evt_due", 500), django_capture_on_commit_callbacks)

    assert renewals(supporter) == [(500, "paid", "pi_in_evt_due")]
    assert len(mail.outbox) == 1


def test_after_the_donor_changes_the_amount_renewals_at_the_new_and_the_old_amount_count(
    client, supporter, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        change_monthly_amount("reader@example.org", supporter.pk, 800)
    supporter.refresh_from_db()
    assert supporter.amount == 800

    # An invoice raised before the change and paid after it, then next month's, then one
    # for an amount never agreed.
    for event_id, amount in [("evt_old", 500), ("evt_new", 800), ("evt_odd", 300)]:
        deliver_demo(
            client, renewal(supporter, event_id, amount), django_capture_on_commit_callbacks
        )

    assert renewals(supporter) == [(500, "paid", "pi_in_evt_old"), (800, "paid", "pi_in_evt_new")]
    assert len(mail.outbox) == 2
    assert [kind for kind, _message in history(supporter)] == [
        "amount_changed",
        "amount_mismatch",
    ]
    assert history(supporter)[0][1] == (
        "The payment provider changed the monthly amount from £5.00 to £8.00."
    )
    assert supporter.events.last().parameters["expected_amounts"] == [500, 800]


def test_a_renewal_at_a_new_amount_delivered_before_the_providers_update_is_applied_after_it(
    client, supporter, django_capture_on_commit_callbacks
):
    # The amount was changed at the provider (its own portal), and its update event comes
    # in after the first invoice at the new amount.
    deliver_demo(client, renewal(supporter, "evt_early", 900), django_capture_on_commit_callbacks)
    assert renewals(supporter) == []

    deliver_demo(
        client,
        subscription_updated(supporter, "evt_update", 900),
        django_capture_on_commit_callbacks,
    )

    supporter.refresh_from_db()
    assert supporter.amount == 900
    assert renewals(supporter) == [(900, "paid", "pi_in_evt_early")]
    assert len(mail.outbox) == 1
    assert [kind for kind, _message in history(supporter)] == [
        "amount_mismatch",
        "amount_changed",
        "renewal_accepted",
    ]
    assert history(supporter)[2][1] == (
        "The renewal of £9.00 refused earlier (payment pi_in_evt_early) was accepted once the "
        "provider confirmed the new monthly amount."
    )

    # The update delivered again (a new event id, the same state) changes nothing more.
    deliver_demo(
        client,
        subscription_updated(supporter, "evt_again", 900),
        django_capture_on_commit_callbacks,
    )
    assert renewals(supporter) == [(900, "paid", "pi_in_evt_early")]
    assert len(mail.outbox) == 1


def test_a_renewal_from_another_provider_is_refused(
    client, supporter, stripe_outlet, django_capture_on_commit_callbacks
):
    deliver_stripe(client, renewal(supporter, "evt_sx", 500), django_capture_on_commit_callbacks)

    assert renewals(supporter) == []
    assert mail.outbox == []
    assert [kind for kind, _message in history(supporter)] == ["wrong_provider"]


def test_a_subscription_update_in_another_currency_changes_nothing(
    client, supporter, django_capture_on_commit_callbacks
):
    update = subscription_updated(supporter, "evt_usd", 700)
    update["data"]["object"]["items"]["data"][0]["price"]["currency"] = "usd"

    deliver_demo(client, update, django_capture_on_commit_callbacks)

    supporter.refresh_from_db()
    assert (supporter.amount, supporter.currency) == (500, "GBP")
    assert [kind for kind, _message in history(supporter)] == ["amount_mismatch"]


def test_a_matching_demo_payment_still_goes_through(client, outlet):
    """The demo provider's own checkout page pays a gift as before (nothing refused)."""
    donation = give_and_pay(client, frequency="one_off", amount="2500")

    assert donation.status == "paid"
    assert not DonationEvent.objects.exists()
