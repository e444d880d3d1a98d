"""Discovery: WebFinger, NodeInfo, actor documents in the shapes Mastodon requires, the
outbox, the followers collection and content negotiation on article and author pages."""

import pytest
from cryptography.hazmat.primitives import serialization

from masthead.core.cache import invalidate_pages
from masthead.social import actors
from masthead.social.keys import load_private_key, load_public_key
from masthead.social.models import Follower, LocalActor, RemoteActor
from tests.publishing.factories import make_article, make_image
from tests.social.conftest import SITE

pytestmark = pytest.mark.django_db

ACTIVITY = "application/activity+json"


def get_json(client, path, **headers):
    response = client.get(path, HTTP_HOST="127.0.0.1:8000", **headers)
    assert response.status_code == 200, response.content
    return response.json()


def test_webfinger_finds_the_outlet_by_its_handle(client, outlet):
    document = get_json(client, "/.well-known/webfinger?resource=acct:news@127.0.0.1:8000")
    assert document["subject"] == "acct:news@127.0.0.1:8000"
    self_link = next(link for link in document["links"] if link["rel"] == "self")
    assert self_link == {
        "rel": "self",
        "type": ACTIVITY,
        "href": f"{SITE}/social/actors/news",
    }


def test_webfinger_refuses_unknown_accounts_and_other_hosts(client, outlet):
    for resource in ("acct:nobody@127.0.0.1:8000", "acct:news@elsewhere.example", "acct:"):
        response = client.get(
            "/.well-known/webfinger", {"resource": resource}, HTTP_HOST="127.0.0.1:8000"
        )
        assert response.status_code == 404


def test_the_actor_name_is_configurable(client, outlet, settings):
    settings.SOCIAL_ACTOR_NAME = "desk"
    document = get_json(client, "/.well-known/webfinger?resource=acct:desk@127.0.0.1:8000")
    assert document["links"][0]["href"] == f"{SITE}/social/actors/desk"
    assert get_json(client, "/social/actors/desk")["preferredUsername"] == "desk"


def test_outlet_actor_has_every_field_mastodon_requires(client, outlet):
    document = get_json(client, "/social/actors/news", HTTP_ACCEPT=ACTIVITY)
    actor_url = f"{SITE}/social/actors/news"
    assert "https://www.w3.org/ns/activitystreams" in document["@context"]
    assert document["id"] == actor_url
    assert document["type"] == "Service"
    assert document["preferredUsername"] == "news"
    assert document["inbox"] == actor_url + "/inbox"
    assert document["outbox"] == actor_url + "/outbox"
    assert document["followers"] == actor_url + "/followers"
    assert document["endpoints"]["sharedInbox"] == f"{SITE}/social/inbox"
    assert document["publicKey"]["id"] == actor_url + "#main-key"
    assert document["publicKey"]["owner"] == actor_url
    assert document["url"] == f"{SITE}/"
    assert document["manuallyApprovesFollowers"] is False
    load_public_key(document["publicKey"]["publicKeyPem"])


def test_keys_are_made_once_and_kept(client, outlet):
    first = get_json(client, "/social/actors/news")["publicKey"]["publicKeyPem"]
    second = get_json(client, "/social/actors/news")["publicKey"]["publicKeyPem"]
    assert first == second
    actor = LocalActor.objects.get(kind="outlet")
    assert load_private_key(actor.private_key_pem).public_key().public_bytes(
        *_spki()
    ) == load_public_key(first).public_bytes(*_spki())


def test_a_rotated_key_is_served_at_once(client, outlet):
    before = get_json(client, "/social/actors/news")["publicKey"]["publicKeyPem"]
    actors.rotate_key(actors.outlet_actor())
    after = get_json(client, "/social/actors/news")["publicKey"]["publicKeyPem"]
    assert after != before
    assert after == LocalActor.objects.get(kind="outlet").public_key_pem


def _spki():
    return serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo


def test_an_author_is_an_actor_only_when_opted_in(client, outlet):
    url = "/.well-known/webfinger?resource=acct:sam-rivers@127.0.0.1:8000"
    assert client.get(url, HTTP_HOST="127.0.0.1:8000").status_code == 404
    actors.enable_author(outlet.author)
    document = get_json(client, "/social/actors/sam-rivers")
    assert document["type"] == "Person"
    assert document["name"] == "Sam Rivers"
    assert "Covers the council." in document["summary"]
    assert document["url"].endswith("/writers/sam-rivers/")
    assert get_json(client, url)["subject"] == "acct:sam-rivers@127.0.0.1:8000"
    LocalActor.objects.filter(author_page=outlet.author).update(federated=False)
    assert client.get(url, HTTP_HOST="127.0.0.1:8000").status_code == 404


def test_nodeinfo_points_to_a_2_1_document(client, outlet):
    links = get_json(client, "/.well-known/nodeinfo")["links"]
    assert links[0]["rel"] == "http://nodeinfo.diaspora.software/ns/schema/2.1"
    document = get_json(client, links[0]["href"].removeprefix(SITE))
    assert document["version"] == "2.1"
    assert document["software"]["name"] == "masthead"
    assert document["protocols"] == ["activitypub"]
    assert document["usage"]["localPosts"] == 1
    assert document["openRegistrations"] is False


def test_outbox_pages_creates_of_live_articles(client, outlet):
    for number in range(25):
        make_article(outlet.section, title=f"Story number {number}")
    collection = get_json(client, "/social/actors/news/outbox")
    assert collection["type"] == "OrderedCollection"
    assert collection["totalItems"] == 26
    first = get_json(client, "/social/actors/news/outbox?page=1")
    assert len(first["orderedItems"]) == 20
    assert first["next"].endswith("?page=2")
    second = get_json(client, "/social/actors/news/outbox?page=2")
    assert len(second["orderedItems"]) == 6
    item = second["orderedItems"][-1]
    assert item["type"] == "Create"
    assert item["object"]["type"] == "Article"
    assert item["object"]["name"] == "Bridge repairs to finish in spring"
    assert (
        client.get("/social/actors/news/outbox?page=0", HTTP_HOST="127.0.0.1:8000").status_code
        == 400
    )


def test_followers_collection_counts_accepted_followers(client, outlet, fediverse):
    server = fediverse()
    outlet_actor = actors.outlet_actor()
    for number, status in enumerate(["accepted", "accepted", "pending"]):
        remote = RemoteActor.objects.create(
            uri=f"{server.base}/users/u{number}",
            domain=server.address,
            inbox=f"{server.base}/users/u{number}/inbox",
            key_id=f"{server.base}/users/u{number}#main-key",
            public_key_pem="-",
            fetched_at="2026-01-01T00:00:00Z",
        )
        Follower.objects.create(
            local_actor=outlet_actor,
            remote_actor=remote,
            delivery_inbox=remote.inbox,
            follow_activity_id=f"{server.base}/follows/{number}",
            status=status,
        )
    document = get_json(client, "/social/actors/news/followers")
    assert document["type"] == "OrderedCollection"
    assert document["totalItems"] == 2


def test_article_page_answers_activity_json_when_asked(client, outlet):
    path = outlet.article.url
    html = client.get(path, HTTP_HOST="127.0.0.1:8000")
    assert html["Content-Type"].startswith("text/html")
    document = get_json(client, path, HTTP_ACCEPT=ACTIVITY)
    assert document["type"] == "Article"
    assert document["id"] == f"{SITE}/social/articles/{outlet.article.pk}"
    assert document["url"] == SITE + path
    assert document["attributedTo"] == f"{SITE}/social/actors/news"
    assert document["tag"][0]["name"] == "#Transport"
    # The HTML page is still what a browser gets afterwards (the cache ignores Accept).
    again = client.get(path, HTTP_HOST="127.0.0.1:8000")
    assert again["Content-Type"].startswith("text/html")


def test_author_page_answers_the_actor_when_asked(client, outlet):
    path = outlet.author.url
    response = client.get(path, HTTP_HOST="127.0.0.1:8000", HTTP_ACCEPT=ACTIVITY)
    assert response["Content-Type"].startswith("text/html")
    actors.enable_author(outlet.author)
    document = get_json(client, path, HTTP_ACCEPT='application/ld+json; profile="x"')
    assert document["id"] == f"{SITE}/social/actors/sam-rivers"


def test_article_can_be_sent_as_a_note(client, outlet, settings):
    settings.SOCIAL_ARTICLE_AS_NOTE = True
    document = get_json(client, f"/social/articles/{outlet.article.pk}")
    assert document["type"] == "Note"
    assert "Bridge repairs to finish in spring" in document["content"]
    assert outlet.article.url in document["content"]


def test_the_hero_image_goes_with_its_alt_text(client, outlet, settings):
    article = make_article(
        outlet.section,
        title="Pictured story",
        hero_image=make_image(),
        hero_alt_text="The bridge under scaffolding",
        tags=["local elections"],
    )
    document = get_json(client, f"/social/articles/{article.pk}")
    assert document["image"]["type"] == "Image"
    assert document["image"]["name"] == "The bridge under scaffolding"
    assert document["image"]["url"].startswith(SITE + "/media/images/")
    assert document["tag"][0]["name"] == "#LocalElections"
    settings.SOCIAL_ARTICLE_AS_NOTE = True
    invalidate_pages()  # the object above is in the page cache, as every public page is
    note = get_json(client, f"/social/articles/{article.pk}")
    assert note["attachment"][0]["name"] == "The bridge under scaffolding"
    assert "image" not in note
