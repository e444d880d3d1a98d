"""Posting articles to Mastodon, Bluesky and Threads, against fake servers that check the
requests as the real APIs do: one post per article per account ever, the editor's choice of
accounts and text, retries with backoff (and Retry-After), giving up and reporting, the
admin screens, and the fediverse handle in the site's "follow us" block."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from masthead.publishing.roles import EDITORS
from masthead.social import networks, posting
from masthead.social.models import NetworkAccount, NetworkPost
from tests.publishing.factories import make_article, make_image, publish
from tests.social import socialapis
from tests.social.conftest import SITE

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    server = socialapis.FakeSocialAPI("127.0.1.7").start()
    yield server
    server.stop()


@pytest.fixture
def accounts(api):
    return {
        "mastodon": NetworkAccount.objects.create(
            network="mastodon", name="Mastodon", server_url=api.base, secret=socialapis.TOKEN
        ),
        "bluesky": NetworkAccount.objects.create(
            network="bluesky",
            name="Bluesky",
            server_url=api.base,
            identifier=socialapis.HANDLE,
            secret=socialapis.APP_PASSWORD,
        ),
        "threads": NetworkAccount.objects.create(
            network="threads",
            name="Threads",
            server_url=api.base + "/v1.0",
            identifier=socialapis.THREADS_USER,
            secret=socialapis.THREADS_TOKEN,
        ),
    }


def publish_article(outlet, capture, **fields):
    fields.setdefault("title", "Ferry timetable changes")
    fields.setdefault("tags", ["Transport", "local elections"])
    with capture(execute=True):
        return make_article(outlet.section, [outlet.author], **fields)


def post_of(article, network):
    return NetworkPost.objects.get(article=article, account__network=network)


def test_publishing_posts_once_to_every_network(
    outlet, api, accounts, django_capture_on_commit_callbacks
):
    image = make_image("Ferry")
    article = publish_article(
        outlet,
        django_capture_on_commit_callbacks,
        hero_image=image,
        hero_alt_text="The ferry leaving the harbour at dawn",
    )
    url = f"{SITE}{article.url}"

    mastodon = post_of(article, "mastodon")
    assert mastodon.status == "posted" and mastodon.attempts == 1
    (status,) = api.statuses.values()
    assert mastodon.url == status["url"] and mastodon.remote_id == status["id"]
    assert status["content"].startswith("Ferry timetable changes\n\nWork on the old river")
    assert url in status["content"] and "#Transport" in status["content"]
    assert "#LocalElections" in status["content"] and status["visibility"] == "public"
    assert status["media_attachments"][0]["description"] == "The ferry leaving the harbour at dawn"

    bluesky = post_of(article, "bluesky")
    assert bluesky.status == "posted"
    (record,) = api.records.values()
    assert (
        bluesky.remote_id == f"at://{socialapis.DID}/app.bsky.feed.post/{bluesky.idempotency_key}"
    )
    assert bluesky.url == (
        f"https://bsky.app/profile/{socialapis.HANDLE}/post/{bluesky.idempotency_key}"
    )
    external = record["embed"]["external"]
    assert external["uri"] == url and external["title"] == "Ferry timetable changes"
    assert external["thumb"]["mimeType"] == "image/jpeg"
    features = [facet["features"][0] for facet in record["facets"]]
    assert features[0] == {"$type": "app.bsky.richtext.facet#link", "uri": url}
    assert [f["tag"] for f in features[1:]] == ["Transport", "LocalElections"]

    threads = post_of(article, "threads")
    (thread,) = api.threads.values()
    assert thread["media_type"] == "TEXT" and thread["link_attachment"] == url
    assert threads.url == f"https://www.threads.net/@news/post/C{threads.remote_id}"

    # Publishing again (an edit) posts nothing more anywhere.
    before = len(api.requests)
    article.title = "Ferry timetable changes from Monday"
    with django_capture_on_commit_callbacks(execute=True):
        publish(article)
    assert len(api.requests) == before
    assert NetworkPost.objects.filter(article=article).count() == 3


def test_the_editors_choice_of_accounts_and_text(
    outlet, api, accounts, django_capture_on_commit_callbacks
):
    draft = make_article(outlet.section, title="Council tax rise agreed")
    draft.unpublish()
    posting.save_choice(draft, [accounts["bluesky"]], "Council tax goes up 5% in April 🇬🇧")
    with django_capture_on_commit_callbacks(execute=True):
        publish(draft)
    assert list(NetworkPost.objects.values_list("account__network", flat=True)) == ["bluesky"]
    (record,) = api.records.values()
    assert record["text"].startswith("Council tax goes up 5% in April 🇬🇧\n\n127.0.0.1:8000/")
    assert not api.statuses and not api.threads


def test_a_rate_limit_waits_for_retry_after_and_the_retry_posts_once(
    outlet, api, accounts, django_capture_on_commit_callbacks, settings
):
    settings.SOCIAL_RETRY_SECONDS = 30
    accounts["bluesky"].delete()
    accounts["threads"].delete()
    api.fail_next("/api/v1/statuses", 429, retry_after=120)
    article = publish_article(outlet, django_capture_on_commit_callbacks)
    post = post_of(article, "mastodon")
    assert post.status == "pending" and post.attempts == 1 and "HTTP 429" in post.last_error
    wait = (post.next_attempt_at - timezone.now()).total_seconds()
    assert 100 < wait <= 120
    assert posting.send_due() == 0  # not due yet

    NetworkPost.objects.filter(pk=post.pk).update(next_attempt_at=timezone.now())
    assert posting.send_due() == 1
    post.refresh_from_db()
    assert post.status == "posted" and post.attempts == 2 and post.last_error == ""
    keys = {h["Idempotency-Key"] for m, p, h in api.requests if p == "/api/v1/statuses"}
    assert keys == {post.idempotency_key} and len(api.statuses) == 1


def test_a_lost_answer_never_makes_a_second_post(
    outlet, api, accounts, django_capture_on_commit_callbacks
):
    api.fail_next("/api/v1/statuses", 502, after=True)
    api.fail_next("com.atproto.repo.createRecord", 500, after=True)
    api.fail_next("threads_publish", 503, after=True)
    article = publish_article(outlet, django_capture_on_commit_callbacks)
    assert set(NetworkPost.objects.values_list("status", flat=True)) == {"pending"}

    NetworkPost.objects.update(next_attempt_at=timezone.now())
    assert posting.send_due() == 3
    assert set(NetworkPost.objects.values_list("status", "last_error")) == {("posted", "")}
    assert len(api.statuses) == len(api.records) == 1
    assert "com.atproto.repo.getRecord" in " ".join(api.paths())
    # Threads published its container once; the retry found the thread instead.
    (media_id,) = api.threads
    assert post_of(article, "threads").url == api.permalink(media_id)


def test_server_errors_are_retried_with_backoff_then_given_up(
    outlet, api, accounts, django_capture_on_commit_callbacks, settings
):
    settings.SOCIAL_RETRY_SECONDS = 10
    settings.SOCIAL_POST_ATTEMPTS = 3
    accounts["bluesky"].delete()
    accounts["mastodon"].delete()
    api.fail_next("/threads", 500, times=3)
    article = publish_article(outlet, django_capture_on_commit_callbacks)
    post = post_of(article, "threads")
    waits = []
    for _ in range(2):
        waits.append(round((post.next_attempt_at - timezone.now()).total_seconds()))
        NetworkPost.objects.filter(pk=post.pk).update(next_attempt_at=timezone.now())
        posting.send_due()
        post.refresh_from_db()
    assert waits == [10, 20]
    assert post.status == "failed" and post.attempts == 3 and "HTTP 500" in post.last_error
    assert not api.threads


def test_a_refused_token_gives_up_at_once(
    outlet, api, accounts, django_capture_on_commit_callbacks
):
    NetworkAccount.objects.filter(pk=accounts["mastodon"].pk).update(secret="revoked")
    NetworkAccount.objects.filter(pk=accounts["bluesky"].pk).update(secret="wrong")
    NetworkAccount.objects.filter(pk=accounts["threads"].pk).update(secret="expired")
    article = publish_article(outlet, django_capture_on_commit_callbacks)
    posts = {post.account.network: post for post in NetworkPost.objects.filter(article=article)}
    assert {post.status for post in posts.values()} == {"failed"}
    assert {post.attempts for post in posts.values()} == {1}
    assert "HTTP 401" in posts["mastodon"].last_error
    assert "Invalid identifier or password" in posts["bluesky"].last_error
    assert "Invalid OAuth access token" in posts["threads"].last_error


def test_unpublished_and_private_articles_are_not_posted(outlet, api, accounts):
    article = make_article(outlet.section, title="Embargoed")
    article.unpublish()
    assert posting.plan_posts(article) == 0
    assert not api.requests


def test_texts_fit_each_network():
    card = networks.Card(
        url="https://news.example/news/2026/a-very-long-address-for-a-story/",
        title="T",
        description="",
        hashtags=["Transport"],
    )
    long = "Word " * 200
    status = networks.mastodon_text(long, card)
    assert socialapis.mastodon_length(status) <= 500 and status.endswith("#Transport")
    text, facets = networks.bluesky_text("👩‍👩‍👧 🇬🇧 é " + long, card)
    assert networks.graphemes(text) <= 300 and "…" in text
    assert networks.graphemes("👩‍👩‍👧🇬🇧é") == 3
    link = text.encode()[facets[0]["index"]["byteStart"] : facets[0]["index"]["byteEnd"]]
    assert link.decode() == "news.example/news/2026/a-very…"
    assert len(networks.threads_text(long)) <= 500
    key = networks.new_record_key()
    assert len(key) == 13 and set(key) <= set(networks.TID_ALPHABET)


@pytest.fixture
def admin_client(client):
    admin = get_user_model().objects.create_superuser("chief", "chief@example.org", "pw")
    client.force_login(admin)
    return client


def test_the_admin_never_shows_a_secret_back(admin_client, outlet, accounts):
    account = accounts["mastodon"]
    page = admin_client.get(f"/admin/social_accounts/edit/{account.pk}/").content.decode()
    assert socialapis.TOKEN not in page and "••••••••6789" in page
    response = admin_client.post(
        f"/admin/social_accounts/edit/{account.pk}/",
        {
            "network": "mastodon",
            "name": "Our Mastodon",
            "server_url": account.server_url,
            "identifier": "",
            "secret": "",
            "enabled": "on",
        },
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.name == "Our Mastodon" and account.secret == socialapis.TOKEN
    response = admin_client.post(
        "/admin/social_accounts/new/",
        {"network": "bluesky", "name": "Sky", "server_url": "", "identifier": "", "secret": ""},
    )
    assert response.status_code == 200
    assert NetworkAccount.objects.filter(name="Sky").count() == 0


def test_the_articles_screen_chooses_and_shows_the_links(
    admin_client, outlet, api, accounts, django_capture_on_commit_callbacks
):
    article = outlet.article
    edit = admin_client.get(f"/admin/pages/{article.pk}/edit/").content.decode()
    screen = f"/admin/social_posts/article/{article.pk}/"
    assert screen in edit
    page = admin_client.get(screen).content.decode()
    assert "Not posted yet" in page and article.standfirst in page
    response = admin_client.post(
        screen, {"accounts": [accounts["mastodon"].pk], "text": "Read this first"}
    )
    assert response.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        publish(article)
    post = post_of(article, "mastodon")
    assert post.text == "Read this first" and post.status == "posted"
    page = admin_client.get(screen).content.decode()
    assert post.url in page
    listing = admin_client.get("/admin/social_posts/").content.decode()
    assert post.url in listing


def test_the_follow_us_block_shows_the_fediverse_handle(client, outlet, settings):
    settings.SOCIAL_ACTOR_NAME = "news"
    page = client.get(outlet.article.url).content.decode()
    assert '<code class="fediverse-handle__text">@news@127.0.0.1:8000</code>' in page
    assert 'data-copy-text="@news@127.0.0.1:8000"' in page and " hidden>" in page
    assert "social/copy-handle" in page


def test_an_unknown_retry_after_falls_back_to_backoff():
    assert networks._retry_after("soon") is None
    assert networks._retry_after("7") == 7.0
    later = timezone.now() + timedelta(seconds=90)
    assert 80 < networks._retry_after(later.strftime("%a, %d %b %Y %H:%M:%S GMT")) <= 90


def test_editors_may_set_up_accounts_and_see_posts(client, outlet, accounts):
    editor = get_user_model().objects.create_user("ed", "ed@example.org", "pw")
    editor.groups.add(Group.objects.get(name=EDITORS))
    client.force_login(editor)
    assert client.get("/admin/social_accounts/").status_code == 200
    assert client.get("/admin/social_posts/").status_code == 200
    assert client.get(f"/admin/social_posts/article/{outlet.article.pk}/").status_code == 200
    assert client.get("/admin/social_followers/").status_code != 200


def test_a_picture_still_processing_is_waited_for(
    outlet, api, accounts, django_capture_on_commit_callbacks
):
    accounts["bluesky"].delete()
    accounts["threads"].delete()
    api.processing_checks = 1
    article = publish_article(
        outlet, django_capture_on_commit_callbacks, hero_image=make_image("Quay")
    )
    post = post_of(article, "mastodon")
    assert post.status == "pending" and "still being processed" in post.last_error
    NetworkPost.objects.filter(pk=post.pk).update(next_attempt_at=timezone.now())
    posting.send_due()
    post.refresh_from_db()
    assert post.status == "posted" and len(api.media) == 1
    (status,) = api.statuses.values()
    assert status["media_attachments"][0]["description"] == "Quay"


def test_an_answer_without_its_fields_counts_as_a_failed_try(
    outlet, api, accounts, django_capture_on_commit_callbacks, settings
):
    settings.SOCIAL_POST_ATTEMPTS = 1
    accounts["bluesky"].delete()
    accounts["mastodon"].delete()
    api.route = lambda *args: (200, {"ok": True})
    article = publish_article(outlet, django_capture_on_commit_callbacks)
    post = post_of(article, "threads")
    assert post.status == "failed" and post.attempts == 1 and post.claimed_until is None
    assert "Unexpected answer: KeyError('id')" in post.last_error
