"""Donors manage their support without a password: a signed, expiring link by email, then
change the monthly amount, cancel or change their card, all through the provider. Emails
(receipts, the link, the cancellation) arrive on a real SMTP server."""

import re

import pytest
from django.core import signing

from masthead.donations import donors
from masthead.donations.models import Donation, RecurringDonation
from masthead.payments.models import DemoSubscription
from masthead.payments.providers.demo import DemoProvider
from tests.donations.helpers import ORIGIN, give_and_pay

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://testserver/support/manage/[^/\s]+/")


def manage_link_from(message):
    return LINK.search(message.text()).group(0)


def request_link(client, email):
    return client.post("/support/manage/", {"email": email}, **ORIGIN)


def test_a_monthly_gift_sends_a_receipt_without_marketing_and_each_renewal_another(
    client, outlet, smtp_mailbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        donation = give_and_pay(client, amount="500")
    receipt = smtp_mailbox.wait_for(1)[0]
    assert receipt.rcpt_tos == ["reader@example.org"]
    assert receipt.subject == "Your receipt from Masthead"
    assert "£5.00" in receipt.text() and "£5.00" in receipt.html()
    assert str(donation.reference) in receipt.text()
    assert "Monthly gift (first payment)" in receipt.text()
    assert "unsubscribe" not in receipt.text().lower()
    assert "newsletter" not in receipt.html().lower()
    assert receipt.message["List-Unsubscribe"] is None

    with django_capture_on_commit_callbacks(execute=True):
        DemoProvider().renew(donation.recurring.subscription_id)

    renewal = smtp_mailbox.wait_for(2)[1]
    assert "Monthly gift (renewal)" in renewal.text()
    assert Donation.objects.filter(status="paid").count() == 2


def test_a_failed_renewal_sends_a_notice_with_a_working_link_to_fix_the_card(
    client, outlet, smtp_mailbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        donation = give_and_pay(client, amount="500")
        DemoProvider().renew(donation.recurring.subscription_id, succeed=False)

    notice = smtp_mailbox.wait_for(2)[1]
    assert notice.subject == "Your monthly support for Masthead could not be taken"
    page = client.get(manage_link_from(notice))
    assert page.status_code == 200
    assert "Payment failed" in page.content.decode()
    assert "Change my card" in page.content.decode()
    assert RecurringDonation.objects.get().status == "past_due"


def test_the_manage_link_is_sent_only_to_known_donors_but_the_answer_is_the_same(
    client, outlet, smtp_mailbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        give_and_pay(client, amount="500")
    smtp_mailbox.wait_for(1)

    with django_capture_on_commit_callbacks(execute=True):
        unknown = request_link(client, "stranger@example.org")
        known = request_link(client, "Reader@Example.org")

    assert unknown.status_code == known.status_code == 200
    assert unknown.content == known.content
    messages = smtp_mailbox.wait_for(2)
    assert [message.rcpt_tos for message in messages[1:]] == [["reader@example.org"]]
    assert messages[1].subject == "Manage your support for Masthead"


def test_the_manage_request_page_refuses_bad_input_and_other_sites(client, outlet):
    assert request_link(client, "not an address").status_code == 400
    assert (
        client.post(
            "/support/manage/", {"email": "a@example.org"}, HTTP_ORIGIN="https://evil.example"
        ).status_code
        == 403
    )


def test_the_donor_page_lists_donations_and_changes_the_amount_at_the_provider(
    client, outlet, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        donation = give_and_pay(client, amount="500")
    token = donors.manage_token("reader@example.org")
    recurring = donation.recurring

    page = client.get(f"/support/manage/{token}/")
    assert page.status_code == 200
    assert "£5.00 a month" in page.content.decode()
    assert "no-store" in page["Cache-Control"]

    changed = client.post(f"/support/manage/{token}/{recurring.pk}/amount/", {"amount": "7.50"})

    assert changed.status_code == 200
    assert "Your monthly amount has been changed." in changed.content.decode()
    assert DemoSubscription.objects.get().amount == 750
    recurring.refresh_from_db()
    assert recurring.amount == 750


@pytest.mark.parametrize(
    ("amount", "message"),
    [("1", "at least £2.00"), ("100000", "at most £5,000.00"), ("abc", "in numbers")],
)
def test_an_out_of_range_new_amount_is_refused_and_the_provider_is_not_asked(
    client, outlet, amount, message
):
    donation = give_and_pay(client, amount="500")
    token = donors.manage_token("reader@example.org")

    response = client.post(
        f"/support/manage/{token}/{donation.recurring.pk}/amount/", {"amount": amount}
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert DemoSubscription.objects.get().amount == 500


def test_cancelling_stops_the_subscription_and_confirms_once(
    client, outlet, smtp_mailbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        donation = give_and_pay(client, amount="500")
    token = donors.manage_token("reader@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/support/manage/{token}/{donation.recurring.pk}/cancel/")
        client.post(f"/support/manage/{token}/{donation.recurring.pk}/cancel/")

    assert response.status_code == 200
    assert "Your monthly gift has been cancelled." in response.content.decode()
    assert DemoSubscription.objects.get().status == "canceled"
    recurring = RecurringDonation.objects.get()
    assert (recurring.status, recurring.cancelled_at is not None) == ("cancelled", True)
    messages = smtp_mailbox.wait_for(2)
    subjects = [message.subject for message in messages]
    assert subjects.count("Your monthly support for Masthead has stopped") == 1


def test_change_my_card_opens_the_providers_portal(client, outlet):
    donation = give_and_pay(client, amount="500")
    token = donors.manage_token("reader@example.org")

    response = client.post(f"/support/manage/{token}/{donation.recurring.pk}/card/")

    assert response.status_code == 302
    assert response["Location"] == f"/payments/demo/portal/{donation.recurring.customer_id}/"


def test_another_donors_gift_cannot_be_touched_with_ones_own_link(client, outlet):
    donation = give_and_pay(client, amount="500")
    token = donors.manage_token("someone-else@example.org")

    for action in ("amount", "cancel", "card"):
        response = client.post(
            f"/support/manage/{token}/{donation.recurring.pk}/{action}/", {"amount": "9"}
        )
        assert response.status_code in {400, 404}
    assert RecurringDonation.objects.get().status == "active"
    assert DemoSubscription.objects.get().amount == 500


def test_an_expired_link_is_refused_with_a_way_to_get_a_new_one(client, outlet, settings):
    token = donors.manage_token("reader@example.org")
    settings.DONATIONS_MANAGE_LINK_MAX_AGE = -1

    response = client.get(f"/support/manage/{token}/")

    assert response.status_code == 400
    assert "has expired" in response.content.decode()
    assert 'href="/support/manage/"' in response.content.decode()


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        signing.dumps("reader@example.org", salt="some-other-purpose"),
        signing.dumps("reader@example.org", salt=donors.MANAGE_LINK_SALT)[:-2] + "xx",
    ],
)
def test_a_tampered_link_is_refused(client, outlet, token):
    response = client.get(f"/support/manage/{token}/")

    assert response.status_code == 400
    assert "has been changed" in response.content.decode()


def test_posting_with_a_tampered_link_changes_nothing(client, outlet):
    donation = give_and_pay(client, amount="500")

    response = client.post(f"/support/manage/forged/{donation.recurring.pk}/cancel/")

    assert response.status_code == 400
    assert RecurringDonation.objects.get().status == "active"
