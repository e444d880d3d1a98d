"""The Content-Security-Policy holds in a real Chromium: every kind of reader page, an embed
played after a click, the whole shop checkout and a donation; a reader's sign-in, account and
data pages, an article's comments (loaded by comments.js, one posted), the footer's fediverse
handle copied, the newsletter's emailed links, a donor's manage page, a receipt and the
checkout status page; then the admin's main screens (dashboard, page editor with its image
chooser and preview, snippets, shop, newsletter, donations, settings, audience, comment
moderation, readers' data, import and export, two-factor authentication), and Chromium
reports no violation of the policy and no error in the Permissions-Policy.

Violations are caught twice: from Chromium's console, and from ``securitypolicyviolation``
events recorded in every frame by a script Playwright adds before any of the page's own.
That the watch works is itself checked: a frame from a site not on the list is refused and
reported. Screenshots (desktop width) go to tests/artifacts/screenshots/csp-*.png.
"""

import io
import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.management import call_command
from playwright.sync_api import expect
from wagtail.models import Site

from masthead.donations.donors import manage_token
from masthead.donations.models import Donation
from masthead.newsletter import tokens
from masthead.newsletter.models import Campaign, ConsentRecord, Newsletter
from masthead.publishing.models import ArticlePage, AuthorPage, SectionPage
from masthead.shop.models import Order, Product
from masthead.social import comments
from masthead.social.models import Comment
from tests.browser.conftest import SCREENSHOTS_DIR, TIMEOUT_MS, VIEWPORTS
from tests.newsletter.subscribe_helpers import make_subscriber
from tests.publishing.factories import make_article

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "a-long-test-password-for-the-csp-check"
PLAYER_PAGE = "<!doctype html><title>Player</title><p>A stand-in for YouTube's player.</p>"
# Recorded in every frame before the page's own scripts run.
WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(
    event.effectiveDirective + " blocked " + (event.blockedURI || "inline") + " in " +
    event.documentURI + " (" + (event.sourceFile || "") + ":" + event.lineNumber + ")"
  );
}, true);
"""
POLICY_WORDS = re.compile(r"Content.Security.Policy|Permissions.Policy|Refused to", re.I)


class PolicyWatch:
    """A desktop browser context that records policy violations and console complaints,
    plays a stand-in for YouTube's player, and refuses every other outside request."""

    def __init__(self, browser, live_server):
        self.live_server = live_server
        self.console = []
        self.outside_requests = []
        self.context = browser.new_context(viewport=VIEWPORTS["desktop"], locale="en-GB")
        self.context.add_init_script(WATCH_VIOLATIONS)
        # The route added last is asked first.
        self.context.route(
            lambda url: not url.startswith(("http://localhost", "data:", "blob:")),
            self.refuse,
        )
        self.context.route(re.compile(r"^https://www\.youtube-nocookie\.com/"), self.player)
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.page.on("console", self.listen)

    def player(self, route):
        route.fulfill(status=200, content_type="text/html", body=PLAYER_PAGE)

    def refuse(self, route):
        self.outside_requests.append(route.request.url)
        route.abort()

    def listen(self, message):
        if POLICY_WORDS.search(message.text):
            self.console.append(f"{message.type}: {message.text}")

    def violations(self):
        found = list(self.console)
        for frame in self.page.frames:
            try:
                found += frame.evaluate("window.__cspViolations || []")
            except Exception as error:  # a frame that went away while being asked
                found.append(f"could not read {frame.url}: {error}")
        return found

    def visit(self, path, name=None):
        self.page.goto(self.live_server.url + path)
        self.page.wait_for_load_state("networkidle")
        self.check(name or path)

    def check(self, where, screenshot=None, full_page=True):
        found = self.violations()
        if found:
            print("VIOLATIONS", where, *found, sep="\n")
        assert found == [], where
        if screenshot:
            SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
            path = SCREENSHOTS_DIR / f"csp-{screenshot}.png"
            self.page.screenshot(path=str(path), full_page=full_page)

    def close(self):
        self.context.close()
        assert [url for url in self.outside_requests if "frames.example" not in url] == []


@pytest.fixture
def newsroom(settings, live_server):
    """The demo outlet, an article with a YouTube video and a campaign, and an admin."""
    cache.clear()
    settings.SITE_URL = live_server.url
    settings.PAYMENTS_PROVIDER = "demo"
    settings.MASTHEAD_ALLOW_DEMO_PAYMENTS = True
    call_command("demo_content", stdout=io.StringIO())
    section = SectionPage.objects.live().first()
    article = make_article(
        section,
        list(AuthorPage.objects.live()[:1]),
        title="Council meeting on the new bus routes",
        body=[
            ("paragraph", "<p>The full meeting was filmed by the council.</p>"),
            (
                "embed",
                {
                    "url": "https://www.youtube.com/watch?v=aqz-KE-bpKQ",
                    "title": "The council meeting, filmed by the council",
                    "caption": "Councillors debate the new routes.",
                },
            ),
        ],
    )
    Campaign.objects.create(subject="This week in Wennmouth", intro="<p>Hello from the desk.</p>")
    User.objects.create_superuser("chief", "chief@newsroom.test", PASSWORD)
    yield article
    cache.clear()


@pytest.fixture
def watch(browser, live_server):
    watching = PolicyWatch(browser, live_server)
    yield watching
    watching.close()


def test_reader_pages_break_no_policy(watch, newsroom):
    page = watch.page
    home = Site.objects.get(is_default_site=True).root_page.specific
    section = SectionPage.objects.live().first()
    author = AuthorPage.objects.live().first()
    demo_article = ArticlePage.objects.live().exclude(pk=newsroom.pk).order_by("pk").first()

    watch.visit(home.url, "home")
    watch.check("home", screenshot="home")
    watch.visit(section.url)
    watch.visit(demo_article.url)
    watch.check("article", screenshot="article")
    watch.visit(author.url)
    watch.visit(f"/tags/{demo_article.tags.first().slug}/")
    watch.visit("/search/?q=bus")
    watch.visit("/newsletter/")
    watch.visit("/funding/")
    watch.check("funding", screenshot="funding")
    watch.visit("/no-such-page/")

    # The embed: a link card with a button; the player comes only after the click.
    watch.visit(newsroom.url)
    card = page.locator("figure.embed-card--video")
    expect(card.locator("a.embed-card__link")).to_have_attribute(
        "href", "https://www.youtube.com/watch?v=aqz-KE-bpKQ"
    )
    expect(card.locator("iframe")).to_have_count(0)
    expect(card.get_by_text("Loads YouTube's player, which may set cookies.")).to_be_visible()
    card.scroll_into_view_if_needed()
    watch.check("embed before the click", screenshot="embed-card")
    page.set_viewport_size(VIEWPORTS["phone"])
    card.scroll_into_view_if_needed()
    watch.check("embed on a phone", screenshot="embed-card-phone", full_page=False)
    card.get_by_role("button", name="Play the video here").click()
    frame = card.locator("iframe")
    expect(frame).to_have_attribute(
        "src", "https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ?autoplay=1"
    )
    expect(frame).to_have_attribute(
        "sandbox", "allow-scripts allow-same-origin allow-presentation allow-popups"
    )
    expect(frame).to_have_attribute("title", "The council meeting, filmed by the council")
    expect(page.frame_locator("figure.embed-card iframe").get_by_text("A stand-in")).to_be_visible()
    box = frame.bounding_box()
    assert round(box["width"] / box["height"], 2) == round(16 / 9, 2)
    watch.check(
        "embed after the click on a phone", screenshot="embed-playing-phone", full_page=False
    )
    page.set_viewport_size(VIEWPORTS["desktop"])
    watch.check("embed after the click", screenshot="embed-playing")

    # The shop, from the catalogue through every checkout step to the order page.
    product = Product.objects.filter(variants__stock__gt=0, variants__track_stock=True).first()
    watch.visit("/shop/")
    watch.visit(f"/shop/category/{product.category.slug}/")
    watch.visit(f"/shop/product/{product.slug}/")
    variant = product.variants.filter(stock__gt=0).first()
    choice = page.locator(f"input[name=variant][value='{variant.pk}']")
    if choice.count():
        choice.check()
    page.get_by_role("button", name="Add to basket").click()
    expect(page.locator("h1")).to_have_text("Your basket")
    expect(page.locator("[data-basket-count]")).to_have_text("1")
    watch.check("basket", screenshot="basket")
    page.get_by_role("link", name="Go to checkout").click()
    form = page.locator("main")
    form.get_by_label("Email address").fill("reader@example.org")
    form.get_by_label("Full name").fill("A Reader")
    form.get_by_label("Address", exact=True).fill("1 Riverside Walk")
    form.get_by_label("Town or city").fill("Riverton")
    form.get_by_label("Postcode").fill("SW1A 1AA")
    form.get_by_label("Country").select_option("GB")
    watch.check("checkout details")
    page.get_by_role("button", name="Continue to delivery").click()
    expect(page.get_by_role("group", name="Delivery to United Kingdom")).to_be_visible()
    watch.check("checkout delivery")
    page.get_by_role("button", name="Continue to review").click()
    expect(page.locator("h1")).to_have_text("Review your order")
    watch.check("checkout review")
    page.get_by_role("button", name=re.compile(r"^Pay £")).click()
    expect(page.locator("h1")).to_have_text("Checkout")
    watch.check("demo checkout", screenshot="demo-checkout")
    page.get_by_role("button", name="Pay", exact=True).click()
    expect(page.locator("h1")).to_have_text(re.compile(r"Thank you — order"))
    watch.check("order page", screenshot="order")
    assert Order.objects.get().status == Order.Status.PAID

    # A gift, from the donate page to the thank-you page.
    watch.visit("/support/")
    form.get_by_label("One-off", exact=True).check()
    form.get_by_label("£10.00", exact=True).check()
    form.get_by_label("Email address").fill("giver@example.org")
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.locator("h1")).to_have_text("Checkout")
    page.get_by_role("button", name="Pay", exact=True).click()
    expect(page.locator("h1")).to_have_text("Thank you")
    watch.check("donation thanks", screenshot="donation-thanks")

    # The watch itself works: a frame from a site not on the list is refused and reported.
    page.evaluate(
        "() => { const f = document.createElement('iframe');"
        " f.src = 'https://frames.example/'; document.body.appendChild(f); }"
    )
    page.wait_for_function("window.__cspViolations.length > 0")
    assert [v.split(" blocked ")[0] for v in page.evaluate("window.__cspViolations")] == [
        "frame-src"
    ]


def test_readers_account_comments_and_emailed_links_break_no_policy(watch, newsroom, smtp_mailbox):
    """The pages added since: a reader's sign-in (the code page), account, details and data
    pages; an article whose comments are open (comments.js loads the fragment) with a
    comment posted; the footer's fediverse handle and its Copy button (copy-handle.js); the
    newsletter's confirmation, preferences and unsubscribe pages; a donor's manage page, a
    receipt with its Print button (print.js) and the checkout status page."""
    page = watch.page
    reader = "reader.csp@example.org"
    comments.set_state(newsroom, "open")

    # Signing in with the code from the email, then the account's pages.
    watch.visit("/account/sign-in/", "sign-in")
    page.get_by_label("Your email address").fill(reader)
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.locator("h1")).to_have_text("Check your inbox")
    watch.check("sign-in code page", screenshot="reader-code")
    [code] = re.findall(r"code there: (\d{6})", smtp_mailbox.wait_for(1)[-1].text())
    page.get_by_label("The 6-digit code from the email").fill(code)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/account/$"))
    watch.check("account", screenshot="reader-account")
    page.get_by_label("Your name", exact=True).fill("Rea Der")
    page.get_by_role("button", name="Save my name").click()
    expect(page.locator("#details [role=status]")).to_have_text("Your details are saved.")
    watch.check("account details saved")
    watch.visit("/account/data/", "reader data")
    watch.check("reader data", screenshot="reader-data")

    # The article's comments: the fragment loads, a comment goes in; the footer's handle.
    watch.visit(newsroom.url, "article with comments")
    section = page.locator("#comments")
    expect(section.locator(".comments__new")).to_be_visible()
    section.get_by_label("Your comment", exact=True).fill("Good to see the routes published.")
    section.get_by_role("button", name="Post comment").click()
    expect(page.locator("[data-comment-held]")).to_contain_text("once an editor has read it")
    watch.check("comment posted", screenshot="comments-posted")
    assert Comment.objects.get().status == "pending"
    handle = page.locator(".fediverse-handle")
    copy = handle.get_by_role("button", name="Copy")
    expect(copy).to_be_visible()
    watch.context.grant_permissions(["clipboard-read", "clipboard-write"])
    copy.click()
    expect(handle.get_by_role("button", name="Copied")).to_be_visible()
    handle.scroll_into_view_if_needed()
    watch.check("fediverse handle copied", screenshot="footer-handle", full_page=False)

    # A gift from the signed-in reader: the checkout status page, their manage link and the
    # receipt with its Print button.
    watch.visit("/support/")
    form = page.locator("main")
    form.get_by_label("One-off", exact=True).check()
    form.get_by_label("£10.00", exact=True).check()
    form.get_by_label("Email address").fill(reader)
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_role("button", name="Pay", exact=True).click()
    expect(page.locator("h1")).to_have_text("Thank you")
    gift = Donation.objects.get(email=reader)
    watch.visit(f"/payments/checkout/status/?session_id={gift.checkout_id}", "checkout status")
    expect(page.locator("h1")).to_have_text("Thank you")
    watch.check("checkout status", screenshot="checkout-status")
    watch.visit(f"/support/manage/{manage_token(reader)}/", "donor's manage page")
    expect(page.locator("h1")).to_have_text("Your support")
    watch.visit(f"/support/account/receipts/{gift.reference}/", "receipt")
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    watch.check("receipt", screenshot="receipt")

    # The newsletter's emailed links.
    newsletter = Newsletter.objects.filter(is_public=True).first()
    pending = make_subscriber("pending.csp@example.org", status="pending")
    record = ConsentRecord.objects.create(subscriber=pending, action=ConsentRecord.Action.OPT_IN)
    confirm = tokens.confirmation_url(pending, record, [newsletter.pk])
    watch.visit(urlsplit(confirm).path, "newsletter confirmation")
    page.get_by_role("button", name="Confirm my subscription").click()
    page.wait_for_load_state("networkidle")
    watch.check("newsletter confirmed", screenshot="newsletter-confirmed")
    subscriber = make_subscriber("subscriber.csp@example.org", [newsletter])
    watch.visit(tokens.preferences_path(subscriber), "newsletter preferences")
    watch.check("newsletter preferences", screenshot="newsletter-preferences")
    watch.visit(tokens.unsubscribe_path(subscriber), "unsubscribe")
    page.get_by_role("button", name="Unsubscribe from all newsletters").click()
    page.wait_for_load_state("networkidle")
    watch.check("unsubscribed", screenshot="newsletter-unsubscribed")


def sign_in(watch):
    page = watch.page
    page.goto(watch.live_server.url + "/admin/login/")
    page.get_by_label("Username").fill("chief")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1").first).to_be_visible()


def test_admin_screens_break_no_policy(watch, newsroom):
    page = watch.page
    sign_in(watch)
    watch.check("dashboard", screenshot="admin-dashboard")

    # The page editor, its image chooser and its preview.
    watch.visit(f"/admin/pages/{newsroom.pk}/edit/")
    expect(page.locator("#id_title")).to_have_value(newsroom.title)
    watch.check("page editor", screenshot="admin-page-editor")
    page.get_by_role("button", name=re.compile("Choose (an|another) image")).first.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.locator("img").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    watch.check("image chooser", screenshot="admin-image-chooser")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_have_count(0)
    page.get_by_role("button", name="Toggle preview").click()
    preview = page.frame_locator("#w-preview-iframe")
    expect(preview.locator("h1")).to_have_text(newsroom.title)
    page.wait_for_load_state("networkidle")
    watch.check("page preview", screenshot="admin-page-preview")

    campaign = Campaign.objects.get()
    site = Site.objects.get(is_default_site=True)
    for path, screenshot in [
        ("/admin/pages/", None),
        ("/admin/images/", None),
        ("/admin/documents/", None),
        ("/admin/snippets/", "admin-snippets"),
        ("/admin/snippets/shop/product/", None),
        (f"/admin/snippets/shop/product/edit/{Product.objects.first().pk}/", "admin-product"),
        ("/admin/orders/", "admin-orders"),
        ("/admin/fulfilment/", None),
        ("/admin/campaigns/", None),
        (f"/admin/campaigns/edit/{campaign.pk}/", "admin-campaign"),
        (f"/admin/campaigns/{campaign.pk}/sending/", "admin-campaign-sending"),
        ("/admin/newsletters/", None),
        ("/admin/subscribers/", "admin-subscribers"),
        ("/admin/donations/", None),
        ("/admin/supporters/", None),
        (f"/admin/settings/core/sitesettings/{site.pk}/", "admin-site-settings"),
        ("/admin/reports/site-history/", None),
        ("/admin/audience/", "admin-audience"),
        ("/admin/social_comments/", "admin-comment-queue"),
        ("/admin/readers-data/", "admin-readers-data"),
        ("/admin/readers-data/requests/", None),
        ("/admin/import/", "admin-import"),
        ("/admin/import/new/", None),
        ("/admin/export/", "admin-export"),
        ("/admin/two-factor/", "admin-two-factor"),
        ("/admin/two-factor/setup/", "admin-two-factor-setup"),
    ]:
        watch.visit(path)
        watch.check(path, screenshot=screenshot)
    # The email's preview on the sending page, styled inline in its sandboxed frame.
    watch.visit(f"/admin/campaigns/{campaign.pk}/sending/")
    email = page.frame_locator("iframe[title='HTML preview']")
    expect(email.get_by_text("Hello from the desk.")).to_be_visible()
    page.locator("iframe[title='HTML preview']").scroll_into_view_if_needed()
    watch.check("campaign preview", screenshot="admin-campaign-preview", full_page=False)

    # A reader page seen by a signed-in editor carries Wagtail's userbar, under the reader
    # policy.
    watch.visit(newsroom.url)
    expect(page.locator("wagtail-userbar")).to_have_count(1)
    userbar = page.locator("wagtail-userbar")
    userbar.get_by_role("button", name="View Wagtail quick actions").click()
    expect(userbar.get_by_role("menuitem", name="Edit this page")).to_be_visible()
    page.wait_for_load_state("networkidle")
    watch.check("reader page with the userbar", screenshot="userbar", full_page=False)
