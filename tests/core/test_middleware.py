"""NUL bytes never reach a view: a clear 400 in the path, dropped from parameters."""

import pytest

from tests.publishing.factories import make_article, make_site_tree

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/news/%00/",
        "/%00/",
        "/payments/demo/checkout/%00/",
        "/support/manage/%00/",
        "/newsletter/confirm/%00/",
    ],
)
def test_a_path_with_a_nul_byte_is_a_400(client, path):
    tree = make_site_tree()
    make_article(tree.section)

    response = client.get(path)

    assert response.status_code == 400
    assert response.content == b"The address contains a NUL byte."


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/news/?page=%00", 404),
        ("/api/v2/pages/?slug=%00", 200),
        ("/api/v2/pages/find/?html_path=/%00/", 302),
        ("/api/v2/pages/?title=x%00y", 200),
        ("/payments/checkout/status/?session_id=%00", 404),
    ],
)
def test_nul_bytes_in_parameters_are_dropped_before_the_view(client, path, status):
    tree = make_site_tree()
    make_article(tree.section)

    assert client.get(path).status_code == status


def test_a_search_with_a_nul_byte_searches_for_the_rest(client):
    tree = make_site_tree()
    make_article(tree.section, title="Quay wall repaired")

    response = client.get("/search/", {"q": "qu\x00ay"})

    assert response.status_code == 200
    assert "Quay wall repaired" in response.content.decode()


def test_ordinary_addresses_pass_through(client):
    tree = make_site_tree()
    article = make_article(tree.section)

    assert client.get(article.url).status_code == 200
    assert client.get("/search/", {"q": "bridge"}).status_code == 200
