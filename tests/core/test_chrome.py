"""The site's header and footer, written by site_header, site_footer_start and
site_footer_end (masthead_tags) inside the base template's fragments: what they show from
the site settings, escaped, the same whether the fragments are kept or rendered afresh,
and a kept one never outliving a change to the code that wrote it."""

import datetime
import re

import pytest
from django.template import engines
from django.test import Client
from django.utils import timezone

from masthead.core.models import SiteSettings
from masthead.core.templatetags import masthead_tags
from tests.publishing.factories import make_image, make_section, make_site_tree

HOSTILE = '<script>alert("x")</script>'


@pytest.fixture
def outlet(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        tree = make_site_tree()
        tree.culture = make_section(tree.home, "Culture")
    return tree


def site_settings(tree, **values):
    settings_row = SiteSettings.for_site(tree.site)
    for name, value in values.items():
        setattr(settings_row, name, value)
    settings_row.save()  # the ORM takes what the admin's form would refuse
    return settings_row


def chrome(content):
    """The page's header and footer, without its main part."""
    header = re.search(r'<a class="skip-link".*?</header>', content, re.S).group(0)
    footer = re.search(r'<footer class="site-footer">.*?</footer>', content, re.S).group(0)
    return header, footer


@pytest.fixture(params=["fragments", "afresh"])
def client(request, settings):
    """Every page rendered by the server (no whole-page cache), its header and footer kept
    as fragments or rendered on every request (the benchmark's cold mode)."""
    settings.PAGE_CACHE_SECONDS = 0
    if request.param == "afresh":
        settings.FRAGMENT_CACHE_SECONDS = 0
    return Client()


@pytest.mark.django_db
def test_header_and_footer_show_the_settings_with_every_value_escaped(outlet, client):
    site_settings(
        outlet,
        outlet_name="Ledger & <Co>",
        strapline=HOSTILE,
        description='News "for" <everyone>',
        contact_email="desk@example.org",
        x="https://x.com/ledger?a=1&b=2",
        mastodon="https://social.example/@ledger",
        newsletter_url="/newsletter/",
        donate_url="javascript:alert(1)",
    )
    header, footer = chrome(client.get("/").content.decode())

    assert "<script>" not in header + footer
    assert '<span class="brand__name">Ledger &amp; &lt;Co&gt;</span>' in header
    assert '<p class="strapline">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</p>' in header
    social = (
        '<li><a href="https://x.com/ledger?a=1&amp;b=2" rel="me">X</a></li>'
        '<li><a href="https://social.example/@ledger" rel="me">Mastodon</a></li>'
    )
    assert f'<ul class="social social--header" aria-label="Follow us">\n        {social}' in header
    assert f'<ul class="social">\n        {social}' in footer

    assert '<h2 id="footer-outlet" class="site-footer__name">Ledger &amp; &lt;Co&gt;</h2>' in footer
    assert "<p>News &quot;for&quot; &lt;everyone&gt;</p>" in footer
    assert '<a class="button" href="/newsletter/">Get our newsletter</a>' in footer
    # A link that is no web address is left out, not written.
    assert "javascript:" not in footer
    assert "Support us" not in footer
    assert '<a href="mailto:desk@example.org">Contact: desk@example.org</a>' in footer
    year = timezone.localtime().year
    assert f'<p class="wrap site-footer__legal">&copy; {year} Ledger &amp; &lt;Co&gt;</p>' in footer
    # The apps' slots are still filled: the search link, the RSS feed, the search form.
    assert '<li class="site-nav__search"><a href="/search/">Search</a></li>' in header
    assert '<a href="/feed/">RSS feed</a>' in footer
    assert 'id="footer-search"' in footer


@pytest.mark.django_db
def test_the_sections_are_listed_and_the_current_one_marked(outlet, client):
    home_header, _ = chrome(client.get("/").content.decode())
    news_header, _ = chrome(client.get(outlet.section.url).content.decode())
    culture_header, _ = chrome(client.get(outlet.culture.url).content.decode())

    assert re.findall(r'<li><a href="(/[a-z]+/)"', home_header) == ["/news/", "/culture/"]
    assert "aria-current" not in home_header
    assert '<a href="/news/" aria-current="page">News</a>' in news_header
    assert '<a href="/culture/">Culture</a>' in news_header
    assert '<a href="/culture/" aria-current="page">Culture</a>' in culture_header
    assert '<a href="/" class' not in home_header
    assert '<a class="brand" href="/">' in home_header


@pytest.mark.django_db
def test_without_a_strapline_contact_or_accounts_their_parts_are_left_out(outlet, client):
    site_settings(outlet, strapline="", contact_email="", newsletter_url="", donate_url="")
    header, footer = chrome(client.get("/").content.decode())

    assert "strapline" not in header
    assert "social--header" not in header
    assert "mailto:" not in footer
    assert '<ul class="footer-actions">\n        </ul>' in footer
    assert '<ul class="social">' not in footer
    # The footer's "Follow us" stays: the fediverse handle's slot may fill it.
    assert "<h2>Follow us</h2>" in footer


@pytest.mark.django_db
def test_the_logo_is_shown_at_96_pixels_high_in_place_of_the_name(outlet, client):
    site_settings(outlet, outlet_name="The Ledger", logo=make_image("Logo", 800, 200))
    header, _ = chrome(client.get("/").content.decode())

    logo = re.search(r'<a class="brand" href="/">\s*(<img[^>]*>)\s*</a>', header).group(1)
    assert 'alt="The Ledger"' in logo
    assert 'class="brand__logo"' in logo
    assert 'height="96"' in logo and 'width="384"' in logo
    assert re.search(r'src="/media/images/[0-9a-f]+-logo\.height-96\.png"', logo)
    assert "brand__name" not in header


@pytest.mark.django_db
def test_a_page_with_no_site_settings_in_its_context_still_renders(outlet):
    """A template rendered without the site's context (no request, no site settings) gets
    the header and footer with empty values, as the template engine showed them."""
    page = engines["django"].from_string('{% extends "core/base.html" %}').render({})

    header, footer = chrome(page)
    assert '<span class="brand__name"></span>' in header
    assert '<h2 id="footer-outlet" class="site-footer__name"></h2>' in footer
    assert "footer-actions" in footer


@pytest.mark.django_db
@pytest.mark.parametrize("zone, year", [("Pacific/Auckland", 2027), ("Europe/London", 2026)])
def test_the_footer_year_is_the_current_time_zones(
    outlet, client, settings, monkeypatch, zone, year
):
    """At 23:30 UTC on New Year's Eve it is already the new year in Auckland, still the old
    one in London."""
    settings.TIME_ZONE = zone
    moment = datetime.datetime(2026, 12, 31, 23, 30, tzinfo=datetime.UTC)

    class Frozen(datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return moment.astimezone(tz) if tz else moment.replace(tzinfo=None)

    monkeypatch.setattr(masthead_tags, "datetime", Frozen)
    _, footer = chrome(client.get("/").content.decode())
    assert f"&copy; {year} " in footer


def test_a_kept_fragment_is_versioned_on_the_python_that_wrote_it(tmp_path, monkeypatch):
    """A header or footer kept in the shared cache by another release's code is not used:
    a fragment's version covers the modules of the tags written in Python inside it, not
    only its template."""
    engine = engines["django"].engine
    source = (
        '{% load masthead_tags %}{% fragment "f" %}<p>{% site_footer_end %}</p>{% endfragment %}'
    )

    def version():
        template = engine.from_string(source)
        node = template.nodelist.get_nodes_by_type(masthead_tags.FragmentNode)[0]
        return node.share().version

    before = version()
    assert version() == before  # the same code, the same version

    changed = tmp_path / "masthead_tags.py"
    with open(masthead_tags.__file__) as module:
        changed.write_text(module.read() + "\n# another release\n")
    monkeypatch.setattr(masthead_tags, "__file__", str(changed))
    assert version() != before
