"""The export's WXR file: well-formed (read with defusedxml, as an importer must), WXR 1.2
with what WordPress's importer reads, and content that cannot break out of its CDATA."""

import io
from datetime import UTC, datetime

import pytest
from defusedxml import ElementTree

from masthead.publishing.models import ArticlePage
from masthead.transfer import wxr
from masthead.transfer.importing import run_import
from tests.publishing.factories import (
    make_article,
    make_author,
    make_image,
    make_section,
    make_site_tree,
)

pytestmark = pytest.mark.django_db

NS = wxr.NAMESPACES


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def written():
    stream = io.BytesIO()
    wxr.write_wxr(stream, now=datetime(2026, 3, 1, 12, tzinfo=UTC))
    return stream.getvalue()


def text(element, path):
    found = element.find(path, NS)
    return None if found is None else (found.text or "")


@pytest.fixture
def outlet():
    tree = make_site_tree("News")
    culture = make_section(tree.home, "Culture")
    author = make_author(tree.author_index, "Gwen Allard", public_email="gwen@example.org")
    picture = make_image("Quay at dawn", 40, 30)
    published = make_article(
        tree.section,
        [author],
        title="Ferry returns <after> a year",
        slug="ferry-returns",
        standfirst="Crossings resume on Monday & run hourly.",
        hero_image=picture,
        tags=["ferries", "transport"],
        body=[("paragraph", "<p>Tricky ]]> text and <b>bold</b> words.</p>")],
    )
    draft = make_article(culture, [author], title="Unfinished review", slug="unfinished")
    draft.unpublish()
    return published, draft, picture


def test_the_file_is_wxr_1_2_with_authors_categories_and_tags(outlet):
    root = ElementTree.fromstring(written())
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert text(channel, "wp:wxr_version") == "1.2"
    assert text(channel, "wp:base_site_url").startswith("http")
    assert text(channel, "wp:base_blog_url") == text(channel, "wp:base_site_url")
    authors = channel.findall("wp:author", NS)
    assert [(text(a, "wp:author_login"), text(a, "wp:author_display_name")) for a in authors] == [
        ("gwen-allard", "Gwen Allard")
    ]
    assert text(authors[0], "wp:author_email") == "gwen@example.org"
    categories = {
        text(category, "wp:category_nicename"): text(category, "wp:cat_name")
        for category in channel.findall("wp:category", NS)
    }
    assert categories == {"news": "News", "culture": "Culture"}
    tags = {text(tag, "wp:tag_slug") for tag in channel.findall("wp:tag", NS)}
    assert tags == {"ferries", "transport"}


def test_each_article_is_a_post_with_its_dates_slug_status_terms_and_body(outlet):
    published, draft, picture = outlet
    channel = ElementTree.fromstring(written()).find("channel")
    items = {text(item, "wp:post_id"): item for item in channel.findall("item")}
    post = items[str(published.pk)]
    assert text(post, "title") == "Ferry returns <after> a year"
    assert text(post, "wp:post_type") == "post"
    assert text(post, "wp:post_name") == "ferry-returns"
    assert text(post, "wp:status") == "publish"
    assert text(post, "dc:creator") == "gwen-allard"
    assert text(post, "excerpt:encoded") == "Crossings resume on Monday & run hourly."
    body = text(post, "content:encoded")
    assert "Tricky ]]> text" in body or "Tricky ]]&gt; text" in body
    assert "<b>bold</b>" in body
    gmt = published.first_published_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    assert text(post, "wp:post_date_gmt") == gmt
    assert text(post, "wp:post_date") not in ("", "0000-00-00 00:00:00")
    terms = {
        (category.get("domain"), category.get("nicename"), category.text)
        for category in post.findall("category")
    }
    assert terms == {
        ("category", "news", "News"),
        ("post_tag", "ferries", "ferries"),
        ("post_tag", "transport", "transport"),
    }
    meta = {
        text(entry, "wp:meta_key"): text(entry, "wp:meta_value")
        for entry in post.findall("wp:postmeta", NS)
    }
    attachment = items[meta["_thumbnail_id"]]
    assert text(attachment, "wp:post_type") == "attachment"
    assert text(attachment, "wp:post_parent") == str(published.pk)
    assert text(attachment, "wp:attachment_url").endswith(picture.file.name)
    assert text(attachment, "wp:attachment_url").startswith("http")

    assert text(items[str(draft.pk)], "wp:status") == "draft"
    assert text(items[str(draft.pk)], "wp:post_type") == "post"


def test_cdata_is_split_where_the_text_would_close_it():
    assert wxr.cdata("a]]>b") == "<![CDATA[a]]]]><![CDATA[>b]]>"
    root = ElementTree.fromstring(f"<x>{wxr.cdata('a]]>b')}</x>")
    assert root.text == "a]]>b"


def seconds(moment):
    return moment.replace(microsecond=0) if moment else None


def test_the_wordpress_importer_reads_our_own_file_back(outlet, tmp_path):
    """Titles, slugs, first publication (to the second: WXR's precision) and status."""
    path = tmp_path / "articles.wxr"
    path.write_bytes(written())
    before = {
        article.slug: (article.title, seconds(article.first_published_at), article.live)
        for article in ArticlePage.objects.all()
    }
    ArticlePage.objects.all().delete()

    report = run_import("wordpress", [path])

    assert report.failed == []
    after = {
        article.slug: (article.title, seconds(article.first_published_at), article.live)
        for article in ArticlePage.objects.all()
    }
    assert after.keys() == before.keys()
    assert after["ferry-returns"] == before["ferry-returns"]
    assert after["unfinished"][:1] == before["unfinished"][:1]
    assert after["unfinished"][2] is False
