"""A reader reads an article to the end (the counting script sends a view and a read), signs
up from the form inside it and confirms from the email, then gives monthly from its donate
prompt through the demo provider; after the roll-up an editor sees that article in the
admin's Audience dashboard with its read, its sign-up and its gift, and on the desk. At
desktop width only (one run keeps CI short); screenshots go to tests/artifacts/screenshots/.
"""

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from playwright.sync_api import expect

from masthead.audience.models import Conversion
from masthead.audience.rollup import roll_up_new_hits
from masthead.newsletter.models import Newsletter
from masthead.publishing.roles import EDITORS
from tests.browser.conftest import TIMEOUT_MS, VIEWPORTS
from tests.newsletter.subscribe_helpers import LINK
from tests.publishing.factories import make_article, make_site_tree

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "a-long-test-password-for-the-newsroom"


@pytest.fixture
def viewport():
    """Desktop only: the flow is long and the dashboard is an editor's desk screen."""
    return "desktop"


# A reader's browser: headless Chromium says "HeadlessChrome" and sets navigator.webdriver,
# and the counter rightly leaves both out as robots.
READER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


@pytest.fixture
def page(browser):
    """A fresh context that looks like a reader's browser; nothing may leave localhost."""
    context = browser.new_context(
        viewport=VIEWPORTS["desktop"], locale="en-GB", user_agent=READER_AGENT
    )
    context.add_init_script("Object.defineProperty(navigator, 'webdriver', {get: () => false})")
    outside_requests = []

    def refuse_outside(route):
        outside_requests.append(route.request.url)
        route.abort()

    context.route(lambda url: not url.startswith(("http://localhost", "data:")), refuse_outside)
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    yield tab
    context.close()
    assert outside_requests == []


@pytest.fixture
def outlet(settings, live_server):
    cache.clear()
    settings.SITE_URL = live_server.url
    settings.PAYMENTS_PROVIDER = "demo"
    settings.MASTHEAD_ALLOW_DEMO_PAYMENTS = True
    settings.NEWSLETTER_FORM_MIN_SECONDS = 0
    tree = make_site_tree()
    Newsletter.objects.create(name="Daily briefing", slug="daily", sort_order=1)
    article = make_article(
        tree.section,
        title="The bus timetable, explained",
        body=[
            ("paragraph", f"<p>Paragraph {number} of a report on the bus timetable.</p>")
            for number in range(1, 13)
        ],
    )
    editor = User.objects.create_user("desk-editor", "desk@newsroom.test", PASSWORD)
    editor.groups.add(Group.objects.get(name=EDITORS))
    yield article
    cache.clear()


def is_hit(kind):
    return lambda request: (
        request.url.endswith("/a/hit") and f"k={kind}" in (request.post_data or "")
    )


def test_a_read_sign_up_and_gift_from_an_article_show_in_the_dashboard(
    live_server, page, screenshot, smtp_mailbox, outlet
):
    article_url = live_server.url + outlet.url
    with page.expect_request(is_hit("view")):
        page.goto(article_url)
    with page.expect_request(is_hit("read")):
        page.locator("[data-read-through]").evaluate(
            "body => body.lastElementChild.scrollIntoView()"
        )
    screenshot("audience-article-read")

    form = page.locator("article .article__body form[data-newsletter-signup]")
    form.get_by_label("Email address").fill("reader@example.org")
    form.get_by_role("button", name="Sign up").click()
    expect(page.locator("h1")).to_have_text("Check your inbox")
    [received] = smtp_mailbox.wait_for(1)
    [link] = LINK.findall(received.text())
    page.goto(link)
    page.get_by_role("button", name="Confirm my subscription").click()
    expect(page.locator("h1")).to_have_text("You are subscribed")

    page.goto(article_url)
    prompt = page.locator("#article-donate-heading").locator("..")
    prompt.get_by_label("Monthly").check()
    prompt.locator("button[name=amount]").first.click()
    page.locator("#donate-email").fill("giver@example.org")
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.locator("h1")).to_have_text("Checkout")
    page.get_by_role("button", name="Pay", exact=True).click()
    expect(page.locator("h1")).to_have_text("Thank you")

    completed = Conversion.objects.filter(article_id=outlet.pk, completed_at__isnull=False)
    assert sorted(completed.values_list("kind", flat=True)) == ["monthly", "signup"]
    roll_up_new_hits()

    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill("desk-editor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("[data-desk-articles]")).to_contain_text(outlet.title)
    screenshot("audience-desk")

    page.goto(live_server.url + "/admin/audience/?period=today")
    row = page.locator(f'table[data-table=articles] tr[data-key="{outlet.pk}"]')
    expect(row).to_contain_text(outlet.title)
    cells = row.locator("td")
    # Two views of the article, each read to the end (the donate prompt is below its text),
    # one sign-up and one monthly supporter.
    expect(cells.nth(1)).to_have_text("2")
    expect(cells.nth(3)).to_have_text("2")
    expect(cells.nth(4)).to_have_text("1")
    expect(cells.nth(5)).to_contain_text("1 (")
    expect(page.locator("[data-figure=reads]")).to_have_text("2")
    expect(page.locator("svg.audience-chart--views title").first).to_have_text("Views per day")
    screenshot("audience-dashboard")
