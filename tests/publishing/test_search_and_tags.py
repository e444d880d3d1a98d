"""Reader search (/search/?q=) and tag listings (/tags/<slug>/)."""

import pytest
from wagtail.models import PageViewRestriction

from masthead.publishing.models import ArticlePage, live_articles, with_hero_renditions
from masthead.publishing.views import MAX_QUERY_LENGTH
from tests.publishing.factories import make_article, make_author, make_site_tree


@pytest.fixture
def newsroom():
    tree = make_site_tree()
    writer = make_author(tree.author_index, name="Priya Castell")
    return tree, writer


def titles(page_of_articles):
    return [article.title for article in page_of_articles]


@pytest.mark.django_db
def test_search_finds_live_articles_by_headline_and_standfirst(client, newsroom):
    tree, writer = newsroom
    make_article(tree.section, [writer], title="Ferry timetable to change in May")
    make_article(
        tree.section,
        [writer],
        title="Harbour works begin",
        standfirst="The ferry terminal will close for a week.",
    )
    make_article(tree.section, [writer], title="Allotment waiting list shrinks")

    response = client.get("/search/", {"q": "ferry"})

    assert response.status_code == 200
    assert response.context["query"] == "ferry"
    assert response.context["error"] is None
    assert sorted(titles(response.context["results"])) == [
        "Ferry timetable to change in May",
        "Harbour works begin",
    ]
    assert "Ferry timetable to change in May" in response.content.decode()


@pytest.mark.django_db
def test_search_leaves_out_drafts_and_private_articles(client, newsroom):
    tree, writer = newsroom
    make_article(tree.section, [writer], title="Ferry fares frozen")
    draft = make_article(tree.section, [writer], title="Ferry operator sold")
    draft.unpublish()
    private = make_article(tree.section, [writer], title="Ferry staff briefing")
    PageViewRestriction.objects.create(page=private, restriction_type="login")

    response = client.get("/search/", {"q": "ferry"})

    assert titles(response.context["results"]) == ["Ferry fares frozen"]


@pytest.mark.django_db
def test_search_without_a_query_shows_the_form_and_no_results(client, newsroom):
    response = client.get("/search/")

    assert response.status_code == 200
    assert response.context["query"] == ""
    assert response.context["results"] is None
    assert response.context["error"] is None


@pytest.mark.django_db
def test_search_results_are_paginated(client, newsroom):
    tree, writer = newsroom
    for number in range(25):
        make_article(tree.section, [writer], title=f"Market report {number}")

    first = client.get("/search/", {"q": "market"})
    second = client.get("/search/", {"q": "market", "page": "2"})

    assert first.context["results"].paginator.count == 25
    assert len(first.context["results"]) == 20
    assert len(second.context["results"]) == 5
    assert set(titles(first.context["results"])).isdisjoint(titles(second.context["results"]))


@pytest.mark.django_db
def test_too_long_query_is_refused_with_a_message(client, newsroom):
    response = client.get("/search/", {"q": "word " * 2000})

    assert response.status_code == 400
    assert response.context["results"] is None
    assert len(response.context["query"]) == MAX_QUERY_LENGTH
    assert "at most 200 characters" in response.content.decode()


@pytest.mark.django_db
def test_query_of_exactly_the_limit_is_searched(client, newsroom):
    response = client.get("/search/", {"q": "a" * MAX_QUERY_LENGTH})

    assert response.status_code == 200
    assert response.context["error"] is None
    assert titles(response.context["results"]) == []


@pytest.mark.django_db
def test_tag_page_lists_live_articles_with_that_tag(client, newsroom):
    tree, writer = newsroom
    make_article(tree.section, [writer], title="Bus route cut", tags=["Transport"])
    make_article(tree.section, [writer], title="Cycle lane opens", tags=["Transport", "Health"])
    make_article(tree.section, [writer], title="Clinic hours extended", tags=["Health"])
    hidden = make_article(tree.section, [writer], title="Rail plans leaked", tags=["Transport"])
    hidden.unpublish()

    response = client.get("/tags/transport/")

    assert response.status_code == 200
    assert response.context["tag"].name == "Transport"
    assert titles(response.context["articles"]) == ["Cycle lane opens", "Bus route cut"]
    assert "Cycle lane opens" in response.content.decode()


@pytest.mark.django_db
def test_tag_page_is_paginated_and_out_of_range_pages_are_404(client, newsroom):
    tree, writer = newsroom
    for number in range(21):
        make_article(tree.section, [writer], title=f"Weather note {number}", tags=["Weather"])

    assert len(client.get("/tags/weather/").context["articles"]) == 20
    assert titles(client.get("/tags/weather/", {"page": 2}).context["articles"]) == [
        "Weather note 0"
    ]
    assert client.get("/tags/weather/", {"page": 3}).status_code == 404
    assert client.get("/tags/weather/", {"page": "two"}).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("slug", ["no-such-tag", "x" * 3000, "' OR 1=1 --", "événement"])
def test_unknown_tag_is_404(client, newsroom, slug):
    tree, writer = newsroom
    make_article(tree.section, [writer], title="Bus route cut", tags=["Transport"])

    assert client.get(f"/tags/{slug}/").status_code == 404


@pytest.mark.django_db
def test_tag_only_on_drafts_is_404(client, newsroom):
    tree, writer = newsroom
    draft = make_article(tree.section, [writer], title="Embargoed story", tags=["Embargoed"])
    draft.unpublish()

    assert client.get("/tags/embargoed/").status_code == 404


@pytest.mark.django_db
def test_search_results_read_their_rows_together_only_when_asked(
    newsroom, django_assert_num_queries
):
    """A page of results knows its articles by id; the first question beyond the id reads
    every result's row in one query, and the text a card never shows is read apart."""
    tree, writer = newsroom
    made = [
        make_article(
            tree.section, [writer], title=f"Ferry notice {number}", standfirst=f"S{number}"
        )
        for number in range(3)
    ]
    expected = {article.pk: (article.title, article.standfirst) for article in made}
    body = list(ArticlePage.objects.get(pk=made[0].pk).body.raw_data)
    articles = with_hero_renditions(live_articles())
    with django_assert_num_queries(1):  # the ranking alone
        results = list(articles.search("ferry"))
        assert sorted(article.pk for article in results) == sorted(expected)
    with django_assert_num_queries(1) as rows:  # every result's row
        assert {article.pk: (article.title, article.standfirst) for article in results} == expected
        assert all(article.url_path.startswith(tree.home.url_path) for article in results)
    # Matched by id in the page table, beside the listing's other conditions: matched in the
    # article table, PostgreSQL read every page to join the two.
    assert '"wagtailcore_page"."id" IN (' in rows.captured_queries[0]["sql"]
    first = next(article for article in results if article.pk == made[0].pk)
    with django_assert_num_queries(1):  # the body, which the rows leave out
        assert list(first.body.raw_data) == body


@pytest.mark.django_db
def test_a_result_unpublished_after_the_ranking_is_still_read(newsroom):
    """Between the ranking and the first card, an editor may unpublish a result: its row is
    then not among the listing's, and it is read alone rather than failing the page."""
    tree, writer = newsroom
    kept = make_article(tree.section, [writer], title="Ferry fares frozen")
    gone = make_article(tree.section, [writer], title="Ferry operator sold")
    results = with_hero_renditions(live_articles()).pending([gone.pk, kept.pk])
    gone.unpublish()
    assert [article.title for article in results] == ["Ferry operator sold", "Ferry fares frozen"]
    assert [article.live for article in results] == [False, True]


@pytest.mark.django_db
def test_only_listings_of_cards_are_left_pending(newsroom):
    tree, writer = newsroom
    article = make_article(tree.section, [writer], title="Ferry fares frozen")
    assert live_articles().pending([article.pk]) is None
    assert with_hero_renditions(live_articles()).values("pk").pending([article.pk]) is None


@pytest.mark.django_db
def test_tag_page_counts_and_pages_on_the_page_table_in_one_query(client, newsroom):
    """While no page is private, a tag page's count and its page of ids come from one query
    of Wagtail's page table (the count a window over every match), then the page's articles
    by id: every page lists what the article queryset would, in its order."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from masthead.publishing.models import ArticlePageTag

    tree, writer = newsroom
    for number in range(45):
        make_article(tree.section, [writer], title=f"Tide table {number}", tags=["Tides"])
    make_article(tree.section, [writer], title="Untagged", tags=["Other"])
    make_article(tree.section, [writer], title="Withdrawn", tags=["Tides"]).unpublish()
    tagged = ArticlePageTag.objects.filter(tag__slug="tides").values("content_object_id")
    expected = [article.title for article in live_articles().filter(pk__in=tagged)]
    assert len(expected) == 45

    listed = []
    for number in (1, 2, 3):
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/tags/tides/", {"page": number})
        assert response.status_code == 200
        assert response.context["articles"].paginator.count == 45
        listed += titles(response.context["articles"])
        counting = [q["sql"] for q in captured.captured_queries if "OVER" in q["sql"]]
        assert len(counting) == 1, counting
        assert "publishing_articlepage" not in counting[0].split(" IN (SELECT")[0]
        assert not [q for q in captured.captured_queries if "COUNT(*)" in q["sql"]]
    assert listed == expected

    for number in (4, 99999, 0, -1):
        assert client.get("/tags/tides/", {"page": number}).status_code == 404


@pytest.mark.django_db
def test_tag_page_with_a_private_article_leaves_it_out(client, newsroom):
    tree, writer = newsroom
    make_article(tree.section, [writer], title="Bus route cut", tags=["Transport"])
    private = make_article(tree.section, [writer], title="Depot briefing", tags=["Transport"])
    PageViewRestriction.objects.create(page=private, restriction_type="login")

    response = client.get("/tags/transport/")

    assert response.status_code == 200
    assert titles(response.context["articles"]) == ["Bus route cut"]
    assert response.context["articles"].paginator.count == 1


@pytest.mark.django_db
def test_a_sites_articles_are_searched_and_read_through_prepared_queries(newsroom, monkeypatch):
    """``site_articles``: while no page is private, a search's filter and its results' rows
    are prepared queries, with the same SQL and results as Django's queryset; a later search
    builds no queryset of articles at all."""
    from masthead.publishing.models import ArticleQuerySet, site_articles

    tree, writer = newsroom
    made = [
        make_article(tree.section, [writer], title=f"Ferry notice {number}", standfirst="S")
        for number in range(3)
    ]
    make_article(tree.section, [writer], title="Harbour works begin")
    django_way = with_hero_renditions(live_articles().descendant_of(tree.home))
    articles = site_articles(tree.home)
    assert articles.ids_subquery() == django_way.order_by().values("pk").query.sql_with_params()
    expected = [(article.pk, article.title) for article in django_way.search("ferry")]
    assert sorted(expected) == sorted((article.pk, article.title) for article in made)
    assert [(article.pk, article.title) for article in articles.search("ferry")] == expected

    def refused(*args, **kwargs):
        raise AssertionError("a queryset of articles was built")

    monkeypatch.setattr(ArticleQuerySet, "filter", refused)
    monkeypatch.setattr(ArticleQuerySet, "order_by", refused)
    again = list(site_articles(tree.home).search("ferry"))
    assert [(article.pk, article.title, article.standfirst) for article in again] == [
        (pk, title, "S") for pk, title in expected
    ]


@pytest.mark.django_db
def test_a_sites_articles_are_copies_and_changing_one_leaves_the_prepared_queries(newsroom):
    """Each call gives a queryset of its own (the kept one is never run), and a queryset
    changed from it (filtered, say) is Django's again, its filter kept."""
    from masthead.publishing.models import site_articles

    tree, writer = newsroom
    ferry = make_article(tree.section, [writer], title="Ferry fares frozen")
    make_article(tree.section, [writer], title="Harbour works begin")
    first, second = site_articles(tree.home), site_articles(tree.home)
    assert first is not second
    assert {article.pk for article in first} == {article.pk for article in live_articles()}
    assert second._result_cache is None
    narrowed = second.filter(title__startswith="Ferry")
    assert narrowed._under is None
    assert [article.pk for article in narrowed.search("fares")] == [ferry.pk]
    assert narrowed.ids_subquery() == narrowed.order_by().values("pk").query.sql_with_params()


@pytest.mark.django_db
def test_a_sites_articles_with_a_private_page_are_djangos(newsroom):
    """With any page private, the articles are Django's queryset, which leaves private
    ones out (``public()``), and nothing is prepared."""
    from masthead.publishing.models import site_articles

    tree, writer = newsroom
    shown = make_article(tree.section, [writer], title="Ferry fares frozen")
    private = make_article(tree.section, [writer], title="Ferry staff briefing")
    PageViewRestriction.objects.create(page=private, restriction_type="login")
    articles = site_articles(tree.home)
    assert articles._under is None
    assert [article.pk for article in articles.search("ferry")] == [shown.pk]
