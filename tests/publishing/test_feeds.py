"""The RSS 2.0 and Atom feeds: whole site, per section and per author."""

import datetime
import xml.etree.ElementTree as ET

import feedparser
import pytest
from wagtail.models import PageViewRestriction

from masthead.core.models import SiteSettings
from tests.publishing.factories import (
    make_article,
    make_author,
    make_image,
    make_section,
    make_site_tree,
)

ATOM_NS = "{http://www.w3.org/2005/Atom}"


def fetch(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    root = ET.fromstring(response.content)  # noqa: S314 - our own response, not untrusted
    return response, root, feedparser.parse(response.content)


@pytest.fixture
def outlet():
    tree = make_site_tree()
    settings = SiteSettings.for_site(tree.site)
    settings.outlet_name = "The Riverside Courier"
    settings.description = "Independent news for the river towns."
    settings.save()
    writer = make_author(tree.author_index, name="Sam Okafor")
    columnist = make_author(tree.author_index, name="Jo Lindqvist")
    opinion = make_section(tree.home, "Opinion")
    return tree, writer, columnist, opinion


@pytest.mark.django_db
def test_site_rss_feed_is_rss_2_with_the_outlet_and_its_articles(client, outlet):
    tree, writer, columnist, _opinion = outlet
    picture = make_image("Bridge at dusk", width=1600, height=900)
    article = make_article(
        tree.section,
        [writer, columnist],
        title="Bridge repairs to finish in spring",
        standfirst="Work on the old crossing is on schedule.",
        hero_image=picture,
        tags=["Transport", "Council"],
    )

    response, root, feed = fetch(client, "/feed/")

    assert response["Content-Type"].startswith("application/rss+xml")
    assert root.tag == "rss"
    assert root.attrib["version"] == "2.0"
    assert feed.version == "rss20"
    assert feed.feed.title == "The Riverside Courier"
    assert feed.feed.link == "http://localhost/"
    assert feed.feed.description == "Independent news for the river towns."
    assert len(feed.entries) == 1
    entry = feed.entries[0]
    assert entry.title == "Bridge repairs to finish in spring"
    assert entry.link == "http://localhost/news/bridge-repairs-to-finish-in-spring/"
    assert entry.description == "Work on the old crossing is on schedule."
    assert entry.author == "Sam Okafor, Jo Lindqvist"
    assert {tag.term for tag in entry.tags} == {"News", "Transport", "Council"}
    assert entry.id == f"tag:localhost,{article.first_published_at:%Y-%m-%d}:article-{article.pk}"
    published = datetime.datetime(*entry.published_parsed[:6], tzinfo=datetime.UTC)
    assert abs(published - article.first_published_at) < datetime.timedelta(seconds=1)
    enclosure = entry.enclosures[0]
    assert enclosure.href.startswith("http://localhost/media/images/")
    assert enclosure.type == "image/png"
    assert int(enclosure.length) > 0


@pytest.mark.django_db
def test_site_atom_feed_is_atom_1_with_updated_dates_and_authors(client, outlet):
    tree, writer, _columnist, _opinion = outlet
    make_article(tree.section, [writer], title="Library opening hours extended")

    response, root, feed = fetch(client, "/feed/atom/")

    assert response["Content-Type"].startswith("application/atom+xml")
    assert root.tag == f"{ATOM_NS}feed"
    assert feed.version == "atom10"
    assert feed.feed.title == "The Riverside Courier"
    entry = feed.entries[0]
    assert entry.title == "Library opening hours extended"
    assert entry.link == "http://localhost/news/library-opening-hours-extended/"
    assert entry.author == "Sam Okafor"
    assert entry.updated_parsed is not None
    assert entry.published_parsed is not None
    assert root.find(f"{ATOM_NS}entry/{ATOM_NS}id").text.startswith("tag:localhost,")


@pytest.mark.django_db
def test_feed_lists_the_newest_thirty_live_public_articles_only(client, outlet):
    tree, writer, _columnist, _opinion = outlet
    for number in range(32):
        make_article(tree.section, [writer], title=f"Council meeting notes {number}")
    draft = make_article(tree.section, [writer], title="Draft story not yet published")
    draft.unpublish()
    private = make_article(tree.section, [writer], title="Members only briefing")
    PageViewRestriction.objects.create(page=private, restriction_type="login")

    _response, _root, feed = fetch(client, "/feed/")

    titles = [entry.title for entry in feed.entries]
    assert len(titles) == 30
    assert titles[0] == "Council meeting notes 31"
    assert titles[-1] == "Council meeting notes 2"
    assert "Draft story not yet published" not in titles
    assert "Members only briefing" not in titles


@pytest.mark.django_db
def test_section_feeds_list_only_that_section(client, outlet):
    tree, writer, columnist, opinion = outlet
    make_article(tree.section, [writer], title="Flood defences approved")
    make_article(opinion, [columnist], title="Why the high street needs its market")

    _response, root, rss = fetch(client, "/feed/section/opinion/")
    _response, atom_root, atom = fetch(client, "/feed/section/opinion/atom/")

    assert root.tag == "rss"
    assert atom_root.tag == f"{ATOM_NS}feed"
    for feed in (rss, atom):
        assert feed.feed.title == "Opinion | The Riverside Courier"
        assert feed.feed.link == "http://localhost/opinion/"
        assert [entry.title for entry in feed.entries] == ["Why the high street needs its market"]
        assert {tag.term for tag in feed.entries[0].tags} == {"Opinion"}


@pytest.mark.django_db
def test_author_feeds_list_only_that_authors_articles(client, outlet):
    tree, writer, columnist, opinion = outlet
    make_article(tree.section, [writer], title="Flood defences approved")
    make_article(opinion, [columnist, writer], title="Two views on the bypass")
    make_article(opinion, [columnist], title="A column on allotments")

    _response, _root, rss = fetch(client, "/feed/author/sam-okafor/")
    _response, _root, atom = fetch(client, "/feed/author/sam-okafor/atom/")

    for feed in (rss, atom):
        assert feed.feed.title == "Sam Okafor | The Riverside Courier"
        assert feed.feed.link == "http://localhost/writers/sam-okafor/"
        assert [entry.title for entry in feed.entries] == [
            "Two views on the bypass",
            "Flood defences approved",
        ]


@pytest.mark.django_db
def test_empty_site_still_serves_valid_feeds(client):
    make_site_tree()

    _response, root, feed = fetch(client, "/feed/")
    _response, atom_root, atom = fetch(client, "/feed/atom/")

    assert root.tag == "rss"
    assert atom_root.tag == f"{ATOM_NS}feed"
    assert feed.entries == []
    assert atom.entries == []
    assert feed.feed.title == "Masthead"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/feed/section/no-such-section/",
        "/feed/section/no-such-section/atom/",
        "/feed/author/nobody/",
        "/feed/author/nobody/atom/",
        "/feed/section/sam-okafor/",
        "/feed/author/news/",
        "/feed/section/bad%20slug!/",
        "/feed/section/" + "x" * 5000 + "/",
    ],
)
def test_unknown_or_malformed_feed_slugs_are_404(client, outlet, url):
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_feed_of_unpublished_section_is_404(client, outlet):
    _tree, _writer, _columnist, opinion = outlet
    opinion.unpublish()

    assert client.get("/feed/section/opinion/").status_code == 404
