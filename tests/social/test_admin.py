"""The Social web admin: every screen opens for an editor allowed to see it, blocks made
there remove what the blocked server left, and likes, boosts and replies are counted per
article."""

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from masthead.social import actors
from masthead.social.models import BlockedDomain, Follower, Reaction, RemoteActor, Reply

pytestmark = pytest.mark.django_db

SCREENS = [
    "social_followers",
    "social_blocked_domains",
    "social_blocked_actors",
    "social_authors",
    "social_article_reactions",
    "social_reactions",
    "social_replies",
    "social_deliveries",
    "social_accounts",
    "social_posts",
]


@pytest.fixture
def admin_client(client):
    admin = get_user_model().objects.create_superuser("chief", "chief@example.org", "pw")
    client.force_login(admin)
    return client


def remote(domain, name):
    uri = f"http://{domain}/users/{name}"
    return RemoteActor.objects.create(
        uri=uri,
        domain=domain,
        inbox=uri + "/inbox",
        key_id=uri + "#main-key",
        public_key_pem="-",
        fetched_at=timezone.now(),
    )


@pytest.mark.parametrize("screen", SCREENS)
def test_every_screen_opens(admin_client, outlet, screen):
    response = admin_client.get(f"/admin/{screen}/")
    assert response.status_code == 200


def test_reactions_are_counted_per_article(admin_client, outlet):
    ann, ben = remote("127.0.0.9", "ann"), remote("127.0.0.9", "ben")
    for number, (actor, kind) in enumerate([(ann, "like"), (ben, "like"), (ben, "announce")]):
        Reaction.objects.create(
            article=outlet.article,
            remote_actor=actor,
            kind=kind,
            activity_id=f"http://127.0.0.9/activities/{number}",
        )
    Reply.objects.create(
        article=outlet.article,
        remote_actor=ann,
        object_id="http://127.0.0.9/notes/1",
        content="<p>Good news.</p>",
    )
    page = admin_client.get("/admin/social_article_reactions/").content.decode()
    row = page.split(f'data-article="{outlet.article.pk}"')[1].split("</tr>")[0]
    assert [cell.split("<")[0] for cell in row.split("<td>")[2:]] == ["2", "1", "1"]


def test_blocking_a_server_in_the_admin_removes_its_followers(admin_client, outlet):
    follower = Follower.objects.create(
        local_actor=actors.outlet_actor(),
        remote_actor=remote("spam.example", "bot"),
        delivery_inbox="http://spam.example/inbox",
        follow_activity_id="http://spam.example/follows/1",
        status="accepted",
    )
    response = admin_client.post(
        "/admin/social_blocked_domains/new/", {"domain": "Spam.Example", "reason": "spam"}
    )
    assert response.status_code == 302
    assert BlockedDomain.objects.get().domain == "spam.example"
    assert not Follower.objects.filter(pk=follower.pk).exists()
