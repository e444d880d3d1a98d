"""The inboxes, driven by fake fediverse servers whose requests are signed by independent
libraries: follows (automatic and by an editor's approval), undo, likes, boosts, replies,
deletes of actors, blocks, and the refusals (bad signature, wrong owner, replay, blocked)."""

import json
import time
from email.utils import formatdate

import httpsig
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from masthead.social import actors, comments, services
from masthead.social.models import Follower, Reaction, RemoteActor, Reply
from tests.social.conftest import SITE
from tests.social.fediverse import cavage_headers, django_headers, rfc9421_headers

pytestmark = pytest.mark.django_db

SHARED_INBOX = "/social/inbox"
NEWS = f"{SITE}/social/actors/news"


def deliver(client, user, activity, style="cavage", path=SHARED_INBOX, headers=None):
    """POST ``activity`` to Masthead as ``user``'s server would, signed; return the response."""
    body = json.dumps(activity).encode()
    sign = cavage_headers if style == "cavage" else rfc9421_headers
    headers = headers or sign(user, "POST", SITE + path, body)
    return client.post(
        path,
        data=body,
        content_type="application/activity+json",
        HTTP_HOST="127.0.0.1:8000",
        **django_headers({k: v for k, v in headers.items() if k.lower() != "host"}),
    )


def follow(user, number=1, target=NEWS):
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{user.uri}/follows/{number}",
        "type": "Follow",
        "actor": user.uri,
        "object": target,
    }


def assert_signed_by_outlet(received):
    """A POST Masthead made verifies with pyhttpsig against the outlet's published key."""
    verifier = httpsig.HeaderVerifier(
        received.headers,
        actors.outlet_actor().public_key_pem,
        required_headers=["(request-target)", "host", "date", "digest"],
        method="POST",
        path=received.path,
        sign_header="signature",
    )
    assert verifier.verify()


@pytest.mark.parametrize("style", ["cavage", "rfc9421"])
def test_a_follow_is_accepted_and_the_accept_is_signed(
    client, outlet, fediverse, django_capture_on_commit_callbacks, style
):
    server = fediverse()
    alice = server.add_user("alice")
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(client, alice, follow(alice), style=style)
    assert response.status_code == 202, response.content
    follower = Follower.objects.get()
    assert follower.status == "accepted"
    assert follower.delivery_inbox == server.shared_inbox_url
    [accept] = server.received
    assert accept.path == "/users/alice/inbox"
    assert accept.activity["type"] == "Accept"
    assert accept.activity["actor"] == NEWS
    assert accept.activity["object"]["id"] == f"{alice.uri}/follows/1"
    assert_signed_by_outlet(accept)
    # The actor (and its key) was fetched with a signed GET: authorized fetch.
    [fetch] = server.fetches
    assert httpsig.HeaderVerifier(
        fetch.headers,
        actors.outlet_actor().public_key_pem,
        method="GET",
        path="/users/alice",
        sign_header="signature",
    ).verify()


def test_with_manual_approval_a_follow_waits_for_an_editor(
    client, outlet, fediverse, settings, django_capture_on_commit_callbacks
):
    settings.SOCIAL_FOLLOW_APPROVAL = "manual"
    server = fediverse()
    alice = server.add_user("alice")
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, alice, follow(alice)).status_code == 202
    follower = Follower.objects.get()
    assert follower.status == "pending"
    assert server.received == []

    editor = get_user_model().objects.create_user("desk", "desk@example.org", "pw")
    editor.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="change_follower"),
    )
    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/social_followers/{follower.pk}/decide/", {"decision": "approve"}
        )
    assert response.status_code == 302
    follower.refresh_from_db()
    assert follower.status == "accepted"
    [accept] = server.received
    assert accept.activity["type"] == "Accept"
    assert_signed_by_outlet(accept)


def test_an_editor_without_permission_cannot_approve(client, outlet, fediverse, settings):
    settings.SOCIAL_FOLLOW_APPROVAL = "manual"
    server = fediverse()
    alice = server.add_user("alice")
    assert deliver(client, alice, follow(alice)).status_code == 202
    viewer = get_user_model().objects.create_user("viewer", "viewer@example.org", "pw")
    viewer.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(viewer)
    follower = Follower.objects.get()
    client.post(f"/admin/social_followers/{follower.pk}/decide/", {"decision": "approve"})
    follower.refresh_from_db()
    assert follower.status == "pending"


def test_rejecting_a_follow_sends_reject_and_forgets_it(
    client, outlet, fediverse, settings, django_capture_on_commit_callbacks
):
    settings.SOCIAL_FOLLOW_APPROVAL = "manual"
    server = fediverse()
    alice = server.add_user("alice")
    deliver(client, alice, follow(alice))
    with django_capture_on_commit_callbacks(execute=True):
        services.reject_follower(Follower.objects.get())
    assert Follower.objects.count() == 0
    assert [post.activity["type"] for post in server.received] == ["Reject"]


def test_undo_follow_removes_the_follower(client, outlet, fediverse):
    server = fediverse()
    alice = server.add_user("alice")
    deliver(client, alice, follow(alice))
    assert Follower.objects.count() == 1
    undo = {
        "id": f"{alice.uri}/undo/1",
        "type": "Undo",
        "actor": alice.uri,
        "object": follow(alice),
    }
    assert deliver(client, alice, undo).status_code == 202
    assert Follower.objects.count() == 0


def test_likes_and_boosts_are_counted_per_article_and_undone(client, outlet, fediverse):
    server = fediverse()
    alice, bob = server.add_user("alice"), server.add_user("bob")
    article_id = f"{SITE}/social/articles/{outlet.article.pk}"
    article_url = SITE + outlet.article.url
    like = {"id": f"{alice.uri}/likes/1", "type": "Like", "actor": alice.uri, "object": article_id}
    boost = {
        "id": f"{bob.uri}/boosts/1",
        "type": "Announce",
        "actor": bob.uri,
        "object": article_url,
    }
    for user, activity in ((alice, like), (bob, boost)):
        assert deliver(client, user, activity).status_code == 202
    # The same Like sent again by its server (a retry, signed anew a few seconds later: a
    # signature made in the same second would be refused as a replay) counts once.
    resent = cavage_headers(
        alice,
        "POST",
        SITE + SHARED_INBOX,
        json.dumps(like).encode(),
        date=formatdate(time.time() - 5, usegmt=True),
    )
    assert deliver(client, alice, like, headers=resent).status_code == 202
    kinds = sorted(Reaction.objects.filter(article=outlet.article).values_list("kind", flat=True))
    assert kinds == ["announce", "like"]
    undo = {"id": f"{alice.uri}/undo/2", "type": "Undo", "actor": alice.uri, "object": like}
    deliver(client, alice, undo)
    assert list(Reaction.objects.values_list("kind", flat=True)) == ["announce"]


def test_a_replayed_request_is_refused(client, outlet, fediverse):
    server = fediverse()
    alice = server.add_user("alice")
    like = {
        "id": f"{alice.uri}/likes/1",
        "type": "Like",
        "actor": alice.uri,
        "object": f"{SITE}/social/articles/{outlet.article.pk}",
    }
    body = json.dumps(like).encode()
    headers = cavage_headers(alice, "POST", SITE + SHARED_INBOX, body)
    assert deliver(client, alice, like, headers=headers).status_code == 202
    Reaction.objects.all().delete()
    replay = deliver(client, alice, like, headers=headers)
    assert replay.status_code == 401
    assert Reaction.objects.count() == 0


def test_a_reply_goes_to_the_conversation_queue(client, outlet, fediverse):
    comments.set_state(outlet.article, "open")
    server = fediverse()
    alice = server.add_user("alice")
    note = {
        "id": f"{alice.uri}/notes/9",
        "type": "Note",
        "attributedTo": alice.uri,
        "inReplyTo": SITE + outlet.article.url,
        "content": "<p>When does the bridge reopen?</p>",
        "published": "2026-12-01T10:00:00Z",
    }
    create = {
        "id": f"{alice.uri}/notes/9/activity",
        "type": "Create",
        "actor": alice.uri,
        "object": note,
    }
    assert deliver(client, alice, create).status_code == 202
    reply = Reply.objects.get()
    assert reply.article_id == outlet.article.pk
    assert reply.comment.status == "pending"
    assert "When does the bridge reopen?" in reply.content


def test_a_reply_claiming_another_author_is_refused(client, outlet, fediverse):
    server = fediverse()
    alice = server.add_user("alice")
    note = {
        "id": f"{alice.uri}/notes/9",
        "type": "Note",
        "attributedTo": f"{server.base}/users/bob",
        "inReplyTo": SITE + outlet.article.url,
        "content": "forged",
    }
    create = {"id": f"{alice.uri}/a", "type": "Create", "actor": alice.uri, "object": note}
    assert deliver(client, alice, create).status_code == 400
    assert Reply.objects.count() == 0


def test_delete_of_an_actor_removes_everything_it_left(client, outlet, fediverse):
    server = fediverse()
    alice = server.add_user("alice")
    deliver(client, alice, follow(alice))
    deliver(
        client,
        alice,
        {
            "id": f"{alice.uri}/likes/1",
            "type": "Like",
            "actor": alice.uri,
            "object": SITE + outlet.article.url,
        },
    )
    assert Follower.objects.count() == 1 and Reaction.objects.count() == 1
    delete = {
        "id": f"{alice.uri}#delete",
        "type": "Delete",
        "actor": alice.uri,
        "object": alice.uri,
    }
    assert deliver(client, alice, delete).status_code == 202
    assert RemoteActor.objects.count() == 0
    assert Follower.objects.count() == 0
    assert Reaction.objects.count() == 0


def test_a_blocked_domain_is_refused_before_any_fetch_and_its_followers_go(
    client, outlet, fediverse
):
    server, other = fediverse(), fediverse()
    alice, carol = server.add_user("alice"), other.add_user("carol")
    deliver(client, alice, follow(alice))
    deliver(client, carol, follow(carol))
    services.block_domain(server.address)
    assert list(Follower.objects.values_list("remote_actor__uri", flat=True)) == [carol.uri]
    fetches_before = len(server.fetches)
    response = deliver(client, alice, follow(alice, number=2))
    assert response.status_code == 403
    assert len(server.fetches) == fetches_before
    assert Follower.objects.count() == 1


def test_a_blocked_actor_is_refused(client, outlet, fediverse):
    server = fediverse()
    alice, bob = server.add_user("alice"), server.add_user("bob")
    deliver(client, alice, follow(alice))
    services.block_actor(alice.uri)
    assert Follower.objects.count() == 0
    assert deliver(client, alice, follow(alice, 2)).status_code == 403
    assert deliver(client, bob, follow(bob)).status_code == 202


def test_a_key_that_is_not_the_actors_is_refused(client, outlet, fediverse):
    server = fediverse()
    alice, mallory = server.add_user("alice"), server.add_user("mallory")
    forged = follow(alice)
    body = json.dumps(forged).encode()
    headers = cavage_headers(mallory, "POST", SITE + SHARED_INBOX, body)
    assert deliver(client, alice, forged, headers=headers).status_code == 401
    assert Follower.objects.count() == 0


def test_unsigned_and_malformed_posts_are_refused(client, outlet):
    unsigned = client.post(
        SHARED_INBOX,
        data=json.dumps({"type": "Follow", "actor": "http://127.0.0.9/users/x"}),
        content_type="application/activity+json",
        HTTP_HOST="127.0.0.1:8000",
    )
    assert unsigned.status_code == 401
    for body in ("not json", "[]", '{"no": "type"}'):
        response = client.post(
            SHARED_INBOX, data=body, content_type="application/json", HTTP_HOST="127.0.0.1:8000"
        )
        assert response.status_code == 400
    assert client.get(SHARED_INBOX, HTTP_HOST="127.0.0.1:8000").status_code == 405
    assert Follower.objects.count() == 0


def test_a_follow_of_an_author_goes_to_the_authors_inbox(client, outlet, fediverse):
    server = fediverse()
    alice = server.add_user("alice")
    actors.enable_author(outlet.author)
    author = f"{SITE}/social/actors/sam-rivers"
    response = deliver(
        client, alice, follow(alice, target=author), path="/social/actors/sam-rivers/inbox"
    )
    assert response.status_code == 202
    assert Follower.objects.get().local_actor.username == "sam-rivers"


def test_with_private_addresses_refused_a_loopback_actor_is_never_fetched(
    client, outlet, fediverse, settings
):
    settings.SOCIAL_ALLOW_PRIVATE_ADDRESSES = False
    server = fediverse()
    alice = server.add_user("alice")
    response = deliver(client, alice, follow(alice))
    assert response.status_code == 401
    assert server.fetches == []
    assert RemoteActor.objects.count() == 0


def test_authorized_fetch_answers_only_signed_gets(client, outlet, fediverse, settings):
    settings.SOCIAL_AUTHORIZED_FETCH = True
    server = fediverse()
    alice = server.add_user("alice")
    path = "/social/actors/news/outbox"
    unsigned = client.get(path, HTTP_HOST="127.0.0.1:8000")
    assert unsigned.status_code == 401
    headers = cavage_headers(alice, "GET", SITE + path)
    signed = client.get(
        path,
        HTTP_HOST="127.0.0.1:8000",
        **django_headers({k: v for k, v in headers.items() if k.lower() != "host"}),
    )
    assert signed.status_code == 200
    assert "private" in signed["Cache-Control"]
    # The actor document stays public: servers need it to check our own signatures.
    assert client.get("/social/actors/news", HTTP_HOST="127.0.0.1:8000").status_code == 200
