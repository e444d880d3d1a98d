"""A reader's visit to the demo outlet in a real Chromium, at desktop and phone widths: the
skip link by keyboard, the lead article, search from the header, and a section.

One test walks the whole visit, because building the demo outlet is what takes the time.
Screenshots of each page go to tests/artifacts/screenshots/ for a person to look at.
"""

import io
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect
from wagtail.models import Site

from masthead.publishing.models import ARTICLES_PER_PAGE, SectionPage, live_articles

pytestmark = [
    pytest.mark.browser,
    # The live server runs in another thread, so the content must be committed; the rows
    # the migrations made are restored after each test's flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def demo_lead_article():
    """The demo outlet, as `make demo` builds it; returns the article the home page leads with."""
    call_command("demo_content", stdout=io.StringIO())
    home = Site.objects.get(is_default_site=True).root_page.specific
    return home.lead_story or live_articles().first()


def search_word(title):
    """The longest word of a headline: distinctive enough to find that article."""
    return max(re.findall(r"[A-Za-z]+", title), key=len)


def test_reader_visit(live_server, page, screenshot, demo_lead_article):
    lead = demo_lead_article

    # The home page, and the skip link as the first thing the keyboard reaches.
    page.goto(live_server.url + "/")
    expect(page.locator(".lead-story__headline")).to_have_text(lead.title)
    screenshot("home")
    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to main content")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page).to_have_url(live_server.url + "/#main")
    expect(page.locator("main#main")).to_be_focused()

    # The lead article, with its byline.
    page.locator(".lead-story__headline a").click()
    expect(page).to_have_url(live_server.url + lead.url)
    expect(page.locator("h1")).to_have_text(lead.title)
    byline = page.locator(".article__meta .byline")
    expect(byline).to_be_visible()
    assert lead.author_list
    for author in lead.author_list:
        expect(byline).to_contain_text(author.title)
    screenshot("article")

    # Search, reached from the header.
    word = search_word(lead.title)
    page.locator(".site-header").get_by_role("link", name="Search").click()
    page.locator("main").get_by_label("Search our articles").fill(word)
    page.locator("main").get_by_role("button", name="Search").click()
    expect(page).to_have_url(f"{live_server.url}/search/?q={word}")
    expect(page.locator("#results-heading")).to_have_text(
        re.compile(rf"^\d+ results? for “{word}”$")
    )
    expect(page.locator("main .card__headline", has_text=lead.title)).to_have_count(1)
    screenshot("search")

    # A section, from the navigation.
    section = SectionPage.objects.live().in_menu().first()
    articles_in_section = live_articles().child_of(section).count()
    assert articles_in_section > 0
    navigation = page.get_by_role("navigation", name="Sections")
    navigation.get_by_role("link", name=section.title, exact=True).click()
    expect(page).to_have_url(live_server.url + section.url)
    expect(page.locator("h1")).to_have_text(section.title)
    expect(page.locator("main .card")).to_have_count(min(articles_in_section, ARTICLES_PER_PAGE))
    screenshot("section")
