"""Every model whose rows a cached reader page shows must start a new page-cache generation
when it changes (``masthead.core.cache_invalidation``), or readers keep seeing the page as
it was: the newsletter page kept saying there were no lists after an editor added one.

Rather than trust a hand-kept list, the test walks the demo outlet as an anonymous reader
(every live page, every link on every page the cache stores, the sitemap, the feeds),
records every table read while each cached page is rendered, and requires each model behind
those tables to be registered, save for the few in ``NOT_INVALIDATING`` with the reason
each may stay out.
"""

import io
import re
from collections import Counter
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import Resolver404, resolve
from wagtail.models import Page

from masthead.core import cache as page_cache
from masthead.core.cache_invalidation import is_content
from masthead.donations.models import DonationSettings
from masthead.newsletter.models import Newsletter
from masthead.publishing.models import ArticlePage
from tests.publishing.factories import make_site_tree

# Models a cached page reads that may change without emptying the page cache, and why.
NOT_INVALIDATING = {
    # Wagtail creates a rendition the first time a page asks for a size of a picture, while
    # rendering it; the picture itself (AbstractImage) does invalidate.
    "wagtailimages.Rendition": "made from an image while a page renders",
    # Readers' activity: a page shows it live or tagged (masthead.core.page_tags,
    # masthead.core.fragments), and registering it would let every reader's gift, sign-up or
    # order empty the cache for everyone.
    "donations.Donation": "reader activity (the funding bar, at most a second old)",
    "donations.RecurringDonation": "reader activity (the funding bar)",
    "shop.Order": "reader activity (the funding page's shop margin)",
    "shop.OrderLine": "reader activity (the funding page's shop margin)",
}

SEED_PATHS = [
    "/",
    "/sitemap.xml",
    "/robots.txt",
    "/.well-known/security.txt",
    "/feed/",
    "/feed/atom/",
    "/newsletter/",
    "/support/",
    "/funding/",
    "/shop/",
]
# The demo serves at SITE_URL's address (`make demo`); the test client asks as testserver.
DEMO_SITE_URL = "http://127.0.0.1:8000"
DEMO_HOSTS = ("testserver", "127.0.0.1:8000")
# Links a crawler must not follow: not reader pages, or never cached.
SKIPPED_PREFIXES = ("/admin/", "/django-admin/", "/static/", "/media/", "/documents/")
# Pages of one kind read the same tables; two of each catch the odd optional part.
PER_KIND = 2
SQL_TABLE = re.compile(r'(?:FROM|JOIN)\s+"([^"]+)"', re.IGNORECASE)


class Links(HTMLParser):
    """The site-relative addresses a page links to (``href`` only: forms are not read)."""

    def __init__(self, content):
        super().__init__()
        self.found = []
        self.feed(content)

    def handle_starttag(self, tag, attrs):
        if tag in {"a", "link"}:
            href = dict(attrs).get("href") or ""
            self.found.append(href)


def same_site_path(href):
    """``href`` as a path on this site to crawl, or None when it is elsewhere or skipped."""
    href, _ = urldefrag(href)
    parts = urlsplit(href)
    if parts.scheme not in ("", "http", "https") or parts.netloc not in ("", *DEMO_HOSTS):
        return None
    if not parts.path.startswith("/") or parts.path.startswith(SKIPPED_PREFIXES):
        return None
    if parts.query and not re.fullmatch(r"page=\d+", parts.query):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def models_by_table():
    return {model._meta.db_table: model for model in apps.get_models(include_auto_created=True)}


def page_kinds():
    """{url: page class name} for every live Wagtail page."""
    return {page.url: type(page).__name__ for page in Page.objects.live().specific()}


def kind_of(path, kinds):
    """What kind of page ``path`` is: its page class, else the URL pattern that answers it."""
    path_only = urlsplit(path).path
    if path_only in kinds:
        return kinds[path_only]
    try:
        return resolve(path_only).route
    except Resolver404:
        return path_only


def with_product_blocks():
    """The articles that show a product from the shop in their text."""
    return [
        article.url
        for article in ArticlePage.objects.live()
        if any(block.block_type == "product" for block in article.body)
    ]


def crawl_cached_pages():
    """Walk the outlet as a reader with no cookies, rendering up to ``PER_KIND`` pages of
    each kind (rendering all hundred-odd pages would take minutes for no new table); answer
    {path: tables read} for every page the page cache stored."""
    kinds = page_kinds()
    to_visit = [*SEED_PATHS, *with_product_blocks(), *kinds]
    to_visit.reverse()
    seen, visited_per_kind = set(), Counter()
    tables_by_path = {}
    while to_visit:
        path = to_visit.pop()
        if path is None or path in seen:
            continue
        seen.add(path)
        kind = kind_of(path, kinds)
        if visited_per_kind[kind] >= PER_KIND and path not in SEED_PATHS:
            continue
        visited_per_kind[kind] += 1
        statements = []

        def record(execute, sql, params, many, context, statements=statements):
            statements.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):
            response = Client().get(path)
        if response.get("X-Cache") != "miss":
            continue
        tables_by_path[path] = {
            table
            for sql in statements
            if sql.lstrip().upper().startswith("SELECT")
            for table in SQL_TABLE.findall(sql)
        }
        content = response.content.decode()
        hrefs = Links(content).found + re.findall(r"<loc>([^<]+)</loc>", content)
        to_visit.extend(same_site_path(href) for href in hrefs)
    return tables_by_path


@pytest.fixture
def outlet(db, settings, tmp_path):
    settings.SITE_URL = DEMO_SITE_URL
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PAYMENTS_PROVIDER = "demo"
    settings.MASTHEAD_ALLOW_DEMO_PAYMENTS = True
    call_command("demo_content", stdout=io.StringIO())


@pytest.mark.django_db
def test_every_model_a_cached_page_shows_empties_the_page_cache(outlet):
    tables_by_path = crawl_cached_pages()
    by_table = models_by_table()

    read_by = {}
    for path, tables in tables_by_path.items():
        for table in tables:
            read_by.setdefault(by_table[table], path)
    missing = {
        model._meta.label: path
        for model, path in read_by.items()
        if not is_content(model) and model._meta.label not in NOT_INVALIDATING
    }

    # The walk reached the kinds of page the cache keeps, not just the home page.
    assert len(tables_by_path) > 20
    for path in ("/", "/newsletter/", "/support/", "/shop/", "/sitemap.xml", "/feed/"):
        assert path in tables_by_path
    assert missing == {}, "Registered with invalidate_pages_on_change() in no app's wiring"
    # The allow-list says nothing stale: every entry is still read by some cached page.
    assert {model._meta.label for model in read_by} >= set(NOT_INVALIDATING)
    demo_links_name_site_url()


def demo_links_name_site_url():
    """The demo's canonical links and sitemap name SITE_URL, not http://localhost/ (checked
    on the outlet the walk above already built, rather than building the demo again)."""
    home = Client().get("/").content.decode()
    sitemap = Client().get("/sitemap.xml").content.decode()
    locations = re.findall(r"<loc>([^<]+)</loc>", sitemap)

    assert f'<link rel="canonical" href="{DEMO_SITE_URL}/">' in home
    assert len(locations) > 20
    assert all(url.startswith(f"{DEMO_SITE_URL}/") for url in locations)
    assert "localhost" not in sitemap


@pytest.fixture
def cached_site(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        tree = make_site_tree()
    return tree


@pytest.mark.django_db
def test_a_new_newsletter_list_appears_on_the_cached_newsletter_page(
    client, cached_site, django_capture_on_commit_callbacks
):
    empty = client.get("/newsletter/")
    assert client.get("/newsletter/")["X-Cache"] == "hit"
    assert "We have no newsletters to sign up to" in empty.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        Newsletter.objects.create(name="Weekly digest", slug="weekly", description="Sundays.")
    listed = client.get("/newsletter/")

    assert listed["X-Cache"] == "miss"
    assert "Weekly digest" in listed.content.decode()
    assert "We have no newsletters to sign up to" not in listed.content.decode()


@pytest.mark.django_db
def test_a_changed_donation_setting_appears_on_the_cached_donate_page(
    client, cached_site, django_capture_on_commit_callbacks
):
    before = client.get("/support/")
    assert client.get("/support/")["X-Cache"] == "hit"
    assert "Support independent journalism" in before.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        config = DonationSettings.for_site(cached_site.site)
        config.prompt_heading = "Keep the Ledger going"
        config.save()
    after = client.get("/support/")

    assert after["X-Cache"] == "miss"
    assert "Keep the Ledger going" in after.content.decode()


@pytest.mark.django_db
def test_settings_created_with_their_own_values_empty_the_cache_and_defaults_do_not(
    cached_site,
):
    generation = page_cache.current_generation()
    DonationSettings.objects.create(site=cached_site.site)
    assert page_cache.current_generation() == generation

    DonationSettings.objects.all().delete()
    generation = page_cache.current_generation()
    DonationSettings.objects.create(site=cached_site.site, prompt_heading="Keep us going")

    assert page_cache.current_generation() != generation
