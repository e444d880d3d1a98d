"""Rendering campaigns: article and digest content, absolute links and images, CSS inlined,
and personal parts that are escaped and never shared between readers."""

import pytest

from masthead.newsletter.models import Campaign, Newsletter
from masthead.newsletter.rendering import html_to_text, render_campaign
from tests.publishing.factories import make_article, make_author, make_image, make_site_tree

VALUES = {
    "name": "Dee <b>Bold</b>",
    "newsletter": "Daily briefing",
    "preferences_url": "https://news.example.org/p/1/",
    "unsubscribe_url": "https://news.example.org/u/1/",
}


@pytest.fixture
def tree(db):
    return make_site_tree()


@pytest.mark.django_db
def test_article_campaign_links_and_images_are_absolute(tree, settings):
    settings.SITE_URL = "https://news.example.org"
    author = make_author(tree.author_index)
    article = make_article(tree.section, [author], hero_image=make_image())
    campaign = Campaign.objects.create(
        subject="Bridge news", kind=Campaign.Kind.ARTICLE, article=article
    )

    html_part, text_part = render_campaign(campaign).personalise(VALUES)

    # Links to the site carry the campaign, so the visits it brings are attributed to it.
    article_url = f"https://news.example.org{article.url}?mh_campaign={campaign.pk}"
    assert f'href="{article_url}"' in html_part
    assert 'src="https://news.example.org/media/images/' in html_part
    assert "Bridge repairs to finish in spring" in text_part
    assert f"Read the full article: {article_url}" in text_part
    # CSS is inlined for mail clients that ignore <style>.
    assert 'style="' in html_part and "font-size: 26px" in html_part


@pytest.mark.django_db
def test_digest_lists_chosen_then_latest_articles(tree):
    first = make_article(tree.section, title="Library opens on Sundays")
    second = make_article(tree.section, title="New bus route for the east side")
    third = make_article(tree.section, title="Market square gets trees")
    campaign = Campaign.objects.create(
        subject="The week", kind=Campaign.Kind.DIGEST, digest_recent_count=1
    )
    campaign.digest_articles.set([first])

    text_part = render_campaign(campaign).text

    assert "Library opens on Sundays" in text_part
    assert "Market square gets trees" in text_part
    assert second.title not in text_part
    assert third.live


@pytest.mark.django_db
def test_personal_parts_are_escaped_in_html_and_plain_in_text(db):
    Newsletter.objects.create(name="Daily briefing", slug="daily")
    campaign = Campaign.objects.create(subject="Hi", intro="<p>Plain words.</p>")

    html_part, text_part = render_campaign(campaign).personalise(VALUES)

    assert "Hello Dee &lt;b&gt;Bold&lt;/b&gt;," in html_part
    assert "Hello Dee <b>Bold</b>," in text_part
    assert 'href="https://news.example.org/u/1/"' in html_part
    assert "Unsubscribe: https://news.example.org/u/1/" in text_part
    assert "%%mh-" not in html_part + text_part


def test_rich_text_becomes_readable_plain_text():
    value = (
        '<p>See <a href="https://example.org/a?x=1&amp;y=2">the report</a>.</p>'
        "<ul><li>One</li></ul>"
    )

    assert html_to_text(value) == "See the report (https://example.org/a?x=1&y=2).\n\n- One"
