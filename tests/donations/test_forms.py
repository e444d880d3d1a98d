"""The donate form: amounts in pence worked out on the server, and every tampered or
out-of-range value refused with a clear message and nothing charged."""

import pytest
from django.core.exceptions import ValidationError

from masthead.donations.models import Donation, DonationSettings, RecurringDonation
from masthead.payments.models import Checkout
from tests.donations.helpers import donate_form, give

pytestmark = pytest.mark.django_db


def test_a_suggested_monthly_amount_opens_a_subscription_checkout_for_that_amount(client, outlet):
    response = give(client)

    donation = Donation.objects.get()
    checkout = Checkout.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/payments/demo/checkout/{checkout.provider_checkout_id}/"
    assert (donation.kind, donation.amount, donation.currency, donation.status) == (
        "monthly",
        1000,
        "GBP",
        "pending",
    )
    assert (checkout.mode, checkout.amount, checkout.purpose) == ("subscription", 1000, "donation")
    assert checkout.reference == str(donation.reference)
    assert RecurringDonation.objects.get().status == "pending"


def test_a_typed_amount_is_read_as_pounds_and_pence(client, outlet):
    give(client, frequency="one_off", amount="other", other_amount="12.50")

    donation = Donation.objects.get()
    assert (donation.kind, donation.amount) == ("one_off", 1250)
    assert Checkout.objects.get().mode == "payment"
    assert not RecurringDonation.objects.exists()


def test_covering_the_card_fees_adds_the_outlets_percentage_and_fixed_part(client, outlet):
    # Default settings: 1.5% (rounded up) + 20p. 1.5% of £25 is 37.5p, so 38p + 20p.
    give(client, frequency="one_off", amount="2500", cover_fees="1")

    donation = Donation.objects.get()
    assert (donation.amount, donation.fee_amount) == (2558, 58)
    assert Checkout.objects.get().amount == 2558


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"amount": "999999"}, "amount", "That is not one of the amounts shown"),
        ({"amount": "1"}, "amount", "That is not one of the amounts shown"),
        ({"amount": "10.00"}, "amount", "That is not one of the amounts shown"),
        ({"amount": ""}, "amount", "Choose an amount, or enter your own."),
        ({"amount": "other", "other_amount": "1.99"}, "other_amount", "at least £2.00"),
        ({"amount": "other", "other_amount": "5000.01"}, "other_amount", "at most £5,000.00"),
        ({"amount": "other", "other_amount": "-10"}, "other_amount", "cannot be negative"),
        ({"amount": "other", "other_amount": "ten"}, "other_amount", "in numbers"),
        ({"amount": "other", "other_amount": "NaN"}, "other_amount", "in numbers"),
        ({"amount": "other", "other_amount": "1e5"}, "other_amount", "in numbers"),
        ({"amount": "other", "other_amount": "12.345"}, "other_amount", "2 decimal places"),
        ({"currency": "USD"}, "currency", "Donations are taken in GBP"),
        ({"currency": ""}, "currency", "This field is required"),
        ({"frequency": "weekly"}, "frequency", "Choose one-off or monthly."),
        ({"email": "not-an-address"}, "email", "Enter a valid email address."),
    ],
)
def test_tampered_and_out_of_range_values_are_refused_and_nothing_is_started(
    client, outlet, overrides, field, message
):
    response = give(client, **overrides)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Donation.objects.exists()
    assert not Checkout.objects.exists()


def test_a_one_off_preset_is_not_accepted_as_a_monthly_amount(client, outlet):
    # £50 is offered one-off only; a page edited to send it as monthly is refused.
    response = give(client, frequency="monthly", amount="5000")

    assert response.status_code == 400
    assert not Donation.objects.exists()


def test_a_post_from_another_site_is_refused(client, outlet):
    response = client.post("/support/give/", donate_form(), HTTP_ORIGIN="https://elsewhere.example")

    assert response.status_code == 403
    assert not Donation.objects.exists()


def test_a_post_without_origin_or_referer_is_refused(client, outlet):
    response = client.post("/support/give/", donate_form())

    assert response.status_code == 403
    assert not Donation.objects.exists()


def test_too_many_attempts_from_one_address_are_rate_limited(client, outlet, settings):
    settings.DONATIONS_START_LIMIT_PER_IP = (2, 3600)
    assert give(client).status_code == 302
    assert give(client).status_code == 302

    response = give(client)

    assert response.status_code == 429
    assert Donation.objects.count() == 2


def test_get_on_the_post_endpoint_goes_to_the_donate_page(client, outlet):
    response = client.get("/support/give/")

    assert (response.status_code, response["Location"]) == (302, "/support/")


def test_the_donate_page_is_cacheable_and_carries_no_csrf_token(client, outlet):
    first = client.get("/support/")
    second = client.get("/support/")

    html = first.content.decode()
    assert first.status_code == 200
    assert "csrfmiddlewaretoken" not in html
    assert 'action="/support/give/"' in html
    assert 'name="newsletter_opt_in" value="1">' in html  # unticked
    assert second["X-Cache"] == "hit"


def test_the_donate_page_preselects_a_prompt_choice(client, outlet):
    html = client.get("/support/?frequency=one_off&amount=2500").content.decode()

    assert 'value="2500" checked' in html
    assert 'value="one_off" checked' in html


def test_settings_refuse_suggested_amounts_outside_the_limits():
    config = DonationSettings(
        suggested_one_off="1, 10", suggested_monthly="abc", minimum_amount=200
    )

    with pytest.raises(ValidationError) as refusal:
        config.clean()

    errors = refusal.value.message_dict
    assert errors["suggested_one_off"] == [
        "Every suggested amount must lie between the minimum and maximum."
    ]
    assert errors["suggested_monthly"][0].startswith("abc: Please enter an amount in numbers")


def test_the_newsletter_opt_in_is_recorded_with_its_source_only_when_ticked(
    client, outlet, settings
):
    from masthead.newsletter.models import ConsentRecord, Newsletter

    Newsletter.objects.create(name="Daily briefing", slug="daily", is_public=True)
    give(client, email="quiet@example.org")
    assert not ConsentRecord.objects.exists()

    give(client, email="keen@example.org", newsletter_opt_in="1")

    record = ConsentRecord.objects.get()
    assert record.subscriber.email == "keen@example.org"
    assert record.source == "donation form"
    assert record.newsletters == "daily"
    assert record.wording.startswith("Also send me the newsletter")
