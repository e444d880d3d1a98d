"""The content model's own behaviour: listings, lead story, dates, sections and authors."""

import datetime

import pytest
from django.utils import timezone

from masthead.publishing.models import ArticleCorrection, ArticlePage, HomePage, live_articles
from tests.publishing.factories import make_article, make_author, make_section, make_site_tree

pytestmark = pytest.mark.django_db


def backdate(article, days):
    """Pretend ``article`` first went live ``days`` ago, as listings order by that date."""
    when = timezone.now() - datetime.timedelta(days=days)
    ArticlePage.objects.filter(pk=article.pk).update(first_published_at=when)
    article.refresh_from_db()
    return article


def test_live_articles_lists_newest_first_and_leaves_out_drafts():
    tree = make_site_tree()
    older = backdate(make_article(tree.section, title="Older story"), days=3)
    newer = backdate(make_article(tree.section, title="Newer story"), days=1)
    draft = make_article(tree.section, title="Draft story")
    draft.unpublish()

    assert list(live_articles()) == [newer, older]


def test_home_page_leads_with_the_newest_article_when_no_lead_is_chosen(client):
    tree = make_site_tree()
    backdate(make_article(tree.section, title="Yesterday's story"), days=1)
    newest = make_article(tree.section, title="Today's story")

    response = client.get("/")

    assert response.context["lead_story"] == newest
    assert newest not in response.context["latest_articles"]


def test_home_page_ignores_a_chosen_lead_story_that_was_unpublished(client):
    tree = make_site_tree()
    chosen = backdate(make_article(tree.section, title="Chosen lead"), days=2)
    fallback = make_article(tree.section, title="Fallback lead")
    tree.home.lead_story = chosen
    tree.home.save_revision().publish()
    chosen.unpublish()

    response = client.get("/")

    assert response.context["lead_story"] == fallback


def test_home_page_has_a_rail_per_section_with_its_own_articles(client):
    tree = make_site_tree()
    culture = make_section(tree.home, "Culture")
    news_story = make_article(tree.section, title="Council meets")
    culture_story = make_article(culture, title="Theatre season opens")

    rails = dict(client.get("/").context["section_rails"])

    assert rails[tree.section] == [news_story]
    assert rails[culture] == [culture_story]


@pytest.mark.parametrize("newest_read", [100, 3])
def test_each_rail_has_its_sections_four_newest_however_rarely_it_publishes(
    client, monkeypatch, newest_read
):
    """The rails are picked from the newest articles; a section with too few among them
    (the 13 latest alone are read in the second run) has its own newest found apart."""
    monkeypatch.setattr(HomePage, "NEWEST_READ", newest_read)
    tree = make_site_tree()
    culture = make_section(tree.home, "Culture")
    culture_stories = [
        backdate(make_article(culture, title=f"Review {number}"), days=20 + number)
        for number in range(5)
    ]
    news_stories = [
        backdate(make_article(tree.section, title=f"Story {number}"), days=number)
        for number in range(14)
    ]

    response = client.get("/")
    rails = dict(response.context["section_rails"])

    assert rails[tree.section] == news_stories[:4]
    assert rails[culture] == culture_stories[:4]
    assert response.context["lead_story"] == news_stories[0]
    assert response.context["latest_articles"] == news_stories[1:13]


def test_a_chosen_lead_story_among_the_rails_is_the_listings_own(client):
    tree = make_site_tree()
    culture = make_section(tree.home, "Culture")
    chosen = backdate(make_article(culture, title="Chosen lead"), days=3)
    for number in range(14):
        make_article(tree.section, title=f"Story {number}")
    tree.home.lead_story = chosen
    tree.home.save_revision().publish()

    response = client.get("/")
    rails = dict(response.context["section_rails"])

    lead = response.context["lead_story"]
    assert lead == chosen
    assert lead.listing_batch is rails[culture][0].listing_batch  # read with the cards
    assert response.context["lead_story"] not in response.context["latest_articles"]


def test_article_knows_its_section_authors_and_latest_update():
    tree = make_site_tree()
    first = make_author(tree.author_index, name="Sam Reed")
    second = make_author(tree.author_index, name="Priya Lane")
    article = make_article(tree.section, authors=[first, second])
    earlier = timezone.now() - datetime.timedelta(days=2)
    later = timezone.now() - datetime.timedelta(hours=1)
    ArticleCorrection.objects.create(article=article, kind="update", date=later, text="Added.")
    ArticleCorrection.objects.create(
        article=article, kind="correction", date=earlier, text="Fixed."
    )

    article = ArticlePage.objects.get(pk=article.pk)

    assert article.section.specific == tree.section
    assert article.author_list == [first, second]
    assert article.updated_at == later
    assert [entry.kind for entry in article.dated_entries] == ["correction", "update"]


def test_article_without_corrections_has_no_updated_date():
    tree = make_site_tree()
    assert make_article(tree.section).updated_at is None


def test_author_page_lists_only_that_authors_live_articles(client):
    tree = make_site_tree()
    sam = make_author(tree.author_index, name="Sam Reed")
    other = make_author(tree.author_index, name="Priya Lane")
    mine = make_article(tree.section, authors=[sam], title="Sam's story")
    make_article(tree.section, authors=[other], title="Priya's story")
    withdrawn = make_article(tree.section, authors=[sam], title="Withdrawn story")
    withdrawn.unpublish()

    response = client.get(sam.url)

    assert list(response.context["articles"]) == [mine]


@pytest.mark.parametrize("page_number", ["0", "3", "two", "-1", "1e3", "9" * 40])
def test_section_listing_answers_404_for_pages_that_do_not_exist(client, page_number):
    tree = make_site_tree()
    make_article(tree.section)

    response = client.get(tree.section.url, {"page": page_number})

    assert response.status_code == 404


def test_section_listing_paginates_twenty_articles_a_page(client):
    tree = make_site_tree()
    for number in range(21):
        make_article(tree.section, title=f"Story number {number}", slug=f"story-{number}")

    first = client.get(tree.section.url)
    second = client.get(tree.section.url, {"page": "2"})

    assert len(first.context["articles"]) == 20
    assert len(second.context["articles"]) == 1
    assert second.context["articles"].has_next() is False


def test_an_article_read_from_the_database_is_built_as_django_builds_it():
    """``ArticlePage.from_db`` skips the page and cluster constructors, which add nothing to
    a row: an article it builds must be the one Django's own ``from_db`` builds, whole, in
    part (a listing's columns) or with columns deferred, so an upgrade of Wagtail or
    modelcluster that gives those constructors work for rows fails here."""
    from django.db import models

    tree = make_site_tree()
    author = make_author(tree.author_index, "Ada Hill")
    article = make_article(
        tree.section, [author], title="Harbour wall repaired", article_type="analysis"
    )
    fields = [field.attname for field in ArticlePage._meta.concrete_fields]
    row = ArticlePage.objects.filter(pk=article.pk).values_list(*fields).get()
    shapes = [fields, ["id", "path", "depth", "title", "article_type"], ["id", "title"]]
    for names in shapes:
        values = [value for name, value in zip(fields, row, strict=True) if name in names]
        ours = ArticlePage.from_db("default", names, values)
        djangos = models.Model.from_db.__func__(ArticlePage, "default", names, values)
        assert type(ours) is ArticlePage
        state = ("_state",)
        assert {k: v for k, v in ours.__dict__.items() if k not in state} == {
            k: v for k, v in djangos.__dict__.items() if k not in state
        }
        assert (ours._state.adding, ours._state.db) == (False, "default")
        assert (djangos._state.adding, djangos._state.db) == (False, "default")
        assert ours.get_deferred_fields() == djangos.get_deferred_fields()
    read = ArticlePage.objects.get(pk=article.pk)
    assert (read.title, read.article_type, read.section) == (
        "Harbour wall repaired",
        "analysis",
        tree.section,
    )
    # Child relations still work on a row built this way (modelcluster's own managers).
    assert [link.author for link in read.article_authors.all()] == [author]


@pytest.mark.django_db
def test_the_home_pages_newest_articles_are_read_the_way_each_database_plans_best(
    django_capture_on_commit_callbacks,
):
    """The query of the newest articles compares the page's type as an expression on SQLite
    (which has no statistics and would otherwise read every article through the type's
    index) and as the column on PostgreSQL (whose statistics then read the newest through
    the date's index; for the expression it guessed a few rows and sorted every page)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with django_capture_on_commit_callbacks(execute=True):
        tree = make_site_tree()
        for number in range(3):
            make_article(tree.section, [], title=f"Story {number}")
    home = HomePage.objects.get(pk=tree.home.pk)
    with CaptureQueriesContext(connection) as captured:
        listings = home.listings()
    assert listings["lead_story"].title == "Story 2"
    assert [article.title for article in listings["latest_articles"]] == ["Story 1", "Story 0"]
    newest = next(q["sql"] for q in captured.captured_queries if 'AS "pk"' in q["sql"])
    compared_as_expression = '"content_type_id" + 0' in newest
    assert compared_as_expression == (connection.vendor != "postgresql")
