"""'Your support' in the reader's account: their monthly gifts with the next payment date,
changing the amount, cancelling after a confirmation and changing card (each at the
provider first: the demo provider, and Stripe answered by recorded responses), their gifts'
receipts as printable HTML and as a PDF, for their own gifts only; and gifts linked to the
reader when they are paid."""

import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.utils import timezone

from masthead.donations import account, donors
from masthead.donations.models import Donation, RecurringDonation
from masthead.donations.pdf import Line, text_pdf
from masthead.payments.models import DemoSubscription
from masthead.payments.providers import stripe as stripe_provider
from masthead.readers import identity
from masthead.readers.models import Reader, ReaderSession
from tests.donations.helpers import give, give_and_pay
from tests.payments.conftest import RecordedHTTPClient

pytestmark = pytest.mark.django_db


def sign_in(client, reader):
    """Sign ``reader`` in on the test client as a browser with a reader session."""
    key = secrets.token_urlsafe(32)
    ReaderSession.objects.create(
        reader=reader,
        key_hash=hashlib.sha256(key.encode()).hexdigest(),
        expires_at=timezone.now() + timedelta(days=1),
    )
    client.cookies["reader_session"] = key
    return reader


def monthly_gift(client, email="reader@example.org", amount="500"):
    """A paid monthly gift through the demo checkout; returns its RecurringDonation."""
    donation = give_and_pay(client, amount=amount, email=email)
    return RecurringDonation.objects.get(pk=donation.recurring_id)


def section_html(reader, query=""):
    request = RequestFactory().get(f"/account/{query}")
    context = account.SECTION.context(request, reader)
    return render_to_string(account.SECTION.template, context, request=request)


# --- linking --------------------------------------------------------------------------------------


def test_a_paid_gift_links_it_and_earlier_gifts_of_the_same_mailbox_to_one_reader(client, outlet):
    unpaid = Donation.objects.create(
        kind="one_off", amount=700, email="Reader+news@Example.org", provider="demo"
    )

    recurring = monthly_gift(client)

    reader = Reader.objects.get()
    assert reader.mailbox == "reader@example.org"
    assert recurring.reader == reader
    assert set(Donation.objects.values_list("reader", flat=True)) == {reader.pk}
    unpaid.refresh_from_db()
    assert unpaid.reader == reader


def test_an_unpaid_gift_verifies_nothing(client, outlet):
    give(client, frequency="one_off", amount="500")

    assert Reader.objects.count() == 0
    assert Donation.objects.get().reader is None


# --- the section ----------------------------------------------------------------------------------


def test_the_section_shows_the_readers_own_gifts_with_next_payment_and_receipts(client, outlet):
    recurring = monthly_gift(client)
    give_and_pay(client, frequency="one_off", amount="2500", email="other@example.org")
    reader = Reader.objects.get(mailbox="reader@example.org")

    html = section_html(reader)

    assert "£5.00 a month" in html
    assert "Active" in html
    expected = account.next_payment_at(recurring)
    assert expected is not None and expected > timezone.now()
    assert f"Next payment: {timezone.localtime(expected):%-d %B %Y}" in html
    first = recurring.payments.get()
    assert f"/support/account/receipts/{first.reference}/pdf/" in html
    assert "£25.00" not in html
    assert f"/support/account/{recurring.pk}/cancel/" in html


def test_the_account_page_carries_the_section_and_says_what_was_done(client, outlet):
    recurring = monthly_gift(client)
    sign_in(client, recurring.reader)

    page = client.get("/account/?support=amount")

    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="account-support"' in html
    assert "£5.00 a month" in html
    assert "Your monthly amount has been changed." in html
    assert f'action="/support/account/{recurring.pk}/amount/"' in html


def test_the_section_says_what_was_done(client, outlet):
    reader = Reader.objects.create(email="a@example.org", mailbox="a@example.org")
    assert "Your monthly gift has been cancelled." in section_html(reader, "?support=cancelled")
    assert "has been" not in section_html(reader, "?support=<script>")


def test_next_payment_comes_from_the_providers_period_else_a_month_after_the_last_payment():
    now = datetime(2026, 2, 10, tzinfo=UTC)
    gift = RecurringDonation(
        status="active",
        started_at=datetime(2025, 12, 31, tzinfo=UTC),
        last_payment_at=datetime(2026, 1, 31, 9, tzinfo=UTC),
    )
    assert account.next_payment_at(gift, now) == datetime(2026, 2, 28, 9, tzinfo=UTC)

    gift.current_period_end = datetime(2026, 3, 2, tzinfo=UTC)
    assert account.next_payment_at(gift, now) == datetime(2026, 3, 2, tzinfo=UTC)

    gift.cancel_at_period_end = True
    assert account.next_payment_at(gift, now) is None
    gift.cancel_at_period_end = False
    gift.status = "cancelled"
    assert account.next_payment_at(gift, now) is None


# --- actions through the demo provider ------------------------------------------------------------


def test_changing_the_amount_acts_at_the_provider_and_comes_back_to_the_account(client, outlet):
    recurring = monthly_gift(client)
    sign_in(client, recurring.reader)

    response = client.post(f"/support/account/{recurring.pk}/amount/", {"amount": "7.50"})

    assert response.status_code == 302
    assert response["Location"] == "/account/?support=amount#account-support"
    assert DemoSubscription.objects.get().amount == 750
    recurring.refresh_from_db()
    assert recurring.amount == 750
    assert "no-store" in response["Cache-Control"]


def test_an_out_of_range_amount_is_refused_and_the_provider_not_asked(client, outlet):
    recurring = monthly_gift(client)
    sign_in(client, recurring.reader)

    response = client.post(f"/support/account/{recurring.pk}/amount/", {"amount": "1"})

    assert response.status_code == 400
    assert "at least £2.00" in response.content.decode()
    assert DemoSubscription.objects.get().amount == 500


def test_cancelling_asks_first_then_stops_the_gift_at_the_provider(
    client, outlet, smtp_mailbox, django_capture_on_commit_callbacks
):
    recurring = monthly_gift(client)
    sign_in(client, recurring.reader)

    confirm = client.get(f"/support/account/{recurring.pk}/cancel/")
    assert confirm.status_code == 200
    assert "Yes, cancel my monthly gift" in confirm.content.decode()
    assert 'name="csrfmiddlewaretoken"' in confirm.content.decode()
    assert DemoSubscription.objects.get().status == "active"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/support/account/{recurring.pk}/cancel/")

    assert response["Location"] == "/account/?support=cancelled#account-support"
    assert DemoSubscription.objects.get().status == "canceled"
    assert RecurringDonation.objects.get().status == "cancelled"
    subjects = [message.subject for message in smtp_mailbox.wait_for(1)]
    assert "Your monthly support for Masthead has stopped" in subjects


def test_change_card_opens_the_providers_portal_coming_back_to_the_account(client, outlet):
    recurring = monthly_gift(client)
    sign_in(client, recurring.reader)

    response = client.post(f"/support/account/{recurring.pk}/card/")

    assert response.status_code == 302
    assert response["Location"] == f"/payments/demo/portal/{recurring.customer_id}/"


def test_another_readers_gift_cannot_be_touched(client, outlet):
    recurring = monthly_gift(client)
    stranger = identity.verified("stranger@example.org")
    sign_in(client, stranger)

    for action in ("amount", "cancel", "card"):
        response = client.post(f"/support/account/{recurring.pk}/{action}/", {"amount": "9"})
        assert response.status_code == 404
    assert client.get(f"/support/account/{recurring.pk}/cancel/").status_code == 404
    assert RecurringDonation.objects.get().status == "active"
    assert DemoSubscription.objects.get().amount == 500


def test_actions_need_a_signed_in_reader_and_a_post(client, outlet):
    recurring = monthly_gift(client)

    response = client.post(f"/support/account/{recurring.pk}/cancel/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/sign-in/?next=")
    assert RecurringDonation.objects.get().status == "active"

    sign_in(client, recurring.reader)
    assert client.get(f"/support/account/{recurring.pk}/amount/").status_code == 405
    assert client.get(f"/support/account/{recurring.pk}/card/").status_code == 405


def test_actions_refuse_a_post_without_the_csrf_token(outlet):
    browser = Client(enforce_csrf_checks=True)
    recurring = monthly_gift(browser)
    sign_in(browser, recurring.reader)

    response = browser.post(f"/support/account/{recurring.pk}/cancel/")

    assert response.status_code == 403
    assert DemoSubscription.objects.get().status == "active"


def test_the_emailed_manage_link_still_works_for_a_linked_gift(client, outlet):
    recurring = monthly_gift(client)
    assert recurring.reader is not None

    page = client.get(f"/support/manage/{donors.manage_token('reader@example.org')}/")

    assert page.status_code == 200
    assert "£5.00 a month" in page.content.decode()


# --- actions through Stripe, answered by recorded responses ---------------------------------------


@pytest.fixture
def stripe_gift(settings, outlet, monkeypatch):
    settings.PAYMENTS_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_123"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test"
    settings.STRIPE_API_BASE = ""
    stripe_api = RecordedHTTPClient({})
    monkeypatch.setattr(stripe_provider, "http_client", stripe_api)
    reader = identity.verified("reader@example.org")
    recurring = RecurringDonation.objects.create(
        email="reader@example.org",
        reader=reader,
        amount=500,
        currency="GBP",
        status="active",
        provider="stripe",
        subscription_id="sub_1",
        customer_id="cus_1",
        started_at=timezone.now(),
        last_payment_at=timezone.now(),
    )
    return recurring, stripe_api


def test_with_stripe_a_new_amount_replaces_the_subscriptions_price(client, stripe_gift):
    recurring, stripe_api = stripe_gift
    stripe_api.responses["GET /v1/subscriptions/sub_1"] = (200, "subscription.json")
    stripe_api.responses["POST /v1/subscriptions/sub_1"] = (200, "subscription_updated.json")
    sign_in(client, recurring.reader)

    response = client.post(f"/support/account/{recurring.pk}/amount/", {"amount": "8"})

    assert response.status_code == 302
    update = stripe_api.requests[-1]
    assert (update["method"], update["path"]) == ("POST", "/v1/subscriptions/sub_1")
    assert update["params"]["items[0][price_data][unit_amount]"] == "800"
    assert update["headers"]["Idempotency-Key"].startswith(f"donation-amount-{recurring.pk}-")
    recurring.refresh_from_db()
    assert recurring.amount == 800


def test_with_stripe_cancel_deletes_the_subscription(client, stripe_gift):
    recurring, stripe_api = stripe_gift
    stripe_api.responses["DELETE /v1/subscriptions/sub_1"] = (200, "subscription_canceled.json")
    sign_in(client, recurring.reader)

    client.post(f"/support/account/{recurring.pk}/cancel/")

    assert [(r["method"], r["path"]) for r in stripe_api.requests] == [
        ("DELETE", "/v1/subscriptions/sub_1")
    ]
    recurring.refresh_from_db()
    assert recurring.status == "cancelled"


def test_with_stripe_a_refusal_is_shown_and_nothing_changes(client, stripe_gift):
    # No recorded answer for the DELETE: Stripe refuses it (404).
    recurring, _stripe_api = stripe_gift
    sign_in(client, recurring.reader)

    response = client.post(f"/support/account/{recurring.pk}/cancel/")

    assert response.status_code == 400
    assert "Back to your account" in response.content.decode()
    recurring.refresh_from_db()
    assert recurring.status == "active"


def test_with_stripe_change_card_opens_a_billing_portal_session(client, stripe_gift):
    recurring, stripe_api = stripe_gift
    stripe_api.responses["POST /v1/billing_portal/sessions"] = (200, "billing_portal_session.json")
    sign_in(client, recurring.reader)

    response = client.post(f"/support/account/{recurring.pk}/card/")

    assert response["Location"] == "https://billing.stripe.com/p/session/test_bps_1"
    [sent] = stripe_api.requests
    assert sent["params"] == {
        "customer": "cus_1",
        "return_url": "http://testserver/account/#account-support",
    }


# --- receipts -------------------------------------------------------------------------------------


def _one_off(client, **overrides):
    donation = give_and_pay(client, frequency="one_off", **overrides)
    assert donation.status == "paid"
    return donation


def test_a_receipt_prints_as_a_page(client, outlet):
    donation = _one_off(client, amount="2500")
    sign_in(client, donation.reader)

    page = client.get(f"/support/account/receipts/{donation.reference}/")

    assert page.status_code == 200
    html = page.content.decode()
    assert str(donation.reference) in html
    assert "£25.00" in html
    assert f"{timezone.localtime(donation.paid_at):%-d %B %Y}" in html
    assert "donations/print" in html
    assert "no-store" in page["Cache-Control"]


def _pdf_objects(body):
    """The objects of a PDF by the offsets its cross-reference table gives, checking each."""
    assert body.startswith(b"%PDF-1.4\n")
    assert body.endswith(b"%%EOF\n")
    startxref = int(re.search(rb"startxref\n(\d+)\n%%EOF\n$", body).group(1))
    assert body[startxref:].startswith(b"xref\n0 ")
    count = int(re.match(rb"xref\n0 (\d+)\n", body[startxref:]).group(1))
    entries = re.findall(rb"(\d{10}) (\d{5}) ([nf]) \n", body[startxref:])
    assert len(entries) == count
    assert entries[0] == (b"0000000000", b"65535", b"f")
    objects = {}
    for number, (offset, _generation, _kind) in enumerate(entries[1:], start=1):
        at = int(offset)
        assert body[at:].startswith(b"%d 0 obj\n" % number), number
        objects[number] = body[at : body.index(b"endobj", at)]
    trailer = body[body.index(b"trailer", startxref) :]
    assert b"/Size %d" % count in trailer and b"/Root 1 0 R" in trailer
    return objects


def _shown_text(objects):
    stream = next(obj for obj in objects.values() if b"stream\n" in obj)
    length = int(re.search(rb"/Length (\d+)", stream).group(1))
    content = stream[stream.index(b"stream\n") + 7 :][:length]
    assert content.endswith(b"ET")
    return b"".join(re.findall(rb"\((.*?)\) Tj", content)).decode("cp1252")


def test_a_receipt_downloads_as_a_valid_pdf_with_amount_date_and_reference(client, outlet):
    donation = _one_off(client, amount="2500")
    sign_in(client, donation.reader)

    response = client.get(f"/support/account/receipts/{donation.reference}/pdf/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    objects = _pdf_objects(response.content)
    assert b"/Type /Catalog" in objects[1]
    assert b"/BaseFont /Helvetica" in objects[5]
    text = _shown_text(objects)
    assert "£25.00" in text
    assert str(donation.reference) in text
    assert f"{timezone.localtime(donation.paid_at):%-d %B %Y}" in text


def test_the_pdf_escapes_what_would_break_its_strings():
    body = text_pdf([Line("a (bracket) and \\ backslash"), Line("Café £5 ☃")])
    text = _shown_text(_pdf_objects(body))
    assert text == "a \\(bracket\\) and \\\\ backslash" + "Café £5 ?"


def test_receipts_are_only_for_the_readers_own_paid_gifts(client, outlet):
    mine = _one_off(client, amount="500")
    theirs = _one_off(client, amount="1000", email="other@example.org")
    unpaid = Donation.objects.create(
        kind="one_off", amount=700, email="reader@example.org", provider="demo", reader=mine.reader
    )
    sign_in(client, mine.reader)

    assert client.get(f"/support/account/receipts/{mine.reference}/").status_code == 200
    for donation in (theirs, unpaid):
        assert client.get(f"/support/account/receipts/{donation.reference}/").status_code == 404
        assert client.get(f"/support/account/receipts/{donation.reference}/pdf/").status_code == 404


def test_a_receipt_needs_a_signed_in_reader(client, outlet):
    donation = _one_off(client)

    response = client.get(f"/support/account/receipts/{donation.reference}/pdf/")

    assert response.status_code == 302
    assert response["Location"].startswith("/account/sign-in/")
