"""What readers see on each kind of page: headlines, bylines, labels, sources, corrections,
share links, landmarks and alt text, and embeds that never break an article."""

import datetime
import html
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone
from wagtail.embeds.embeds import get_embed_hash
from wagtail.embeds.finders import get_finders
from wagtail.embeds.models import Embed

from masthead.core.models import SiteSettings
from masthead.newsletter.models import Newsletter
from masthead.publishing.models import (
    ArticleCorrection,
    ArticlePage,
    ArticleSource,
    CorrectionsPage,
    StandardPage,
)
from tests.publishing.factories import (
    add_child,
    every_block_body,
    make_article,
    make_author,
    make_image,
    make_section,
    make_site_tree,
)

UNREACHABLE_FINDERS = [
    {
        "class": "wagtail.embeds.finders.oembed",
        "providers": [
            {
                "endpoint": "http://127.0.0.1:9/oembed",
                "urls": [r"^https://video\.example/watch/.+$"],
            }
        ],
    }
]


class PageParts(HTMLParser):
    """Collects what the tests look for in a rendered page: every tag with its attributes."""

    def __init__(self, content):
        super().__init__()
        self.tags = []
        self.feed(content)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def find(self, tag, **attrs):
        return [
            found
            for name, found in self.tags
            if name == tag and all(found.get(key) == value for key, value in attrs.items())
        ]


@pytest.fixture(autouse=True)
def empty_cache():
    """Start every test with an empty cache: no whole pages or embed failures kept from
    another test (their invalidation runs on commit, which tests never reach)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def tree():
    return make_site_tree()


@pytest.fixture
def site_settings(tree):
    settings = SiteSettings.for_site(tree.site)
    settings.outlet_name = "The Valley Courier"
    settings.strapline = "Local news, paid for by local readers"
    settings.bluesky = "https://bsky.app/profile/valleycourier.example"
    settings.mastodon = "https://social.example/@courier"
    settings.newsletter_url = "/newsletter/"
    settings.donate_url = "/support/"
    settings.save()
    return settings


@pytest.fixture
def full_article(tree):
    """An opinion piece by two writers with every block, a hero, tags, sources and both a
    correction and an update."""
    first = make_author(tree.author_index, "Sam Whitfield", role="Reporter")
    second = make_author(tree.author_index, "Rowan Ashby", role="Volunteer contributor")
    return make_article(
        tree.section,
        [first, second],
        title="Why the river path needs lighting",
        standfirst="A safer route home would cost less than the council thinks.",
        article_type=ArticlePage.ArticleType.OPINION,
        hero_image=make_image("Path at night"),
        hero_alt_text="A dark footpath beside a river under a single street lamp",
        hero_caption="The river path after sunset.",
        hero_credit="Illustration: Test Desk",
        body=every_block_body(make_image("Reading room")),
        tags=["Street lighting"],
        sources=[
            ArticleSource(
                title="Footpath lighting review",
                publisher="Example Borough Council",
                url="https://www.example.org/lighting-review",
                date=datetime.date(2026, 2, 14),
            )
        ],
        corrections=[
            ArticleCorrection(
                kind=ArticleCorrection.Kind.CORRECTION,
                date=datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC),
                text="An earlier version gave the wrong length for the path.",
            ),
            ArticleCorrection(
                kind=ArticleCorrection.Kind.UPDATE,
                date=datetime.datetime(2026, 3, 5, 16, 0, tzinfo=datetime.UTC),
                text="The council has now published its costings.",
            ),
        ],
    )


def get_page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, url
    return response.content.decode()


@pytest.mark.django_db
def test_article_shows_headline_label_byline_and_section(client, full_article):
    content = get_page(client, full_article.url)
    assert '<h1 class="article__headline">Why the river path needs lighting</h1>' in content
    assert "A safer route home would cost less than the council thinks." in content
    assert '<p class="type-label type-label--opinion">Opinion</p>' in content
    assert (
        'By <a href="/writers/sam-whitfield/" rel="author">Sam Whitfield</a> and '
        '<a href="/writers/rowan-ashby/" rel="author">Rowan Ashby</a>'
    ) in content
    assert '<a class="article__section" href="/news/">News</a>' in content
    assert 'Updated <time datetime="2026-03-05T16:00:00+00:00">5 March 2026, 16:00</time>' in (
        content
    )
    assert '<a href="/tags/street-lighting/" rel="tag">Street lighting</a>' in content


@pytest.mark.django_db
def test_article_lists_sources_and_corrections(client, full_article):
    content = get_page(client, full_article.url)
    assert (
        '<a href="https://www.example.org/lighting-review">Footpath lighting review</a>, '
        'Example Borough Council, <time datetime="2026-02-14">14 February 2026</time>'
    ) in content
    corrections = content[content.index('id="corrections"') :]
    assert corrections.index("<strong>Correction</strong>") < corrections.index(
        "<strong>Update</strong>"
    )
    assert "An earlier version gave the wrong length for the path." in corrections
    assert "The council has now published its costings." in corrections
    assert '<a href="#corrections">' in content


@pytest.mark.django_db
def test_article_share_links_are_plain_urls(client, full_article):
    parts = PageParts(get_page(client, full_article.url))
    url = "http%3A%2F%2Flocalhost%2Fnews%2Fwhy-the-river-path-needs-lighting%2F"
    title = "Why+the+river+path+needs+lighting"
    hrefs = [tag["href"] for tag in parts.find("a") if "share__link" in tag.get("class", "")]
    assert hrefs == [
        f"https://x.com/intent/post?url={url}&text={title}",
        f"https://www.facebook.com/sharer/sharer.php?u={url}",
        f"https://wa.me/?text={title}+{url}",
        f"https://bsky.app/intent/compose?text={title}+{url}",
        f"mailto:?subject=Why%20the%20river%20path%20needs%20lighting&body={url}",
    ]


@pytest.mark.django_db
def test_article_images_are_responsive_with_alt_text(client, full_article):
    parts = PageParts(get_page(client, full_article.url))
    hero = parts.find("img", alt="A dark footpath beside a river under a single street lamp")
    assert len(hero) == 1
    assert "640w" in hero[0]["srcset"]
    assert parts.find("source", type="image/webp")
    body_image = parts.find("img", alt="Readers at long tables in a bright reading room")
    assert len(body_image) == 1
    assert ".webp 480w" in body_image[0]["srcset"]


@pytest.mark.django_db
def test_article_body_renders_every_block(client, full_article):
    content = get_page(client, full_article.url)
    assert "<h2>What changes</h2>" in content
    assert "The reading room after its refit." in content
    assert '<aside class="pull-quote"><p>Sunday is when most people have time to read.</p>' in (
        content
    )
    assert '<blockquote cite="https://www.example.org/statement">' in content
    assert "<cite>A spokesperson</cite>" in content
    assert "Example Borough Libraries" in content
    assert '<p class="statistic__figure">38%</p>' in content
    assert '<a href="https://www.example.org/survey">Library footfall survey</a>' in content
    assert '<aside class="callout callout--key" aria-label="Opening hours">' in content


@pytest.mark.django_db
def test_embed_that_cannot_be_fetched_becomes_a_link_card(client, settings, tree):
    settings.WAGTAILEMBEDS_FINDERS = UNREACHABLE_FINDERS
    # The URL is one the configured provider claims, so the page really asks 127.0.0.1:9.
    assert get_finders()[0].accept("https://video.example/watch/42")
    article = make_article(
        tree.section,
        title="A tour of the new reading room",
        body=every_block_body(make_image(), embed_url="https://video.example/watch/42"),
    )
    parts = PageParts(get_page(client, article.url))
    cards = parts.find("a", **{"class": "embed-card__link"})
    assert [card["href"] for card in cards] == ["https://video.example/watch/42"]
    assert not parts.find("iframe")
    assert not Embed.objects.filter(url="https://video.example/watch/42").exists()


@pytest.mark.django_db
def test_embed_card_without_title_shows_the_host(settings):
    settings.WAGTAILEMBEDS_FINDERS = UNREACHABLE_FINDERS
    content = render_to_string(
        "core/blocks/embed_block.html",
        {"value": {"url": "https://www.video.example/watch/7", "title": "", "caption": ""}},
    )
    assert '<span class="embed-card__title">video.example</span>' in content


@pytest.mark.django_db
def test_embed_from_a_provider_not_allowed_stays_a_link_even_when_wagtail_knows_it(client, tree):
    url = "https://video.example/watch/99"
    Embed.objects.create(
        url=url,
        hash=get_embed_hash(url),
        type="video",
        html='<iframe src="https://video.example/embed/99" title="Council meeting"></iframe>',
        width=640,
        height=360,
        last_updated=timezone.now(),
    )
    article = make_article(
        tree.section, title="The council meeting in full", body=every_block_body(make_image(), url)
    )
    parts = PageParts(get_page(client, article.url))

    assert [card["href"] for card in parts.find("a", **{"class": "embed-card__link"})] == [url]
    assert parts.find("figure", **{"class": "embed-card"}) == [{"class": "embed-card"}]
    assert not parts.find("iframe")


@pytest.mark.django_db
def test_embed_from_an_allowed_provider_is_a_link_card_that_plays_after_a_click(client, tree):
    url = "https://www.youtube.com/watch?v=aqz-KE-bpKQ&t=42"
    article = make_article(
        tree.section, title="The council meeting in full", body=every_block_body(make_image(), url)
    )
    content = get_page(client, article.url)
    parts = PageParts(content)

    assert not parts.find("iframe")
    assert [card["href"] for card in parts.find("a", **{"class": "embed-card__link"})] == [url]
    assert parts.find("figure", **{"class": "embed-card embed-card--video"}) == [
        {
            "class": "embed-card embed-card--video",
            "data-embed-player": "https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ?autoplay=1",
            "data-embed-sandbox": "allow-scripts allow-same-origin allow-presentation allow-popups",
            "data-embed-allow": "autoplay; encrypted-media; fullscreen; picture-in-picture",
            "data-embed-title": "Video tour of the reading room",
        }
    ]
    assert parts.find("p", **{"class": "embed-card__play", "hidden": None})
    assert "Play the video here" in content
    assert "Loads YouTube's player, which may set cookies." in content
    assert "<figcaption>A tour filmed by library staff.</figcaption>" in content
    assert parts.find("script", src="/static/js/embeds.js")


@pytest.mark.django_db
def test_every_page_has_landmarks_skip_link_and_no_csrf_token(client, site_settings, tree):
    author = make_author(tree.author_index, photo=make_image("Portrait"))
    article = make_article(tree.section, [author], hero_image=make_image(), tags=["Roads"])
    about = add_child(tree.home, StandardPage(title="About us", slug="about"))
    corrections = add_child(tree.home, CorrectionsPage(title="Corrections", slug="corrections"))
    urls = [
        "/",
        tree.section.url,
        article.url,
        tree.author_index.url,
        author.url,
        about.url,
        corrections.url,
        "/search/?q=bridge",
        "/tags/roads/",
    ]
    for url in [*urls, "/no-such-page/"]:
        content = get_page(client, url, status=404 if url == "/no-such-page/" else 200)
        parts = PageParts(content)
        assert parts.find("html", lang="en-GB"), url
        assert parts.find("a", href="#main", **{"class": "skip-link"}), url
        assert parts.find("main", id="main"), url
        assert parts.find("header", **{"class": "site-header"}), url
        assert parts.find("nav", **{"aria-label": "Sections"}), url
        assert parts.find("footer", **{"class": "site-footer"}), url
        assert len(parts.find("h1")) == 1, url
        assert all("alt" in image for _tag, image in parts.tags if _tag == "img"), url
        assert "csrfmiddlewaretoken" not in content, url


@pytest.mark.django_db
def test_header_and_footer_show_outlet_navigation_and_links(client, site_settings, tree):
    make_section(tree.home, "Culture")
    make_section(tree.home, "Hidden desk", show_in_menus=False)
    add_child(tree.home, StandardPage(title="Editorial standards", slug="standards"))
    add_child(tree.home, CorrectionsPage(title="Corrections and clarifications", slug="fixes"))
    content = get_page(client, "/news/")
    parts = PageParts(content)
    assert "The Valley Courier" in content
    assert '<p class="strapline">Local news, paid for by local readers</p>' in content
    assert parts.find("a", href="/news/", **{"aria-current": "page"})
    assert parts.find("a", href="/culture/")
    assert not parts.find("a", href="/hidden-desk/")
    assert len(parts.find("a", href="https://social.example/@courier")) == 2
    assert parts.find("a", href="/standards/")
    assert parts.find("a", href="/fixes/")
    assert parts.find("a", href="/feed/")
    assert parts.find("a", href="/newsletter/")
    assert parts.find("a", href="/support/")
    assert parts.find("form", action="/search/", method="get", role="search")


@pytest.mark.django_db
def test_home_page_leads_with_newest_story_and_shows_calls_to_action(client, site_settings, tree):
    Newsletter.objects.create(name="Daily briefing", slug="daily")
    culture = make_section(tree.home, "Culture")
    make_article(tree.section, title="Older story", slug="older")
    make_article(culture, title="Theatre season announced", hero_image=make_image())
    content = get_page(client, "/")
    lead = content[content.index('class="lead-story"') : content.index('id="latest-heading"')]
    assert "Theatre season announced" in lead
    latest = content[content.index('id="latest-heading"') :]
    assert '<a href="/news/older/">Older story</a>' in latest
    assert '<h2 id="rail-culture" class="section-heading"><a href="/culture/">Culture</a></h2>' in (
        content
    )
    assert '<h2 id="home-signup-heading">Sign up to our newsletter</h2>' in content
    assert 'action="/newsletter/subscribe/"' in content
    assert '<h2 id="home-donate-heading">Support our journalism</h2>' in content
    assert 'action="/support/"' in content
    assert "<title>The Valley Courier: Local news, paid for by local readers</title>" in content


@pytest.mark.django_db
def test_newsletter_sign_up_is_left_out_while_there_is_no_newsletter_to_join(client, tree):
    Newsletter.objects.all().delete()
    make_article(tree.section)
    content = get_page(client, "/")
    assert "newsletter-signup" not in content


@pytest.mark.django_db
def test_section_page_paginates_with_prev_and_next_links(client, tree):
    for number in range(21):
        make_article(tree.section, title=f"Council notice {number}", slug=f"notice-{number}")
    first = get_page(client, "/news/")
    assert first.count('class="card__headline"') == 20
    assert '<a class="pagination__next" rel="next" href="?page=2">' in first
    assert "pagination__prev" not in first
    second = get_page(client, "/news/?page=2")
    assert second.count('class="card__headline"') == 1
    assert '<a class="pagination__prev" rel="prev" href="?page=1">' in second
    assert "pagination__next" not in second
    get_page(client, "/news/?page=3", status=404)
    get_page(client, "/news/?page=two", status=404)


@pytest.mark.django_db
def test_listing_card_shows_label_byline_date_and_decorative_thumbnail(client, tree):
    author = make_author(tree.author_index, "Jo Penrose")
    make_article(
        tree.section,
        [author],
        title="How the budget is set",
        article_type=ArticlePage.ArticleType.EXPLAINER,
        hero_image=make_image(),
    )
    content = get_page(client, "/news/")
    parts = PageParts(content)
    card = content[content.index('<article class="card">') :]
    assert '<p class="type-label type-label--explainer">Explainer</p>' in card
    assert '<h2 class="card__headline"><a href="/news/how-the-budget-is-set/">' in card
    assert '<a href="/writers/jo-penrose/" rel="author">Jo Penrose</a>' in card
    thumbnails = [image for image in parts.find("img") if "fill-400x267" in image["src"]]
    assert len(thumbnails) == 1
    assert thumbnails[0]["alt"] == ""


@pytest.mark.django_db
def test_author_page_shows_profile_links_feed_and_articles(client, tree):
    author = make_author(
        tree.author_index,
        "Dana Marsh",
        role="Community reporter",
        bio="<p>Dana writes about schools and the high street.</p>",
        photo=make_image("Dana portrait"),
        mastodon="https://social.example/@dana",
        public_email="dana@example.org",
    )
    make_article(tree.section, [author], title="School run changes")
    content = get_page(client, author.url)
    parts = PageParts(content)
    assert "<h1>Dana Marsh</h1>" in content
    assert '<p class="profile__role">Community reporter</p>' in content
    assert "Dana writes about schools and the high street." in content
    assert parts.find("img", alt="Dana Marsh")
    assert parts.find("a", href="https://social.example/@dana", rel="me")
    assert parts.find("a", href="mailto:dana@example.org")
    assert parts.find("a", href="/feed/author/dana-marsh/")
    assert "School run changes" in content


@pytest.mark.django_db
def test_author_index_lists_writers(client, tree):
    make_author(tree.author_index, "Lee Carver", role="Editor")
    content = get_page(client, tree.author_index.url)
    assert '<a href="/writers/lee-carver/">Lee Carver</a>' in content
    assert '<p class="author-card__role">Editor</p>' in content


@pytest.mark.django_db
def test_corrections_page_lists_entries_with_article_links(client, full_article, tree):
    corrections = add_child(
        tree.home,
        CorrectionsPage(title="Corrections", slug="corrections", introduction="<p>Our record.</p>"),
    )
    content = get_page(client, corrections.url)
    assert "Our record." in content
    assert content.index("The council has now published its costings.") < content.index(
        "An earlier version gave the wrong length for the path."
    )
    assert (
        '<a href="/news/why-the-river-path-needs-lighting/#corrections">'
        "Why the river path needs lighting</a>"
    ) in content
    assert "<strong>Update</strong>" in content


@pytest.mark.django_db
def test_standard_page_shows_introduction_and_body(client, tree):
    page = add_child(
        tree.home,
        StandardPage(
            title="Editorial standards",
            slug="standards",
            introduction="How we report.",
            body=[("paragraph", "<p>We correct mistakes openly.</p>")],
        ),
    )
    content = get_page(client, page.url)
    assert "<h1>Editorial standards</h1>" in content
    assert "How we report." in content
    assert "<p>We correct mistakes openly.</p>" in content


def render_search(tree, **context):
    request = RequestFactory().get("/search/", {"q": context.get("query", "")})
    return render_to_string("publishing/search.html", context, request=request)


@pytest.mark.django_db
def test_search_template_shows_count_results_and_keeps_query_in_page_links(tree):
    for number in range(3):
        make_article(tree.section, title=f"Flood defence update {number}", slug=f"flood-{number}")
    results = Paginator(ArticlePage.objects.order_by("pk"), 2).page(1)
    content = render_search(tree, query="flood", results=results, error=None)
    assert "3 results for “flood”" in content
    assert content.count('class="card__headline"') == 2
    assert 'href="?q=flood&amp;page=2"' in content
    assert 'value="flood"' in content


@pytest.mark.django_db
def test_search_template_says_when_nothing_matched_and_shows_errors(tree):
    empty = Paginator(ArticlePage.objects.none(), 20).page(1)
    content = render_search(tree, query="zebra", results=empty, error=None)
    assert "0 results for “zebra”" in content
    assert "No articles matched your search." in content
    content = render_search(tree, query="x" * 10, results=None, error="Your search is too long.")
    assert '<p class="notice notice--error" role="alert">Your search is too long.</p>' in content
    assert "results for" not in content


@pytest.mark.django_db
def test_search_escapes_what_the_reader_typed(client, tree):
    content = get_page(client, "/search/?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
    assert "<script>alert(1)</script>" not in content
    assert html.escape("<script>alert(1)</script>") in content


@pytest.mark.django_db
def test_tag_page_lists_tagged_articles(client, tree):
    make_article(tree.section, title="New bus timetable", tags=["Buses"])
    make_article(tree.section, title="Library hours", slug="library-hours")
    content = get_page(client, "/tags/buses/")
    assert "<h1>Buses</h1>" in content
    assert "New bus timetable" in content
    assert "Library hours" not in content


@pytest.mark.django_db
def test_not_found_page_offers_search_and_front_page(client, tree):
    content = get_page(client, "/no-such-story/", status=404)
    assert "<h1>Page not found</h1>" in content
    assert 'action="/search/"' in content


@pytest.mark.django_db
def test_server_error_page_renders_without_request_or_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        content = render_to_string("500.html")
    assert '<html lang="en-GB">' in content
    assert "<h1>Something went wrong</h1>" in content


@pytest.mark.django_db
def test_type_label_is_not_repeated_for_plain_news_or_its_own_section(client, tree):
    news = make_article(tree.section, title="Bins collected on Tuesday")
    opinion_section = make_section(tree.home, "Opinion")
    column = make_article(
        opinion_section,
        title="Keep the Tuesday market",
        article_type=ArticlePage.ArticleType.OPINION,
    )
    assert "type-label" not in get_page(client, news.url)
    column_page = get_page(client, column.url)
    assert '<a class="article__section" href="/opinion/">Opinion</a>' in column_page
    assert "type-label--opinion" not in column_page
