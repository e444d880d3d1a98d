"""A reader gives monthly through the demo provider in a real Chromium, gets the receipt on
a real SMTP server, asks for a "manage my support" link, follows it and cancels; the
funding page then shows the gift. At desktop and phone widths; screenshots go to
tests/artifacts/screenshots/."""

import re

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from masthead.donations.models import CostCategory, Donation, MonthlyCost, RecurringDonation
from tests.publishing.factories import make_site_tree

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

MANAGE_LINK = re.compile(r"https?://[^\s]+/support/manage/[^/\s]+/")


@pytest.fixture
def outlet(settings, live_server):
    """A site with this month's hosting cost published; payments through the demo provider."""
    cache.clear()
    settings.SITE_URL = live_server.url
    settings.PAYMENTS_PROVIDER = "demo"
    settings.MASTHEAD_ALLOW_DEMO_PAYMENTS = True
    tree = make_site_tree()
    MonthlyCost.objects.create(
        month=timezone.localdate(), category=CostCategory.objects.get(name="Hosting"), amount=5000
    )
    yield tree
    cache.clear()


def test_reader_gives_monthly_gets_a_receipt_manages_and_cancels(
    live_server, page, screenshot, smtp_mailbox, outlet, viewport
):
    email = f"giver-{viewport}@example.org"
    page.goto(live_server.url + "/funding/")
    expect(page.locator("[data-funding-income]")).to_have_text("£0.00")

    page.goto(live_server.url + "/support/")
    page.get_by_label("Monthly", exact=True).check()
    page.get_by_label("£10.00 a month").check()
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Name to show with your gift (optional)").fill("A Reader")
    expect(page.locator("input[name=newsletter_opt_in]")).not_to_be_checked()
    screenshot("donate-form")
    page.get_by_role("button", name="Continue to payment").click()

    expect(page.locator("h1")).to_have_text("Checkout")
    expect(page.locator("main")).to_contain_text("£10.00")
    screenshot("donate-demo-checkout")
    page.get_by_role("button", name="Pay", exact=True).click()

    expect(page.locator("h1")).to_have_text("Thank you")
    expect(page.locator("main")).to_contain_text("Your monthly gift of £10.00 has started.")
    screenshot("donate-thanks")
    [receipt] = smtp_mailbox.wait_for(1)
    assert receipt.rcpt_tos == [email]
    assert receipt.subject == "Your receipt from Masthead"
    assert "£10.00" in receipt.text()

    page.goto(live_server.url + "/funding/")
    expect(page.locator("[data-funding-income]")).to_have_text("£10.00")
    expect(page.locator(".funding__headline")).to_have_text(
        "20% of this month's costs covered by readers"
    )
    expect(page.locator("[data-funding-supporters]")).to_have_text("1")
    expect(page.locator("svg.funding-chart title").first).to_have_text(
        "Costs and readers' income, month by month"
    )
    screenshot("funding-page")

    page.goto(live_server.url + "/support/manage/")
    page.get_by_label("Your email address").fill(email)
    page.get_by_role("button", name="Email me a link").click()
    expect(page.locator("h1")).to_have_text("Check your inbox")
    messages = smtp_mailbox.wait_for(2)
    assert messages[1].subject == "Manage your support for Masthead"
    [link] = MANAGE_LINK.findall(messages[1].text())
    assert link.startswith(live_server.url)

    page.goto(link)
    expect(page.locator("h1")).to_have_text("Your support")
    expect(page.locator(".manage__recurring")).to_contain_text("£10.00 a month")
    expect(page.locator(".manage__table")).to_contain_text("Paid")
    screenshot("donate-manage")
    page.get_by_role("button", name="Cancel my monthly gift").click()

    expect(page.get_by_role("status")).to_contain_text("Your monthly gift has been cancelled.")
    expect(page.locator(".manage__status")).to_have_text("Cancelled")
    screenshot("donate-cancelled")
    messages = smtp_mailbox.wait_for(3)
    assert messages[2].subject == "Your monthly support for Masthead has stopped"
    assert RecurringDonation.objects.get().status == "cancelled"

    page.goto(live_server.url + "/funding/")
    expect(page.locator("[data-funding-income]")).to_have_text("£10.00")
    expect(page.locator("[data-funding-supporters]")).to_have_text("0")
    assert Donation.objects.get().status == "paid"
