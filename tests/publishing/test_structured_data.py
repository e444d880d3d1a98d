"""JSON-LD structured data and the social-sharing metadata in each page's <head>."""

import json
import re
from html.parser import HTMLParser

import pytest

from masthead.core.models import SiteSettings
from masthead.publishing.templatetags.publishing_tags import json_ld_script
from tests.publishing.factories import (
    make_article,
    make_author,
    make_image,
    make_site_tree,
)


class HeadReader(HTMLParser):
    """Collects <meta>, <link> and JSON-LD <script> elements from a rendered page."""

    def __init__(self):
        super().__init__()
        self.meta = {}
        self.meta_lists = {}
        self.links = []
        self.json_ld = []
        self._in_json_ld = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta":
            key = attrs.get("property") or attrs.get("name")
            if key:
                self.meta.setdefault(key, attrs.get("content"))
                self.meta_lists.setdefault(key, []).append(attrs.get("content"))
        elif tag == "link":
            self.links.append(attrs)
        elif tag == "script" and attrs.get("type") == "application/ld+json":
            self._in_json_ld = True

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_json_ld = False

    def handle_data(self, data):
        if self._in_json_ld:
            self.json_ld.append(json.loads(data))

    def link(self, rel):
        return [link for link in self.links if link.get("rel") == rel]


def read_head(client, url):
    response = client.get(url)
    assert response.status_code == 200
    reader = HeadReader()
    reader.feed(response.content.decode())
    return reader


@pytest.fixture
def outlet():
    tree = make_site_tree()
    settings = SiteSettings.for_site(tree.site)
    settings.outlet_name = "The Fenland Ledger"
    settings.description = "Reader-funded news for the fens."
    settings.logo = make_image("Ledger logo", width=400, height=400)
    settings.x = "https://x.example/fenlandledger"
    settings.mastodon = "https://social.example/@ledger"
    settings.save()
    writer = make_author(tree.author_index, name="Tomasz Weller")
    return tree, writer


def test_json_ld_script_cannot_be_broken_out_of():
    hostile = {
        "headline": '</script><script>alert("x")</script>',
        "description": "Fish & chips <!-- comment --> ]]>",
    }

    html = json_ld_script(hostile)

    assert html.startswith('<script type="application/ld+json">')
    assert html.endswith("</script>")
    inner = html[len('<script type="application/ld+json">') : -len("</script>")]
    assert "<" not in inner
    assert ">" not in inner
    assert "&" not in inner
    assert json.loads(inner) == hostile


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("article_type", "schema_type", "genre"),
    [
        ("news", "NewsArticle", None),
        ("opinion", "OpinionNewsArticle", None),
        ("analysis", "AnalysisNewsArticle", None),
        ("explainer", "BackgroundNewsArticle", None),
        ("interview", "NewsArticle", "Interview"),
    ],
)
def test_article_json_ld_has_the_type_and_properties_for_its_article_type(
    client, outlet, article_type, schema_type, genre
):
    tree, writer = outlet
    article = make_article(
        tree.section,
        [writer],
        title="Drainage board sets new levy",
        standfirst="Households will pay more from April.",
        article_type=article_type,
        hero_image=make_image("Pumping station", width=1600, height=1000),
        tags=["Drainage", "Money"],
    )

    head = read_head(client, "/news/drainage-board-sets-new-levy/")

    assert len(head.json_ld) == 1
    data = head.json_ld[0]
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == schema_type
    assert data.get("genre") == genre
    assert data["headline"] == "Drainage board sets new levy"
    assert data["description"] == "Households will pay more from April."
    assert data["datePublished"] == article.first_published_at.isoformat()
    assert data["dateModified"] == article.last_published_at.isoformat()
    assert data["author"] == [
        {
            "@type": "Person",
            "name": "Tomasz Weller",
            "url": "http://localhost/writers/tomasz-weller/",
        }
    ]
    assert data["mainEntityOfPage"] == {
        "@type": "WebPage",
        "@id": "http://localhost/news/drainage-board-sets-new-levy/",
    }
    assert data["articleSection"] == "News"
    assert data["keywords"] == ["Drainage", "Money"]
    assert len(data["image"]) == 3
    assert all(url.startswith("http://localhost/media/images/") for url in data["image"])
    publisher = data["publisher"]
    assert publisher["@type"] == "Organization"
    assert publisher["name"] == "The Fenland Ledger"
    assert publisher["url"] == "http://localhost/"
    assert publisher["logo"]["@type"] == "ImageObject"
    assert publisher["logo"]["url"].startswith("http://localhost/media/images/")
    assert publisher["logo"]["width"] == 400


@pytest.mark.django_db
def test_article_without_image_or_tags_leaves_those_properties_out(client):
    tree = make_site_tree()
    writer = make_author(tree.author_index, name="Ada Brightwater")
    make_article(tree.section, [writer], title="Parish council meets")

    data = read_head(client, "/news/parish-council-meets/").json_ld[0]

    assert "image" not in data
    assert "keywords" not in data
    assert "logo" not in data["publisher"]
    assert data["publisher"]["name"] == "Masthead"


@pytest.mark.django_db
def test_editor_text_cannot_break_out_of_the_json_ld(client, outlet):
    tree, writer = outlet
    make_article(
        tree.section,
        [writer],
        title='Council says </script><script>alert("x")</script> & more',
        slug="hostile-headline",
    )

    response = client.get("/news/hostile-headline/")
    head = HeadReader()
    head.feed(response.content.decode())

    assert '<script>alert("x")' not in response.content.decode()
    assert head.json_ld[0]["headline"] == (
        'Council says </script><script>alert("x")</script> & more'
    )


@pytest.mark.django_db
def test_home_page_json_ld_is_the_organization_and_website(client, outlet):
    head = read_head(client, "/")

    organization, website = head.json_ld
    assert organization["@context"] == "https://schema.org"
    assert organization["@type"] == "Organization"
    assert organization["name"] == "The Fenland Ledger"
    assert organization["url"] == "http://localhost/"
    assert organization["description"] == "Reader-funded news for the fens."
    assert organization["sameAs"] == [
        "https://x.example/fenlandledger",
        "https://social.example/@ledger",
    ]
    assert organization["logo"]["url"].startswith("http://localhost/media/images/")
    assert website["@type"] == "WebSite"
    assert website["potentialAction"]["@type"] == "SearchAction"
    assert website["potentialAction"]["target"]["urlTemplate"] == (
        "http://localhost/search/?q={search_term_string}"
    )
    assert website["potentialAction"]["query-input"] == "required name=search_term_string"


@pytest.mark.django_db
def test_article_head_has_description_canonical_open_graph_and_twitter_tags(client, outlet):
    tree, writer = outlet
    article = make_article(
        tree.section,
        [writer],
        title="Fen road to reopen",
        standfirst="The causeway has been closed since the floods.",
        hero_image=make_image("Causeway", width=1600, height=1000),
        hero_alt_text="A flooded road between two fields",
        tags=["Roads"],
    )

    head = read_head(client, "/news/fen-road-to-reopen/")

    url = "http://localhost/news/fen-road-to-reopen/"
    assert head.meta["description"] == "The causeway has been closed since the floods."
    assert head.link("canonical") == [{"rel": "canonical", "href": url}]
    assert head.meta["og:type"] == "article"
    assert head.meta["og:title"] == "Fen road to reopen"
    assert head.meta["og:description"] == "The causeway has been closed since the floods."
    assert head.meta["og:url"] == url
    assert head.meta["og:site_name"] == "The Fenland Ledger"
    assert head.meta["og:image"].startswith("http://localhost/media/images/")
    assert head.meta["og:image"].endswith(".fill-1200x630.png")
    assert head.meta["og:image:alt"] == "A flooded road between two fields"
    assert head.meta["article:published_time"] == article.first_published_at.isoformat()
    assert head.meta_lists["article:author"] == ["http://localhost/writers/tomasz-weller/"]
    assert head.meta["article:section"] == "News"
    assert head.meta_lists["article:tag"] == ["Roads"]
    assert head.meta["twitter:card"] == "summary_large_image"
    assert head.meta["twitter:image"] == head.meta["og:image"]
    assert "robots" not in head.meta
    assert [link["href"] for link in head.link("alternate")] == ["/feed/"]


@pytest.mark.django_db
def test_section_and_author_pages_offer_their_own_feeds(client, outlet):
    _tree, _writer = outlet

    section = read_head(client, "/news/")
    author = read_head(client, "/writers/tomasz-weller/")

    assert [link["href"] for link in section.link("alternate")] == ["/feed/", "/feed/section/news/"]
    assert all(link["type"] == "application/rss+xml" for link in section.link("alternate"))
    assert section.meta["og:type"] == "website"
    assert section.meta["description"] == "The latest from the News desk."
    assert section.json_ld == []
    assert [link["href"] for link in author.link("alternate")] == [
        "/feed/",
        "/feed/author/tomasz-weller/",
    ]
    profile = author.json_ld[0]
    assert profile["@type"] == "ProfilePage"
    assert profile["mainEntity"]["@type"] == "Person"
    assert profile["mainEntity"]["name"] == "Tomasz Weller"
    assert profile["mainEntity"]["jobTitle"] == "Reporter"


@pytest.mark.django_db
def test_page_without_a_picture_shares_the_logo_as_a_small_card(client, outlet):
    tree, writer = outlet
    make_article(tree.section, [writer], title="Ferry times change")

    head = read_head(client, "/news/ferry-times-change/")

    assert re.match(
        r"http://localhost/media/images/[0-9a-f]{16}-ledger-logo\.", head.meta["og:image"]
    )
    assert head.meta["twitter:card"] == "summary"


@pytest.mark.django_db
def test_search_page_has_request_canonical_and_is_not_indexed(client, outlet):
    head = read_head(client, "/search/?q=fen")

    assert head.link("canonical") == [{"rel": "canonical", "href": "http://testserver/search/"}]
    assert head.meta["robots"] == "noindex"
    assert head.meta["og:title"] == "Search"
    assert head.meta["description"] == "Reader-funded news for the fens."
    assert head.json_ld == []
    assert [link["href"] for link in head.link("alternate")] == ["/feed/"]


@pytest.mark.django_db
def test_tag_page_has_its_own_title_and_description(client, outlet):
    tree, writer = outlet
    make_article(tree.section, [writer], title="Eel numbers recover", tags=["Wildlife"])

    head = read_head(client, "/tags/wildlife/")

    assert head.link("canonical") == [
        {"rel": "canonical", "href": "http://testserver/tags/wildlife/"}
    ]
    assert head.meta["og:title"] == "Wildlife"
    assert head.meta["description"] == "Articles about Wildlife"
    assert "robots" not in head.meta


@pytest.mark.django_db
def test_what_editors_typed_is_escaped_in_every_head_element(client, outlet):
    tree, writer = outlet
    hostile = 'Quay "works" <script>alert(1)</script> & more'
    make_article(
        tree.section,
        [writer],
        title=hostile,
        slug="quay-works",
        standfirst='Costs <b>rise</b> & "fall"',
        hero_image=make_image("Quay", width=1200, height=800),
        hero_alt_text='A "quay" <at> dusk & dawn',
        tags=["Roads & <rail>"],
    )
    response = client.get("/news/quay-works/")
    assert response.status_code == 200
    page = response.content.decode()
    head = page[: page.index("</head>")]
    assert "<script>alert" not in head and "<b>" not in head and "<rail>" not in head
    reader = HeadReader()
    reader.feed(page)
    assert reader.meta["og:title"] == hostile
    assert reader.meta["twitter:title"] == hostile
    assert reader.meta["description"] == 'Costs rise & "fall"'
    assert reader.meta["og:image:alt"] == 'A "quay" <at> dusk & dawn'
    assert reader.meta_lists["article:tag"] == ["Roads & <rail>"]
