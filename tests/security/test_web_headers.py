"""Every kind of reader page carries the strict Content-Security-Policy (no inline script or
style, no eval, frames only from the allowed players) and a Permissions-Policy, cached
pages included; the admin has its own, looser policy; and no reader page has anything the
strict policy would block (an inline script, a style block or a style attribute).

The outlet is the demo (`masthead demo_content`): sections, articles, authors, tags, the
newsletter, the donate and funding pages, the shop; a basket is filled and taken through
every checkout step to the order page; then the pages emailed links open (newsletter
confirmation, preferences and unsubscribe, a donor's manage link), the checkout status page,
a reader's sign-in, account and data pages and their receipt, an article's comments page and
fragment, and security.txt.
"""

import io
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.test import Client
from wagtail.documents.models import Document
from wagtail.models import Site

from masthead.core.models import SiteSettings
from masthead.core.security_headers import admin_policy, permissions_policy, reader_policy
from masthead.donations.donors import manage_token
from masthead.donations.models import Donation
from masthead.newsletter import tokens
from masthead.newsletter.models import ConsentRecord, Newsletter
from masthead.payments.providers.demo import DemoProvider
from masthead.publishing.models import ArticlePage, AuthorPage, SectionPage
from masthead.shop.models import Category, Product, ShippingRate
from tests.donations.helpers import give
from tests.newsletter.subscribe_helpers import make_subscriber
from tests.publishing.factories import make_article, make_site_tree
from tests.readers import signed_in
from tests.shop.checkout_helpers import (
    add_to_cart,
    choose_shipping,
    fill_details,
    latest_order,
    review_form,
)
from tests.social.commenting import open_comments

PLAYERS = (
    "https://www.youtube-nocookie.com https://player.vimeo.com https://geo.dailymotion.com "
    "https://w.soundcloud.com https://open.spotify.com https://datawrapper.dwcdn.net"
)


class InlineCode(HTMLParser):
    """What a strict policy blocks in a page: inline scripts (JSON-LD is data, not script),
    style blocks, style attributes and event-handler attributes."""

    def __init__(self, content):
        super().__init__()
        self.found = []
        self._in_script = None
        self.feed(content)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and "src" not in attributes:
            self._in_script = attributes.get("type")
        if tag == "style":
            self.found.append("<style>")
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f"<{tag} {name}={value!r}>")
            if name in {"href", "src", "action"} and (value or "").lower().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}={value!r}>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = None

    def handle_data(self, data):
        if self._in_script not in (None, "application/ld+json") and data.strip():
            self.found.append(f"<script>{data.strip()[:60]}")


@pytest.fixture
def outlet(db, settings):
    settings.SITE_URL = "http://testserver"
    settings.PAYMENTS_PROVIDER = "demo"
    settings.MASTHEAD_ALLOW_DEMO_PAYMENTS = True
    call_command("demo_content", stdout=io.StringIO())
    return Site.objects.get(is_default_site=True).root_page.specific


def reader_urls(client):
    """One URL of every family of reader page, with the status it answers and the browser
    that asks for it (``client``, or a signed-in reader's for their account pages); the
    basket is taken through the checkout on the way."""
    article = ArticlePage.objects.live().order_by("pk").first()
    section = SectionPage.objects.live().first()
    author = AuthorPage.objects.live().first()
    tag = article.tags.first()
    category = Category.objects.first()
    product = Product.objects.filter(variants__stock__gt=0).distinct().first()
    urls = [
        ("/", 200),
        (section.url, 200),
        (article.url, 200),
        (author.url, 200),
        (f"/tags/{tag.slug}/", 200),
        ("/search/?q=bus", 200),
        ("/feed/", 200),
        ("/feed/atom/", 200),
        (f"/feed/section/{section.slug}/", 200),
        (f"/feed/author/{author.slug}/", 200),
        ("/sitemap.xml", 200),
        ("/robots.txt", 200),
        ("/newsletter/", 200),
        ("/support/", 200),
        ("/funding/", 200),
        ("/shop/", 200),
        (f"/shop/category/{category.slug}/", 200),
        (f"/shop/product/{product.slug}/", 200),
        ("/no-such-page/", 404),
    ]
    add_to_cart(client, product.variants.filter(stock__gt=0).first())
    urls += [("/shop/cart/", 200), ("/shop/checkout/", 200)]
    fill_details(client)
    urls.append(("/shop/checkout/shipping/", 200))
    choose_shipping(client, ShippingRate.objects.filter(zone__countries__contains="GB").first())
    urls.append(("/shop/checkout/review/", 200))
    paying = client.post("/shop/checkout/pay/", review_form(client))
    urls += [(paying["Location"], 200), (f"/shop/order/{latest_order().token}/", 200)]
    donating = give(client, email="giver@example.org")
    urls.append((donating["Location"], 200))
    gift = Donation.objects.latest("pk")
    DemoProvider().pay(gift.checkout_id)
    urls.append((f"/payments/checkout/status/?session_id={gift.checkout_id}", 200))
    urls += newsletter_link_urls()
    # The donor's own pages: by the emailed link, and signed in as a reader.
    urls.append((f"/support/manage/{manage_token('giver@example.org')}/", 200))
    urls += [("/account/sign-in/", 200), ("/account/sign-in/code/", 200)]
    reader = Client()
    signed_in(reader, "giver@example.org")
    readers_urls = [
        ("/account/", 200),
        ("/account/details/", 405),  # the name form's target: POST only
        ("/account/data/", 200),
        (f"/support/account/receipts/{gift.reference}/", 200),
    ]
    # An article whose comments are open: its comments page and the fragment comments.js
    # fetches.
    open_comments(article)
    urls += [
        (f"/social/articles/{article.pk}/comments/", 200),
        (f"/social/articles/{article.pk}/comments/fragment/", 200),
    ]
    site_settings = SiteSettings.for_site(Site.objects.get(is_default_site=True))
    site_settings.security_contact_email = "security@newsroom.example"
    site_settings.save()
    urls.append(("/.well-known/security.txt", 200))
    return [(url, status, client) for url, status in urls] + [
        (url, status, reader) for url, status in readers_urls
    ]


def newsletter_link_urls():
    """The pages the newsletter's emailed links open: confirm, preferences, unsubscribe."""
    newsletter = Newsletter.objects.filter(is_public=True).first()
    pending = make_subscriber("pending@example.org", status="pending")
    record = ConsentRecord.objects.create(subscriber=pending, action=ConsentRecord.Action.OPT_IN)
    reader = make_subscriber("subscribed@example.org", [newsletter])
    return [
        (urlsplit(tokens.confirmation_url(pending, record, [newsletter.pk])).path, 200),
        (tokens.preferences_path(reader), 200),
        (tokens.unsubscribe_path(reader), 200),
    ]


def assert_reader_headers(response, url):
    policy = response["Content-Security-Policy"]
    assert policy == reader_policy(), url
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert response["Permissions-Policy"] == permissions_policy(), url


@pytest.mark.django_db
def test_every_reader_page_has_the_strict_policy_and_nothing_it_would_block(client, outlet):
    checked = []
    for url, status, browser in reader_urls(client):
        response = browser.get(url)

        assert response.status_code == status, (url, response.status_code)
        assert_reader_headers(response, url)
        if response["Content-Type"].startswith("text/html"):
            assert InlineCode(response.content.decode()).found == [], url
        checked.append(url)
    assert len(checked) == 40


def test_the_reader_policy_allows_only_this_site_and_the_players():
    assert reader_policy() == (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "font-src 'self'; connect-src 'self'; media-src 'self'; "
        f"frame-src {PLAYERS}; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
    )


def test_players_get_their_features_and_nothing_else_does():
    policy = permissions_policy()

    assert "camera=(), " in policy
    assert "geolocation=(), " in policy
    assert "microphone=(), " in policy
    assert "payment=(), " in policy
    quoted = " ".join(f'"{origin}"' for origin in PLAYERS.split())
    assert policy.endswith(f"fullscreen=(self {quoted}), picture-in-picture=(self {quoted})")


@pytest.mark.django_db
def test_a_page_from_the_cache_has_the_policies_too(client, outlet):
    first = client.get("/")
    again = client.get("/")

    assert first["X-Cache"] == "miss"
    assert again["X-Cache"] == "hit"
    assert_reader_headers(again, "/ (cached)")


@pytest.mark.django_db
def test_the_admin_has_its_own_looser_policy_still_without_eval(admin_client):
    response = admin_client.get("/admin/")

    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert policy == admin_policy()
    # Wagtail's widgets start with inline scripts; no eval, and no script from elsewhere.
    script_sources = re.search(r"script-src ([^;]*)", policy).group(1)
    assert script_sources == "'self' 'unsafe-inline'"
    assert "unsafe-eval" not in policy
    assert "frame-ancestors 'self'" in policy
    assert response["Permissions-Policy"] == permissions_policy()


@pytest.mark.django_db
def test_a_document_keeps_its_own_stricter_policy(client):
    document = Document.objects.create(title="Accounts", file=ContentFile(b"x", name="a.txt"))

    response = client.get(document.url)

    assert response["Content-Security-Policy"] == "default-src 'none'"


@pytest.mark.django_db
def test_a_page_previewed_in_the_admin_has_the_admin_policy(admin_client):
    article = make_article(make_site_tree().section, title="Draft on the quay")

    response = admin_client.get(f"/admin/pages/{article.pk}/view_draft/")

    assert response.status_code == 200
    assert "Draft on the quay" in response.content.decode()
    # Wagtail renders the page through the middleware with a made-up request for its own
    # URL; the policy is still the admin's, which lets the editor's preview panel frame it.
    assert response["Content-Security-Policy"] == admin_policy()
