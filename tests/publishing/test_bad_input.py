"""Whatever arrives in the address bar, readers get a clear answer, never a server error."""

import json

import pytest
from django.urls import reverse
from wagtail.admin.rich_text.converters.contentstate import ContentstateConverter
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from masthead.core.blocks import PARAGRAPH_FEATURES
from masthead.publishing.models import ArticlePage, AuthorPage
from tests.publishing.factories import make_article, make_author, make_site_tree


@pytest.fixture
def newsroom():
    tree = make_site_tree()
    writer = make_author(tree.author_index, name="Rowan Ashby")
    make_article(tree.section, [writer], title="Quay wall repaired", tags=["Harbour"])
    return tree


ODD_QUERIES = [
    "!!!",
    "?*()[]{}\"'`~^%$#@",
    '"',
    "-",
    "AND OR NOT",
    "quay\x00wall",
    "\x00\x00",
    "'; DROP TABLE wagtailcore_page; --",
    "1' OR '1'='1",
    'quay" OR "1"="1',
    "NEAR(quay wall)",
    "quay*",
    "^quay",
    "col:quay",
    "Café Ōtautahi 北京 🚢",
    "\u202e\u200b\ufeff",
    " " * 150,
    "%",
    "_",
    "\\",
    "x" * 200,
]


@pytest.mark.django_db
def test_odd_search_queries_get_a_page_not_an_error(client, newsroom):
    for query in ODD_QUERIES:
        response = client.get("/search/", {"q": query})

        assert response.status_code == 200, query
        results = response.context["results"]
        assert results is None or results.paginator.count in (0, 1), query


@pytest.mark.django_db
def test_nul_bytes_are_dropped_and_the_rest_is_searched(client, newsroom):
    response = client.get("/search/", {"q": "quay\x00"})

    assert response.context["query"] == "quay"
    assert [article.title for article in response.context["results"]] == ["Quay wall repaired"]


@pytest.mark.django_db
def test_ten_thousand_character_query_is_a_400_with_a_message(client, newsroom):
    response = client.get("/search/", {"q": "q" * 10_000})

    assert response.status_code == 400
    assert "at most 200 characters" in response.content.decode()


@pytest.mark.django_db
def test_several_q_parameters_search_for_one_of_them(client, newsroom):
    response = client.get("/search/?q=nothing-matches&q=quay")

    assert response.status_code == 200
    assert response.context["query"] == "quay"


@pytest.mark.django_db
def test_bad_search_page_numbers_are_404(client, newsroom):
    for page in ["abc", "-1", "0", "999", "1.5", "", "1e3", "\x00", "9" * 30]:
        response = client.get("/search/", {"q": "quay", "page": page})

        assert response.status_code == 404, page


@pytest.mark.django_db
def test_bad_listing_page_numbers_are_404(client, newsroom):
    for page in ["abc", "-1", "0", "999", "99999999999999999999999"]:
        assert client.get("/news/", {"page": page}).status_code == 404, page
        assert client.get("/tags/harbour/", {"page": page}).status_code == 404, page
        assert client.get("/writers/rowan-ashby/", {"page": page}).status_code == 404, page


@pytest.mark.django_db
def test_unknown_pages_are_a_404_page(client, newsroom):
    for path in [
        "/no-such-page/",
        "/news/no-such-article/",
        "/news/quay-wall-repaired/extra/",
        "/" + "deep/" * 200,
        "/news/%E2%80%AE/",
    ]:
        response = client.get(path)

        assert response.status_code == 404, path
        assert "Page not found" in response.content.decode(), path


@pytest.mark.django_db
def test_404_page_asks_search_engines_not_to_index_it(client, newsroom):
    response = client.get("/no-such-page/")

    assert '<meta name="robots" content="noindex">' in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/robots.txt", "/sitemap.xml", "/feed/", "/feed/atom/"])
def test_machine_readable_urls_answer_head(client, newsroom, path):
    head = client.head(path)
    get = client.get(path)

    assert head.status_code == 200
    assert head.content == b""
    assert head["Content-Type"] == get["Content-Type"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/robots.txt", "/health/"])
def test_read_only_urls_refuse_other_methods(client, newsroom, path):
    assert client.post(path).status_code == 405


HOSTILE_HTML = (
    '<h1>Shouting headline</h1><p onclick="steal()">Council <b>agrees</b> budget'
    '<script>alert("x")</script><iframe src="http://evil.example/"></iframe>'
    ' <a href="javascript:alert(1)">bad link</a> <a href="https://example.org/report">'
    "report</a></p>"
)


def rendered_body(client, url):
    html = client.get(url).content.decode()
    return html[html.index('id="main"') :]


def assert_only_house_style(body):
    lowered = body.lower()
    assert "<script>alert" not in lowered
    assert "<iframe" not in lowered
    assert "onclick" not in lowered
    assert "<h1>shouting" not in lowered
    assert "javascript:" not in lowered
    assert "<b>agrees</b>" in lowered
    assert '<a href="https://example.org/report">report</a>' in lowered


@pytest.mark.django_db
def test_rich_text_through_the_converter_keeps_only_the_editor_features(client, newsroom):
    converter = ContentstateConverter(PARAGRAPH_FEATURES)
    saved = converter.to_database_format(converter.from_database_format(HOSTILE_HTML))
    make_article(
        newsroom.section, title="Budget agreed", body=[("paragraph", saved)], slug="budget"
    )

    assert_only_house_style(rendered_body(client, "/news/budget/"))


@pytest.mark.django_db
def test_rich_text_posted_through_the_admin_keeps_only_the_editor_features(
    admin_client, client, newsroom
):
    article = ArticlePage.objects.get(slug="quay-wall-repaired")
    author = AuthorPage.objects.get(slug="rowan-ashby")
    # What a tampered-with editor could send: block types and links the toolbar never offers.
    crafted = json.dumps(
        {
            "blocks": [
                {
                    "key": "a1",
                    "type": "header-one",
                    "text": "Crafted heading",
                    "depth": 0,
                    "inlineStyleRanges": [],
                    "entityRanges": [],
                },
                {
                    "key": "a2",
                    "type": "unstyled",
                    "text": "crafted link",
                    "depth": 0,
                    "inlineStyleRanges": [{"offset": 0, "length": 7, "style": "CODE"}],
                    "entityRanges": [{"offset": 8, "length": 4, "key": 0}],
                },
            ],
            "entityMap": {
                "0": {
                    "type": "LINK",
                    "mutability": "MUTABLE",
                    "data": {"url": "javascript:alert(2)"},
                },
            },
        }
    )
    data = nested_form_data(
        {
            "title": "Quay wall repaired",
            "slug": "quay-wall-repaired",
            "standfirst": "The harbour wall is fixed.",
            "article_type": "news",
            "article_authors": inline_formset(
                [{"id": article.article_authors.get().pk, "author": author.pk}], initial=1
            ),
            "body": streamfield(
                [
                    ("paragraph", rich_text(HOSTILE_HTML, features=PARAGRAPH_FEATURES)),
                    ("paragraph", crafted),
                ]
            ),
            "tags": "",
            "sources": inline_formset([]),
            "corrections": inline_formset([]),
        }
    )
    data["action-publish"] = "action-publish"

    response = admin_client.post(reverse("wagtailadmin_pages:edit", args=[article.pk]), data)

    assert response.status_code == 302, response.context["form"].errors
    body = rendered_body(client, "/news/quay-wall-repaired/")
    assert_only_house_style(body)
    # A block type the editor does not offer is dropped whole; a javascript: link loses
    # its address; a style it does not offer is dropped and its text kept.
    assert "Crafted heading" not in body
    assert "crafted <a>link</a></p>" in body
    assert "<code>" not in body.lower()
    assert "alert(2)" not in body
