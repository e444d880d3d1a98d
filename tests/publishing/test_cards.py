"""Article cards in listings: the byline and type label tags, the pictures and bylines a
listing fetches at once and only for the cards it renders afresh (``ListingBatch``), and
the section an article names without a query of its own."""

import re
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from masthead.core import fragments
from masthead.core.cache import invalidate_pages
from masthead.publishing.models import (
    ArticlePage,
    AuthorPage,
    kept_authors,
    live_articles,
    with_hero_renditions,
)
from tests.publishing.factories import (
    make_article,
    make_author,
    make_image,
    make_section,
    make_site_tree,
)


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def tree():
    return make_site_tree()


def render(source, **context):
    request = RequestFactory().get("/", HTTP_HOST="localhost")
    context.setdefault("request", request)
    return Template("{% load publishing_tags %}" + source).render(Context(context))


@pytest.mark.django_db
def test_byline_names_every_author_in_order_and_links_the_live_ones(tree):
    authors = [make_author(tree.author_index, name) for name in ("Ada Hill", "Bo Lake", "Cy Moor")]
    authors[1].unpublish()
    authors[1].refresh_from_db()
    assert render("{% byline authors %}", authors=authors) == (
        '<span class="byline">By <a href="/writers/ada-hill/" rel="author">Ada Hill</a>, '
        'Bo Lake and <a href="/writers/cy-moor/" rel="author">Cy Moor</a></span>'
    )
    assert render("{% byline authors %}", authors=authors[:1]) == (
        '<span class="byline">By <a href="/writers/ada-hill/" rel="author">Ada Hill</a></span>'
    )
    assert render("{% byline authors %}", authors=[]) == ""


@pytest.mark.django_db
def test_byline_escapes_what_editors_typed(tree):
    author = make_author(tree.author_index, "<b>Dee</b> & Co", slug="dee")
    html = render("{% byline authors %}", authors=[author])
    assert "&lt;b&gt;Dee&lt;/b&gt; &amp; Co</a>" in html
    assert "<b>" not in html


@pytest.mark.django_db
def test_byline_names_are_kept_per_address_and_follow_what_the_author_shows(tree):
    """An author's linked name is written once a second per site and address, not on every
    card; another host gets its own links, and an author shown differently (renamed,
    unpublished, a preview) is written afresh."""
    author = make_author(tree.author_index, "Ada Hill")
    here = RequestFactory().get("/", HTTP_HOST="localhost")
    first = render("{% byline authors %}", authors=[author], request=here)
    assert 'href="/writers/ada-hill/"' in first
    calls = []
    original = AuthorPage.get_url

    def counted(page, *args, **kwargs):
        calls.append(page.pk)
        return original(page, *args, **kwargs)

    AuthorPage.get_url = counted
    try:
        assert render("{% byline authors %}", authors=[author], request=here) == first
        assert calls == []
        elsewhere = RequestFactory().get("/", HTTP_HOST="127.0.0.1")
        render("{% byline authors %}", authors=[author], request=elsewhere)
        assert calls == [author.pk]
    finally:
        AuthorPage.get_url = original
    author.title = "Ada Hill-Moor"
    assert ">Ada Hill-Moor</a>" in render("{% byline authors %}", authors=[author], request=here)
    author.live = False
    assert render("{% byline authors %}", authors=[author], request=here) == (
        '<span class="byline">By Ada Hill-Moor</span>'
    )


@pytest.mark.django_db
def test_type_label_shows_every_type_but_plain_news(tree):
    news = make_article(tree.section, title="A plain report")
    opinion = make_article(tree.section, title="A view", article_type="opinion")
    assert render("{% type_label article %}", article=news) == ""
    assert render("{% type_label article %}", article=opinion) == (
        '<p class="type-label type-label--opinion">Opinion</p>'
    )
    opinion.article_type = "review"  # imported, or a type since retired
    assert render("{% type_label article %}", article=opinion) == (
        '<p class="type-label type-label--review">review</p>'
    )


@pytest.mark.django_db
def test_an_article_knows_its_section_without_asking_for_it(tree):
    culture = make_section(tree.home, "Culture", show_in_menus=False)
    in_news = make_article(tree.section, title="In the news section")
    in_culture = make_article(culture, title="In the culture section")
    assert ArticlePage.objects.get(pk=in_news.pk).section  # the sections are looked up once
    with CaptureQueriesContext(connection) as captured:
        news_section = ArticlePage.objects.get(pk=in_news.pk).section
        culture_section = ArticlePage.objects.get(pk=in_culture.pk).section
    # One query for each article itself and none for the sections, wherever they show.
    assert len(captured.captured_queries) == 2
    assert (news_section.pk, news_section.title) == (tree.section.pk, "News")
    assert (culture_section.pk, culture_section.title) == (culture.pk, "Culture")


def articles_for_cards(tree, count=5):
    authors = [make_author(tree.author_index, name) for name in ("Ada Hill", "Bo Lake")]
    for number in range(count):
        make_article(
            tree.section,
            authors[: 1 + number % 2],
            title=f"Market report {number}",
            hero_image=make_image(f"Stall {number}", 800, 600),
        )


@pytest.mark.django_db
def test_a_listing_fetches_its_cards_pictures_and_authors_once_when_a_card_needs_them(tree):
    articles_for_cards(tree)
    for article in ArticlePage.objects.select_related("hero_image"):
        article.hero_image.get_rendition("fill-400x267|format-webp")  # made once, as a visit would
    listing = list(with_hero_renditions(live_articles().child_of(tree.section)))
    # A card never shows the article's text: it is not read.
    assert all("body" in article.get_deferred_fields() for article in listing)
    with CaptureQueriesContext(connection) as captured:
        pictures = [article.card_image for article in listing]
        bylines = [[author.title for author in article.author_list] for article in listing]
    # The pictures, their renditions, and the bylines' links with their authors: three
    # queries for the whole listing, none per card.
    assert len(captured.captured_queries) == 3
    assert [picture.title for picture in pictures] == [f"Stall {n}" for n in (4, 3, 2, 1, 0)]
    assert bylines == [["Ada Hill"], ["Ada Hill", "Bo Lake"]] * 2 + [["Ada Hill"]]
    with CaptureQueriesContext(connection) as captured:
        for article in listing:
            assert article.card_image.get_rendition("fill-400x267|format-webp").url
    assert captured.captured_queries == []
    # The next listing finds the authors kept: the links alone are read, as ids.
    again = list(with_hero_renditions(live_articles().child_of(tree.section)))
    with CaptureQueriesContext(connection) as captured:
        assert [[author.title for author in article.author_list] for article in again] == bylines
        assert [article.card_image for article in again] == pictures
    assert len(captured.captured_queries) == 3
    assert "publishing_authorpage" not in " ".join(q["sql"] for q in captured.captured_queries)


@pytest.mark.django_db
def test_a_listing_reads_only_the_columns_cards_show_and_the_rest_at_once_if_asked(tree):
    articles_for_cards(tree, count=4)
    for number, article in enumerate(ArticlePage.objects.order_by("pk")):
        article.seo_title = f"Search title {number}"
        article.save_revision().publish()
    listing = list(with_hero_renditions(live_articles().child_of(tree.section)))
    # What a card shows is read with the listing; the other columns are not.
    with CaptureQueriesContext(connection) as captured:
        shown = [(a.title, a.standfirst, a.article_type, a.url_path) for a in listing]
    assert captured.captured_queries == []
    assert [title for title, *_ in shown] == [f"Market report {n}" for n in (3, 2, 1, 0)]
    assert all(
        {"seo_title", "search_description", "owner_id"} <= a.get_deferred_fields() for a in listing
    )
    # A card asked for anything else reads every other column but the text, for the whole
    # listing, in one query: not one query per card and per column.
    with CaptureQueriesContext(connection) as captured:
        seo_titles = [article.seo_title for article in listing]
        owners = [article.owner_id for article in listing]
        revisions = [article.latest_revision_id for article in listing]
    assert len(captured.captured_queries) == 1
    assert seo_titles == [f"Search title {n}" for n in (3, 2, 1, 0)]
    stored = {a.pk: a for a in ArticlePage.objects.all()}
    assert owners == [stored[a.pk].owner_id for a in listing]
    assert revisions == [stored[a.pk].latest_revision_id for a in listing]
    assert all(article.get_deferred_fields() == {"body"} for article in listing)
    # The text, which a card never shows, is still read as Django reads a deferred column.
    with CaptureQueriesContext(connection) as captured:
        assert str(listing[0].body) == str(stored[listing[0].pk].body)
    assert len(captured.captured_queries) == 1


@pytest.mark.django_db
def test_a_listing_reads_the_pictures_that_have_no_renditions_yet_by_themselves(tree):
    articles_for_cards(tree, count=3)
    first = ArticlePage.objects.select_related("hero_image").get(title="Market report 0")
    first.hero_image.get_rendition("fill-400x267|format-webp")
    listing = list(with_hero_renditions(live_articles().child_of(tree.section)))
    with CaptureQueriesContext(connection) as captured:
        pictures = [article.card_image for article in listing]
    # The pictures, their renditions (one picture has one), and the bylines.
    assert len(captured.captured_queries) == 3
    assert [picture.title for picture in pictures] == ["Stall 2", "Stall 1", "Stall 0"]
    assert [len(picture.prefetched_renditions) for picture in pictures] == [0, 0, 1]
    # A card's rendition comes from the batch when it exists, and is made when it does not.
    with CaptureQueriesContext(connection) as captured:
        assert listing[2].card_image.get_rendition("fill-400x267|format-webp").url
    assert captured.captured_queries == []
    assert listing[0].card_image.get_rendition("fill-400x267|format-webp").url


def card_bylines(tree):
    listing = with_hero_renditions(live_articles().child_of(tree.section))
    return [render("{% byline article.author_list %}", article=article) for article in listing]


@pytest.mark.django_db
def test_kept_authors_are_read_again_after_an_author_is_renamed_or_unpublished(tree):
    articles_for_cards(tree, count=2)
    assert card_bylines(tree)[1] == (
        '<span class="byline">By <a href="/writers/ada-hill/" rel="author">Ada Hill</a></span>'
    )
    # Kept: the same listing again reads no author page.
    with CaptureQueriesContext(connection) as captured:
        card_bylines(tree)
    assert "publishing_authorpage" not in " ".join(q["sql"] for q in captured.captured_queries)

    # A new name, published: the next listing shows it, within the same second.
    author = AuthorPage.objects.get(title="Ada Hill")
    author.title = "Ada Hill-Moor"
    author.save_revision().publish()
    assert "Ada Hill-Moor</a>" in card_bylines(tree)[1]

    # Unpublished: the name stays, without a link to a page readers can no longer open.
    AuthorPage.objects.get(pk=author.pk).unpublish()
    assert card_bylines(tree)[1] == '<span class="byline">By Ada Hill-Moor</span>'


@pytest.mark.django_db
def test_a_listing_reads_only_the_authors_not_kept_yet(tree):
    articles_for_cards(tree, count=2)
    before = card_bylines(tree)
    bo = AuthorPage.objects.get(title="Bo Lake")
    del kept_authors()[bo.pk]
    with CaptureQueriesContext(connection) as captured:
        assert card_bylines(tree) == before
    author_queries = [
        q["sql"] for q in captured.captured_queries if "publishing_authorpage" in q["sql"]
    ]
    assert len(author_queries) == 1
    assert f"IN ({bo.pk})" in author_queries[0]
    assert kept_authors()[bo.pk].title == "Bo Lake"


@pytest.mark.django_db
def test_kept_authors_last_until_a_change_and_at_most_a_minute(tree, monkeypatch):
    articles_for_cards(tree, count=2)
    now = [1000.0]
    monkeypatch.setattr(fragments.time, "monotonic", lambda: now[0])
    card_bylines(tree)
    # Changed behind the outlet's back (no signal, so no new generation): still the kept
    # name a few seconds later, the database's once EDITED_SECONDS have passed.
    AuthorPage.objects.filter(title="Bo Lake").update(title="Bo Lake-Hill")
    assert "Bo Lake</a>" in card_bylines(tree)[0]
    now[0] += 5
    assert "Bo Lake</a>" in card_bylines(tree)[0]
    now[0] += fragments.EDITED_SECONDS
    assert "Bo Lake-Hill</a>" in card_bylines(tree)[0]


@pytest.mark.django_db
def test_renaming_an_author_changes_the_kept_bylines_at_once(tree, monkeypatch):
    articles_for_cards(tree, count=2)
    now = [1000.0]
    monkeypatch.setattr(fragments.time, "monotonic", lambda: now[0])
    card_bylines(tree)
    author = AuthorPage.objects.get(title="Bo Lake")
    author.title = "Bo Lake-Hill"
    author.save_revision().publish()
    assert "Bo Lake-Hill</a>" in card_bylines(tree)[0]


@pytest.mark.django_db
def test_a_listing_whose_cards_are_all_kept_fetches_no_picture_or_author(client, tree, monkeypatch):
    monkeypatch.setattr(fragments, "FRAGMENT_SECONDS", 60)
    articles_for_cards(tree)
    assert client.get("/search/?q=market&from=test").status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/search/?q=market&from=test")
    assert response.status_code == 200
    tables = " ".join(query["sql"] for query in captured.captured_queries)
    assert "wagtailimages" not in tables
    assert "publishing_articleauthor" not in tables


def cards(html):
    return re.findall(r'<article class="card.*?</article>', html, flags=re.S)


@pytest.mark.django_db
def test_cards_kept_and_cards_rendered_afresh_side_by_side_are_the_same_cards(
    client, tree, settings, monkeypatch
):
    """The home page keeps the cards of its latest articles (all but the lead story); a
    search that lists them and the lead story renders the lead story's card afresh, with its
    picture and byline, and the page is the one rendered with nothing kept at all."""
    monkeypatch.setattr(fragments, "FRAGMENT_SECONDS", 60)
    articles_for_cards(tree, count=4)
    make_article(
        tree.section,
        [make_author(tree.author_index, "Cy Moor")],
        title="Market day moves to Thursday",
        hero_image=make_image("Thursday stalls", 800, 600),
    )
    invalidate_pages()
    assert client.get("/search/?q=market").status_code == 200  # makes the renditions
    invalidate_pages()
    assert "Market day moves to Thursday" in client.get("/").content.decode()  # the lead
    with CaptureQueriesContext(connection) as captured:
        mixed = client.get("/search/?q=market").content.decode()
    tables = " ".join(query["sql"] for query in captured.captured_queries)
    assert "wagtailimages_rendition" in tables  # for the one card rendered afresh
    settings.FRAGMENT_CACHE_SECONDS = 0
    fresh = client.get("/search/?q=market").content.decode()
    assert len(cards(mixed)) == 5
    assert cards(mixed) == cards(fresh)
    assert any("Market day moves to Thursday" in card for card in cards(mixed))
    for card in cards(mixed):
        assert "<img" in card
        assert 'class="byline"' in card


@pytest.mark.django_db
def test_a_card_escapes_what_editors_typed_and_shows_each_part_once(tree):
    article = make_article(
        tree.section,
        [make_author(tree.author_index, "Di <b>Vale</b>")],
        title='Quay "works" <script>alert(1)</script> & more',
        standfirst="Less <i>than</i> & greater",
        article_type=ArticlePage.ArticleType.ANALYSIS,
        hero_image=make_image("Quay", 800, 600),
    )
    html = render("{% article_card article %}", article=article)
    assert html.count('<article class="card">') == 1
    assert "<script>" not in html and "<b>" not in html and "<i>" not in html
    assert "Quay &quot;works&quot; &lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html
    assert '<p class="card__standfirst">Less &lt;i&gt;than&lt;/i&gt; &amp; greater</p>' in html
    assert "Di &lt;b&gt;Vale&lt;/b&gt;</a>" in html
    assert '<p class="type-label type-label--analysis">Analysis</p>' in html
    assert f'<h3 class="card__headline"><a href="{article.url}">' in html
    (img,) = re.findall(r"<img [^>]*>", html)
    assert 'alt="" ' in img and 'loading="lazy"' in img
    assert "fill-400x267" in img and "fill-800x533" in img and " 800w" in img
    assert re.search(r'<time datetime="[^"]+">\d{1,2} \w+ \d{4}</time></p>', html)


@pytest.mark.django_db
def test_a_compact_card_has_no_picture_or_standfirst_and_any_other_heading_is_h2(tree):
    article = make_article(
        tree.section,
        [make_author(tree.author_index, "Ed Fell")],
        title="Ferry fares frozen",
        standfirst="For a year.",
        hero_image=make_image("Ferry", 800, 600),
    )
    compact = render("{% article_card article compact=2 %}", article=article)
    assert compact.startswith('<article class="card card--compact">')
    assert "<img" not in compact and "card__standfirst" not in compact
    assert "type-label" not in compact  # plain news has no label
    assert "Ed Fell</a>" in compact
    full = render('{% article_card article heading="h2" compact=0 %}', article=article)
    assert full.startswith('<article class="card">')
    assert '<h2 class="card__headline">' in full and "</h2>" in full and "<img" in full


@pytest.mark.django_db
def test_a_card_is_kept_once_for_every_listing_and_renewed_by_a_change(tree, settings):
    settings.FRAGMENT_CACHE_SECONDS = 600
    article = make_article(tree.section, [make_author(tree.author_index, "Fay Holm")])
    first = render("{% article_card article %}", article=article)
    # Changed behind the outlet's back: the kept card is shown, here and in other processes
    # (which take it from the shared cache)...
    ArticlePage.objects.filter(pk=article.pk).update(title="Renamed behind the back")
    renamed = ArticlePage.objects.get(pk=article.pk)
    assert render("{% article_card article %}", article=renamed) == first
    fragments.rendered_fragments.clear()
    assert render("{% article_card article %}", article=renamed) == first
    # ...with a heading or a size of its own kept apart, and a new generation renders anew.
    assert "Renamed behind the back" in render(
        '{% article_card article heading="h2" %}', article=renamed
    )
    invalidate_pages()
    assert "Renamed behind the back" in render("{% article_card article %}", article=renamed)


@pytest.mark.django_db
def test_a_page_with_no_private_page_anywhere_asks_nothing_about_privacy(tree):
    from django.db.models.sql.compiler import SQLCompiler
    from wagtail.models import PageViewRestriction

    article = make_article(tree.section, [make_author(tree.author_index, "Gil Marsh")])
    restrictions = article.get_view_restrictions()
    compiled = []
    original = SQLCompiler.as_sql

    def as_sql(compiler, *args, **kwargs):
        compiled.append(compiler.query.model)
        return original(compiler, *args, **kwargs)

    with mock.patch.object(SQLCompiler, "as_sql", as_sql):
        assert list(restrictions) == []  # what Wagtail's check does with them
        assert not restrictions.exists()
    assert compiled == []
    # Still a queryset for the admin, and once a page is private, the page's own answer.
    assert list(restrictions.order_by("-page__depth")) == []
    PageViewRestriction.objects.create(page=article, restriction_type=PageViewRestriction.LOGIN)
    invalidate_pages()
    assert [each.page_id for each in article.get_view_restrictions()] == [article.pk]
