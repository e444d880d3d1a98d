"""Delivery to a fake fediverse: one signed request per shared inbox on publish, Update on a
correction, Delete on unpublish, retries with backoff, dead servers skipped, and publishing
that never waits for any of it."""

import os
import threading
from datetime import timedelta

import httpsig
import pytest
from django.utils import timezone

from masthead.publishing.models import ArticleCorrection
from masthead.social import actors, delivery, services, tasks
from masthead.social.models import Activity, Delivery, Follower, Instance, RemoteActor
from tests.publishing.factories import make_article, publish
from tests.social.conftest import SITE

pytestmark = pytest.mark.django_db


def add_follower(server, name, local_actor=None):
    """A follower on ``server`` (rows only: delivery needs no key of theirs)."""
    user_uri = f"{server.base}/users/{name}"
    remote = RemoteActor.objects.create(
        uri=user_uri,
        domain=server.address,
        preferred_username=name,
        inbox=f"{user_uri}/inbox",
        shared_inbox=server.shared_inbox_url if server.shared_inbox else "",
        key_id=f"{user_uri}#main-key",
        public_key_pem="-",
        fetched_at=timezone.now(),
    )
    return Follower.objects.create(
        local_actor=local_actor or actors.outlet_actor(),
        remote_actor=remote,
        delivery_inbox=remote.delivery_inbox,
        follow_activity_id=f"{user_uri}/follows/1",
        status="accepted",
    )


def verify_outlet_signature(received):
    return httpsig.HeaderVerifier(
        received.headers,
        actors.outlet_actor().public_key_pem,
        required_headers=["(request-target)", "host", "date", "digest"],
        method="POST",
        path=received.path,
        sign_header="signature",
    ).verify()


def publish_new_article(outlet, capture, title="Ferry timetable changes", **fields):
    with capture(execute=True):
        return make_article(outlet.section, [outlet.author], title=title, **fields)


@pytest.fixture
def network(outlet, fediverse):
    """Servers of every kind, with followers of the outlet."""
    servers = {
        "big": fediverse(),
        "small": fediverse(),
        "personal": fediverse(shared_inbox=False),
        "slow": fediverse(behaviour="slow", delay=0.5),
        "failing": fediverse(behaviour="failing"),
        "gone": fediverse(),
    }
    for number in range(5):
        add_follower(servers["big"], f"reader{number}")
    for name in ("ann", "ben"):
        add_follower(servers["small"], name)
        add_follower(servers["personal"], name)
    for kind in ("slow", "failing", "gone"):
        add_follower(servers[kind], "someone")
    servers["gone"].go_away()
    return servers


def test_publishing_sends_one_signed_create_per_shared_inbox(
    outlet, network, django_capture_on_commit_callbacks
):
    article = publish_new_article(
        outlet,
        django_capture_on_commit_callbacks,
        title="Ferry timetable changes",
        tags=["Ferries"],
    )
    for kind in ("big", "small", "slow"):
        [create] = network[kind].received
        assert create.path == "/inbox"
        assert verify_outlet_signature(create)
        activity = create.activity
        assert activity["type"] == "Create"
        assert activity["actor"] == f"{SITE}/social/actors/news"
        assert activity["object"]["type"] == "Article"
        assert activity["object"]["name"] == "Ferry timetable changes"
        assert activity["object"]["url"] == SITE + article.url
        assert activity["object"]["tag"][0]["name"] == "#Ferries"
        assert "https://www.w3.org/ns/activitystreams#Public" in activity["to"]
    # A server with no shared inbox gets one request per follower's own inbox.
    assert sorted(post.path for post in network["personal"].received) == [
        "/users/ann/inbox",
        "/users/ben/inbox",
    ]
    rows = {row.domain: row for row in Delivery.objects.exclude(inbox__contains="/users/")}
    assert rows[network["big"].address].status == "delivered"
    for kind in ("failing", "gone"):
        row = rows[network[kind].address]
        assert row.status == "pending"
        assert row.attempts == 1
        wait = (row.next_attempt_at - timezone.now()).total_seconds()
        assert 50 < wait <= 60
    assert rows[network["failing"].address].last_error == "HTTP 503"


def test_publishing_itself_sends_nothing_until_the_commit(
    outlet, network, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        make_article(outlet.section, title="Quiet publication")
    assert Activity.objects.count() == 0
    assert network["big"].received == []
    assert callbacks


def test_failed_deliveries_are_retried_with_growing_waits_until_they_succeed(
    outlet, network, django_capture_on_commit_callbacks, settings
):
    publish_new_article(outlet, django_capture_on_commit_callbacks)
    failing = network["failing"]
    row = Delivery.objects.get(domain=failing.address)
    Delivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    delivery.send_due()
    row.refresh_from_db()
    assert row.attempts == 2
    assert 110 < (row.next_attempt_at - timezone.now()).total_seconds() <= 120
    assert Instance.objects.get(domain=failing.address).failing_since is not None

    failing.behaviour = "ok"
    Delivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    delivery.send_due()
    row.refresh_from_db()
    assert row.status == "delivered"
    assert [post.activity["type"] for post in failing.received] == ["Create"]
    assert Instance.objects.get(domain=failing.address).failing_since is None


def test_a_server_failing_for_days_is_marked_dead_and_skipped(
    outlet, network, django_capture_on_commit_callbacks, settings
):
    publish_new_article(outlet, django_capture_on_commit_callbacks)
    gone = network["gone"].address
    Instance.objects.filter(domain=gone).update(
        failing_since=timezone.now() - timedelta(days=settings.SOCIAL_DEAD_AFTER_DAYS + 1)
    )
    Delivery.objects.filter(domain=gone).update(next_attempt_at=timezone.now())
    delivery.send_due()
    assert Instance.objects.get(domain=gone).dead
    assert Delivery.objects.get(domain=gone).status == "failed"

    second = publish_new_article(outlet, django_capture_on_commit_callbacks, title="Second story")
    activity = Activity.objects.get(article=second)
    assert not activity.deliveries.filter(domain=gone).exists()
    assert activity.deliveries.filter(domain=network["big"].address).exists()


def test_a_correction_sends_an_update_and_an_unchanged_republish_sends_nothing(
    outlet, network, django_capture_on_commit_callbacks
):
    big = network["big"]
    article = publish_new_article(outlet, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        publish(article)
    assert [post.activity["type"] for post in big.received] == ["Create"]

    article.corrections.add(
        ArticleCorrection(date=timezone.now(), text="An earlier version gave the wrong date.")
    )
    with django_capture_on_commit_callbacks(execute=True):
        publish(article)
    update = big.received[-1].activity
    assert update["type"] == "Update"
    assert "An earlier version gave the wrong date." in update["object"]["content"]
    assert update["object"]["id"] == f"{SITE}/social/articles/{article.pk}"
    assert verify_outlet_signature(big.received[-1])


def test_unpublishing_sends_a_delete_once(outlet, network, django_capture_on_commit_callbacks):
    big = network["big"]
    article = publish_new_article(outlet, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        article.unpublish()
    delete = big.received[-1].activity
    assert delete["type"] == "Delete"
    assert delete["object"] == {"id": f"{SITE}/social/articles/{article.pk}", "type": "Tombstone"}
    assert services.withdraw_article(article) is None
    assert [post.activity["type"] for post in big.received] == ["Create", "Delete"]


def test_deleting_a_live_article_sends_a_delete(
    outlet, network, django_capture_on_commit_callbacks
):
    big = network["big"]
    article = publish_new_article(outlet, django_capture_on_commit_callbacks)
    object_id = f"{SITE}/social/articles/{article.pk}"
    with django_capture_on_commit_callbacks(execute=True):
        article.delete()
    delete = big.received[-1].activity
    assert delete["type"] == "Delete"
    assert delete["object"]["id"] == object_id


def test_an_authors_followers_get_the_authors_boost_and_updates_reach_each_server_once(
    outlet, fediverse, django_capture_on_commit_callbacks
):
    both, authors_only = fediverse(), fediverse()
    author_actor = actors.enable_author(outlet.author)
    add_follower(both, "ann")
    add_follower(both, "ben", local_actor=author_actor)
    add_follower(authors_only, "cat", local_actor=author_actor)
    article = publish_new_article(outlet, django_capture_on_commit_callbacks)
    assert [post.activity["type"] for post in both.received] == ["Create", "Announce"]
    [announce] = authors_only.received
    assert announce.activity["type"] == "Announce"
    assert announce.activity["actor"] == f"{SITE}/social/actors/sam-rivers"
    assert announce.activity["object"] == f"{SITE}/social/articles/{article.pk}"
    assert httpsig.HeaderVerifier(
        announce.headers,
        author_actor.public_key_pem,
        required_headers=["(request-target)", "host", "date", "digest"],
        method="POST",
        path=announce.path,
        sign_header="signature",
    ).verify()

    article.corrections.add(ArticleCorrection(date=timezone.now(), text="A name was misspelt."))
    with django_capture_on_commit_callbacks(execute=True):
        publish(article)
    assert [post.activity["type"] for post in both.received] == ["Create", "Announce", "Update"]
    assert [post.activity["type"] for post in authors_only.received] == ["Announce", "Update"]


def test_blocked_servers_get_nothing_and_fan_out_twice_sends_once(
    outlet, network, django_capture_on_commit_callbacks
):
    services.block_domain(network["small"].address)
    publish_new_article(outlet, django_capture_on_commit_callbacks)
    assert network["small"].received == []
    activity = Activity.objects.get(kind="Create")
    tasks.fan_out_task.call(activity.pk, [actors.outlet_actor().pk], [])
    assert len(network["big"].received) == 1


def test_articles_can_go_out_as_notes(
    outlet, network, settings, django_capture_on_commit_callbacks
):
    settings.SOCIAL_ARTICLE_AS_NOTE = True
    article = publish_new_article(outlet, django_capture_on_commit_callbacks, title="Note story")
    note = network["big"].received[0].activity["object"]
    assert note["type"] == "Note"
    assert SITE + article.url in note["content"]


def test_rotating_a_key_tells_followers_with_the_new_key(
    outlet, fediverse, django_capture_on_commit_callbacks
):
    server = fediverse()
    add_follower(server, "ann")
    outlet_actor = actors.outlet_actor()
    old_key = outlet_actor.public_key_pem
    with django_capture_on_commit_callbacks(execute=True):
        services.rotate_actor_key(outlet_actor)
    outlet_actor.refresh_from_db()
    assert outlet_actor.public_key_pem != old_key
    [update] = server.received
    assert update.activity["type"] == "Update"
    assert update.activity["object"]["publicKey"]["publicKeyPem"] == outlet_actor.public_key_pem
    assert verify_outlet_signature(update)


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="thread priorities: Linux only")
def test_sending_threads_run_at_a_lower_cpu_priority_and_the_worker_keeps_its_own(
    outlet, network, django_capture_on_commit_callbacks, monkeypatch, settings
):
    settings.SOCIAL_DELIVERY_NICE = 10
    own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    seen = []
    real_post = delivery.fetching.post

    def post(*arguments, **keywords):
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        return real_post(*arguments, **keywords)

    monkeypatch.setattr(delivery.fetching, "post", post)
    publish_new_article(outlet, django_capture_on_commit_callbacks, title="Bridge repairs")

    assert len(seen) >= 3
    assert set(seen) == {min(19, own + 10)}
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == own
