"""The read-only Wagtail API v2: /api/v2/pages/ and /api/v2/images/."""

import datetime

import pytest
from wagtail.images.models import Image
from wagtail.models import Collection, CollectionViewRestriction, PageViewRestriction

from tests.publishing.factories import (
    make_article,
    make_author,
    make_image,
    make_site_tree,
)


@pytest.fixture
def newsroom():
    tree = make_site_tree()
    writer = make_author(tree.author_index, name="Nell Barraclough")
    picture = make_image("Harbour at dawn", width=1600, height=900)
    article = make_article(
        tree.section,
        [writer],
        title="Harbour dredging starts",
        standfirst="Boats will use the east channel for a month.",
        article_type="analysis",
        hero_image=picture,
        hero_caption="The harbour mouth at low tide.",
        hero_credit="Staff photographer",
        tags=["Harbour", "Boats"],
    )
    return tree, writer, picture, article


@pytest.mark.django_db
def test_article_fields_serialise(client, newsroom):
    _tree, writer, _picture, article = newsroom

    response = client.get(f"/api/v2/pages/{article.pk}/")

    assert response.status_code == 200
    data = response.json()
    assert data["title"] == "Harbour dredging starts"
    assert data["meta"]["type"] == "publishing.ArticlePage"
    assert data["standfirst"] == "Boats will use the east channel for a month."
    assert data["article_type"] == "analysis"
    assert data["authors"] == [{"id": writer.pk, "name": "Nell Barraclough"}]
    assert data["hero_image"]["url"].startswith("/media/images/")
    assert data["hero_image"]["width"] == 1200
    assert data["hero_caption"] == "The harbour mouth at low tide."
    assert data["hero_credit"] == "Staff photographer"
    assert sorted(data["tags"]) == ["Boats", "Harbour"]
    assert data["body"][0]["type"] == "paragraph"
    published = datetime.datetime.fromisoformat(data["meta"]["first_published_at"])
    assert published == article.first_published_at
    assert data["sources"] == []
    assert data["corrections"] == []


@pytest.mark.django_db
def test_listing_by_type_shows_live_public_articles_only(client, newsroom):
    tree, writer, _picture, _article = newsroom
    draft = make_article(tree.section, [writer], title="Draft about the quay")
    draft.unpublish()
    private = make_article(tree.section, [writer], title="Staff-only memo")
    PageViewRestriction.objects.create(page=private, restriction_type="login")

    response = client.get(
        "/api/v2/pages/", {"type": "publishing.ArticlePage", "fields": "standfirst"}
    )

    assert response.status_code == 200
    items = response.json()["items"]
    assert [item["title"] for item in items] == ["Harbour dredging starts"]
    assert items[0]["standfirst"] == "Boats will use the east channel for a month."
    assert client.get(f"/api/v2/pages/{draft.pk}/").status_code == 404
    assert client.get(f"/api/v2/pages/{private.pk}/").status_code == 404


@pytest.mark.django_db
def test_images_listing_hides_images_in_restricted_collections(client, newsroom):
    _tree, _writer, picture, _article = newsroom
    private_collection = Collection.get_first_root_node().add_child(name="Embargoed")
    CollectionViewRestriction.objects.create(
        collection=private_collection, restriction_type="login"
    )
    hidden = make_image("Embargoed picture")
    hidden.collection = private_collection
    hidden.save()

    response = client.get("/api/v2/images/")

    assert response.status_code == 200
    assert [item["title"] for item in response.json()["items"]] == [picture.title]
    assert client.get(f"/api/v2/images/{hidden.pk}/").status_code == 404


@pytest.mark.django_db
def test_api_search_finds_articles(client, newsroom):
    response = client.get("/api/v2/pages/", {"search": "dredging"})

    assert response.status_code == 200
    assert [item["title"] for item in response.json()["items"]] == ["Harbour dredging starts"]


@pytest.mark.django_db
def test_api_is_read_only(client, newsroom):
    _tree, _writer, _picture, article = newsroom

    assert client.post("/api/v2/pages/", {"title": "x"}).status_code == 405
    assert client.delete(f"/api/v2/pages/{article.pk}/").status_code == 405
    assert client.put(f"/api/v2/images/{Image.objects.get().pk}/").status_code == 405


BAD_PAGE_PARAMETERS = [
    ({"limit": "abc"}, "limit must be a positive integer"),
    ({"limit": "-1"}, "limit must be a positive integer"),
    ({"limit": "100000"}, "limit cannot be higher than 50"),
    ({"limit": "9" * 40}, "limit cannot be higher than 50"),
    ({"offset": "x"}, "offset must be a positive integer"),
    ({"offset": "-5"}, "offset must be a positive integer"),
    ({"offset": "9" * 30}, "offset cannot be higher than 1000000000"),
    ({"type": "nope.Nope"}, "type doesn't exist"),
    ({"type": "publishing"}, "type doesn't exist"),
    ({"type": "auth.User"}, "type doesn't exist"),
    ({"order": "bogus"}, "cannot order by 'bogus' (unknown field)"),
    ({"order": "-standfirst"}, "cannot order by '-standfirst' (unknown field)"),
    ({"fields": "nonexistent"}, "unknown fields: nonexistent"),
    ({"fields": "title,"}, "fields error: unexpected char ','"),
    ({"child_of": "abc"}, "child_of must be a positive integer"),
    ({"child_of": "999999"}, "parent page doesn't exist"),
    ({"descendant_of": "-3"}, "descendant_of must be a positive integer"),
    ({"id": "abc"}, "field filter error. 'abc' is not a valid value for id"),
    ({"search": "x" * 10_000}, "search queries can be at most 200 characters long"),
    ({"search": "dredging", "search_operator": "xor"}, "search_operator must be 'and' or 'or'"),
    ({"nonsense": "1"}, "query parameter is not an operation or a recognised field: nonsense"),
]


@pytest.mark.django_db
def test_malformed_page_listing_parameters_are_400_with_a_message(client, newsroom):
    for parameters, message in BAD_PAGE_PARAMETERS:
        response = client.get("/api/v2/pages/", parameters)

        assert response.status_code == 400, parameters
        assert response.json()["message"].startswith(message), (parameters, response.json())


@pytest.mark.django_db
def test_malformed_image_listing_parameters_are_400_with_a_message(client, newsroom):
    for parameters, message in [
        ({"limit": "abc"}, "limit must be a positive integer"),
        ({"offset": "x"}, "offset must be a positive integer"),
        ({"order": "bogus"}, "cannot order by 'bogus' (unknown field)"),
        ({"fields": "nonexistent"}, "unknown fields: nonexistent"),
        ({"search": "y" * 10_000}, "search queries can be at most 200 characters long"),
    ]:
        response = client.get("/api/v2/images/", parameters)

        assert response.status_code == 400, parameters
        assert response.json()["message"].startswith(message), (parameters, response.json())


@pytest.mark.django_db
def test_find_with_a_malformed_id_is_400_and_an_unknown_one_404(client, newsroom):
    _tree, _writer, _picture, article = newsroom

    for endpoint in ("/api/v2/pages/find/", "/api/v2/images/find/"):
        for bad_id in ("abc", "-1", "1.5", "9" * 30, "\uff11"):
            response = client.get(endpoint, {"id": bad_id})

            assert response.status_code == 400, (endpoint, bad_id)
            assert response.json()["message"] == "id must be a positive integer"
        assert client.get(endpoint, {"id": "999999"}).status_code == 404
    found = client.get("/api/v2/pages/find/", {"id": article.pk})
    assert found.status_code == 302
    assert found["Location"] == f"http://localhost/api/v2/pages/{article.pk}/?"


@pytest.mark.django_db
def test_odd_api_searches_return_results_not_errors(client, newsroom):
    for query in ['"', "dredging\"'", "?*()[]{}\"'`~^%$#@", "\x00", "AND", "🚢 北京"]:
        for endpoint in ("/api/v2/pages/", "/api/v2/images/"):
            response = client.get(endpoint, {"search": query})

            assert response.status_code == 200, (endpoint, query, response.content[:300])
            assert isinstance(response.json()["items"], list)


@pytest.mark.django_db
def test_unknown_page_and_image_ids_are_404(client, newsroom):
    for url in [
        "/api/v2/pages/999999/",
        "/api/v2/pages/abc/",
        "/api/v2/images/999999/",
        "/api/v2/images/-1/",
        "/api/v2/nothing/",
    ]:
        assert client.get(url).status_code == 404, url
