"""A reader with a monthly gift signs in with the code the real SMTP server received, joins
a newsletter, raises their monthly gift, downloads a copy of their data and erases their
account, in a real Chromium at desktop and phone widths; the site keeps working for them
afterwards. Screenshots go to tests/artifacts/screenshots/.
"""

import io
import json
import re
import zipfile

import pytest
from django.core.cache import cache
from django.test import Client
from playwright.sync_api import expect

from masthead.donations.models import Donation, RecurringDonation
from masthead.newsletter.models import Newsletter, Subscriber, Subscription
from masthead.readers.models import Reader
from tests.donations.helpers import give_and_pay
from tests.publishing.factories import make_article, make_site_tree

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CODE = re.compile(r"\b(\d{3}[ -]?\d{3})\b")
DOWNLOAD_LINK = re.compile(r"https?://\S+/account/data/download/[^/\s]+/")


@pytest.fixture
def outlet(settings, live_server):
    """An article, a newsletter to join, payments through the demo provider, and links in
    emails that lead to the live server."""
    cache.clear()
    settings.SITE_URL = live_server.url
    settings.PAYMENTS_PROVIDER = "demo"
    settings.MASTHEAD_ALLOW_DEMO_PAYMENTS = True
    tree = make_site_tree()
    Newsletter.objects.create(
        name="Weekly digest", slug="weekly", description="The week in five minutes.", sort_order=1
    )
    article = make_article(tree.section, body=[("paragraph", "<p>The bus timetable changes.</p>")])
    yield article
    cache.clear()


def code_from(message):
    [code] = CODE.findall(message.text())
    return code


def test_reader_signs_in_with_the_code_manages_everything_and_erases_their_account(
    live_server, page, screenshot, smtp_mailbox, outlet, viewport
):
    email = f"supporter-{viewport}@example.org"
    # A monthly gift of £5, given before the reader ever had an account.
    give_and_pay(Client(), amount="500", email=email, public_name="Sam Supporter")
    recurring = RecurringDonation.objects.get(email=email)
    gifts_before = list(Donation.objects.values_list("amount", "currency", "paid_at"))
    mail_before = len(smtp_mailbox.messages)

    # The header offers "Sign in" on the (cached) home page.
    page.goto(live_server.url + "/")
    header_link = page.locator("[data-reader-link]")
    expect(header_link).to_have_text("Sign in")
    header_link.click()

    expect(page.locator("h1")).to_have_text("Sign in")
    page.get_by_label("Your email address").fill(email)
    screenshot("reader-sign-in")
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.locator("h1")).to_have_text("Check your inbox")
    screenshot("reader-check-inbox")

    received = smtp_mailbox.wait_for(mail_before + 1)[-1]
    assert received.rcpt_tos == [email]
    page.get_by_label("The 6-digit code from the email").fill(code_from(received))
    page.get_by_role("button", name="Sign in").click()

    # Signed in: the account page, and the gift given before is theirs.
    expect(page.locator(".reader-account__who")).to_contain_text(email)
    support = page.locator("#account-support")
    expect(support).to_contain_text("£5.00 a month")
    screenshot("reader-account")
    page.goto(live_server.url + "/")
    expect(page.locator("[data-reader-link]")).to_have_text("Account")
    page.goto(live_server.url + "/account/")

    # Join a newsletter.
    newsletters = page.locator("#account-newsletters")
    newsletters.get_by_role("button", name="Join Weekly digest").click()
    expect(page.locator("#account-newsletters")).to_contain_text("Yes")
    expect(page.locator("#account-newsletters").get_by_role("button", name="Leave Weekly digest"))
    subscriber = Subscriber.objects.get(email=email)
    assert subscriber.reader.email == email
    assert Subscription.objects.filter(subscriber=subscriber, is_active=True).count() == 1

    # Raise the monthly gift to £12.
    support = page.locator("#account-support")
    support.get_by_label("New monthly amount").fill("12")
    support.get_by_role("button", name="Change amount").click()
    expect(page.locator("#account-support")).to_contain_text("£12.00 a month")
    recurring.refresh_from_db()
    assert recurring.amount == 1200
    screenshot("reader-account-changed")

    # Download a copy of their data, from the emailed link.
    mail_before = len(smtp_mailbox.messages)
    page.get_by_role("button", name="Email me a copy of my data").click()
    expect(page.locator("h1")).to_contain_text("on its way")
    received = smtp_mailbox.wait_for(mail_before + 1)[-1]
    [link] = DOWNLOAD_LINK.findall(received.text())
    download = page.request.get(link)
    assert download.status == 200
    assert download.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(download.body())) as archive:
        data = json.loads(archive.read("data.json"))
        assert any(name.startswith("csv/") for name in archive.namelist())
    assert data["readers"]["reader"][0]["email"] == email
    assert {row["amount"] for row in data["donations"]["monthly_gifts"]} == {1200}
    assert data["newsletter"]["subscribers"][0]["email"] == email

    # Erase the account.
    page.goto(live_server.url + "/account/")
    page.get_by_role("link", name="Erase my account…").click()
    expect(page.locator("h1")).to_have_text("Erase my account")
    page.get_by_label("Type your email address to confirm").fill(email)
    page.get_by_label("I understand").check()
    screenshot("reader-erase")
    page.get_by_role("button", name="Erase my account").click()
    expect(page.locator("main")).to_contain_text("erased")
    screenshot("reader-erased")

    assert not Reader.objects.filter(email=email).exists()
    assert not Subscriber.objects.filter(email=email).exists()
    assert not Donation.objects.filter(email=email).exists()
    recurring.refresh_from_db()
    assert recurring.status == RecurringDonation.Status.CANCELLED
    # The accounts are unchanged: every gift is still there with its amount and date.
    assert list(Donation.objects.values_list("amount", "currency", "paid_at")) == gifts_before

    # The site still works for them, signed out.
    page.goto(live_server.url + "/")
    expect(page.locator("[data-reader-link]")).to_have_text("Sign in")
    page.goto(live_server.url + outlet.url)
    expect(page.locator("h1")).to_have_text(outlet.title)
    page.goto(live_server.url + "/account/")
    expect(page.locator("h1")).to_have_text("Sign in")
