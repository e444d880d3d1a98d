"""A reader signs up to the newsletter in a real Chromium, confirms from the email the real
SMTP server received, changes their choices and unsubscribes, at desktop and phone widths.

The sign-up starts from the inline form in an article when the article carries one, and
from the /newsletter/ page otherwise. Screenshots go to tests/artifacts/screenshots/.
"""

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from masthead.newsletter import tokens
from masthead.newsletter.models import ConsentRecord, Newsletter, Subscriber
from tests.newsletter.subscribe_helpers import LINK
from tests.publishing.factories import make_article, make_site_tree

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def outlet(settings, live_server):
    """An article to read and two newsletters to join; links in emails lead to the live
    server, and a form may be sent back after one second."""
    cache.clear()
    settings.SITE_URL = live_server.url
    settings.NEWSLETTER_FORM_MIN_SECONDS = 1
    tree = make_site_tree()
    Newsletter.objects.create(
        name="Daily briefing", slug="daily", description="The day's stories at 7am.", sort_order=1
    )
    Newsletter.objects.create(
        name="Weekly digest", slug="weekly", description="The week in five minutes.", sort_order=2
    )
    article = make_article(
        tree.section,
        body=[
            ("paragraph", f"<p>Paragraph {number} of a report on the bus timetable.</p>")
            for number in range(1, 7)
        ],
    )
    yield article
    cache.clear()


def signup_form(page, live_server, article):
    """The sign-up form placed inside the article's text."""
    page.goto(live_server.url + article.url)
    inline = page.locator("article .article__body form[data-newsletter-signup]")
    expect(inline).to_have_count(1)
    return inline


def test_reader_signs_up_confirms_changes_choices_and_unsubscribes(
    live_server, page, screenshot, smtp_mailbox, outlet, viewport
):
    email = f"reader-{viewport}@example.org"
    form = signup_form(page, live_server, outlet)
    form.get_by_label("Weekly digest").check()
    form.get_by_label("Email address").fill(email)
    form.get_by_label("Your name (optional)").fill("Pat Reader")
    expect(form).to_contain_text("I can unsubscribe at any time")
    screenshot("newsletter-signup-form")
    page.wait_for_timeout(1100)
    form.get_by_role("button", name="Sign up").click()

    expect(page.locator("h1")).to_have_text("Check your inbox")
    screenshot("newsletter-check-inbox")
    subscriber = Subscriber.objects.get(email=email)
    assert subscriber.status == Subscriber.Status.PENDING
    opt_in = subscriber.consent_records.get(action=ConsentRecord.Action.OPT_IN)
    assert opt_in.user_agent.startswith("Mozilla/")
    assert opt_in.ip_address == "127.0.0.1"

    [received] = smtp_mailbox.wait_for(1)
    assert received.rcpt_tos == [email]
    [link] = LINK.findall(received.text())
    assert link.startswith(live_server.url)
    page.goto(link)
    expect(page.locator("h1")).to_have_text("Confirm your subscription")
    screenshot("newsletter-confirm")
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING
    page.get_by_role("button", name="Confirm my subscription").click()

    expect(page.locator("h1")).to_have_text("You are subscribed")
    expect(page.locator("main")).to_contain_text("Weekly digest")
    screenshot("newsletter-confirmed")
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.CONFIRMED
    assert subscriber.name == "Pat Reader"

    page.get_by_role("link", name="Manage your newsletters").click()
    expect(page.locator("h1")).to_have_text("Your newsletters")
    # The footer carries a sign-up form too; the choices are the main content's.
    choices = page.locator("main")
    expect(choices.get_by_label("Weekly digest")).to_be_checked()
    choices.get_by_label("Daily briefing").check()
    choices.get_by_label("Weekly digest").uncheck()
    choices.get_by_role("button", name="Save my choices").click()
    expect(page.get_by_role("status")).to_contain_text("Your choices are saved")
    expect(choices.get_by_label("Daily briefing")).to_be_checked()
    screenshot("newsletter-preferences")
    assert sorted(
        subscriber.subscriptions.filter(is_active=True).values_list("newsletter__slug", flat=True)
    ) == ["daily"]

    page.goto(tokens.unsubscribe_url(subscriber))
    page.get_by_role("button", name="Unsubscribe from all newsletters").click()
    expect(page.locator("h1")).to_have_text("You are unsubscribed")
    screenshot("newsletter-unsubscribed")
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert not subscriber.subscriptions.filter(is_active=True).exists()
