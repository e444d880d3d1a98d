"""Fediverse replies in the conversation: a signed reply from a fake Mastodon-like server
becomes a comment waiting in the same queue as readers' comments, is shown as plain text
with its author's handle once approved, threaded with readers' comments; its author's
``Delete`` takes it away (leaving an empty place if readers answered it); blocked servers
and accounts never appear; and a reply to an article whose comments are not open is kept
hidden."""

import pytest
from django.core.cache import cache
from django.test import Client

from masthead.social import actions, services
from masthead.social.models import Comment, Commenter, Reply
from tests.readers import signed_in
from tests.social.commenting import (
    fragment,
    latest_comment,
    make_editor,
    open_comments,
    post,
    shown_comment_ids,
)
from tests.social.conftest import SITE
from tests.social.test_inbox import deliver

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_counts_from_other_tests():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def editor():
    return make_editor()


def reply_from(user, article, number=1, content="<p>When does the bridge reopen?</p>"):
    note = {
        "id": f"{user.uri}/notes/{number}",
        "type": "Note",
        "attributedTo": user.uri,
        "inReplyTo": SITE + article.url,
        "url": f"{user.instance.base}/@{user.name}/{number}",
        "content": content,
        "published": "2026-12-01T10:00:00Z",
    }
    return {"id": f"{note['id']}/activity", "type": "Create", "actor": user.uri, "object": note}


def delete_of(user, number=1):
    return {
        "id": f"{user.uri}/notes/{number}#delete",
        "type": "Delete",
        "actor": user.uri,
        "object": {"id": f"{user.uri}/notes/{number}", "type": "Tombstone"},
    }


def test_a_reply_waits_in_the_queue_then_shows_as_text_with_its_handle(
    client, outlet, fediverse, editor
):
    open_comments(outlet.article)
    alice = fediverse().add_user("alice")
    content = (
        '<p><span class="h-card"><a href="https://x.example/@news" class="u-url mention">'
        "@<span>news</span></a></span> When does it reopen? "
        '<a href="https://council.example/bridge" rel="nofollow noopener" target="_blank">'
        "council.example/bridge</a></p><script>alert(1)</script>"
        "<p>Second <b>paragraph</b> &amp; more.</p>"
    )

    assert (
        deliver(client, alice, reply_from(alice, outlet.article, content=content)).status_code
        == 202
    )

    comment = Comment.objects.get()
    assert comment.status == "pending" and comment.reason == "new"
    assert comment.reply.object_id == f"{alice.uri}/notes/1"
    assert shown_comment_ids(fragment(client, outlet.article).content.decode()) == []

    actions.ApproveComment(comment, editor).execute()

    shown = fragment(client, outlet.article).content.decode()
    assert shown_comment_ids(shown) == [comment.pk]
    assert '<span class="comment__author">Alice</span>' in shown
    assert f'<span class="comment__handle">@alice@{alice.instance.address}</span>' in shown
    assert f'href="{alice.instance.base}/@alice/1" rel="nofollow ugc"' in shown
    assert "<p>@news When does it reopen? council.example/bridge</p>" in shown
    assert "<p>Second paragraph &amp; more.</p>" in shown
    assert "alert(1)" not in shown and "<script" not in shown
    assert "<b>" not in shown


def test_a_trusted_account_goes_live_and_readers_reply_to_it(client, outlet, fediverse, editor):
    open_comments(outlet.article)
    alice = fediverse().add_user("alice")
    deliver(client, alice, reply_from(alice, outlet.article, 1, "<p>First.</p>"))
    actions.ApproveComment(Comment.objects.get(), editor).execute()

    deliver(client, alice, reply_from(alice, outlet.article, 2, "<p>Second, live.</p>"))
    second = latest_comment()
    reader = Client()
    signed_in(reader, "jo@example.org")
    post(reader, outlet.article, "Answering Alice.", parent=second.pk)
    answer = latest_comment()
    actions.ApproveComment(answer, editor).execute()

    assert second.status == "approved"
    shown = fragment(client, outlet.article).content.decode()
    assert "Second, live." in shown
    assert answer.parent_id == second.pk
    replies = shown.split('class="comments__replies"')[1].split("</ol>")[0]
    assert "Answering Alice." in replies


def test_a_delete_from_its_author_takes_the_reply_away(client, outlet, fediverse, editor):
    open_comments(outlet.article)
    alice = fediverse().add_user("alice")
    deliver(client, alice, reply_from(alice, outlet.article, content="<p>Regrettable.</p>"))
    actions.ApproveComment(Comment.objects.get(), editor).execute()
    assert "Regrettable." in fragment(client, outlet.article).content.decode()
    assert fragment(client, outlet.article)["X-Cache"] == "hit"

    assert deliver(client, alice, delete_of(alice)).status_code == 202

    assert Reply.objects.count() == 0
    assert Comment.objects.count() == 0
    fresh = fragment(client, outlet.article)
    assert fresh["X-Cache"] == "miss"
    assert "Regrettable." not in fresh.content.decode()


def test_a_deleted_reply_that_readers_answered_leaves_an_empty_place(
    client, outlet, fediverse, editor
):
    open_comments(outlet.article)
    alice = fediverse().add_user("alice")
    deliver(client, alice, reply_from(alice, outlet.article, content="<p>Withdrawn words.</p>"))
    theirs = Comment.objects.get()
    actions.ApproveComment(theirs, editor).execute()
    reader = Client()
    signed_in(reader, "jo@example.org")
    post(reader, outlet.article, "I disagree with Alice.", parent=theirs.pk)
    actions.ApproveComment(latest_comment(), editor).execute()

    deliver(client, alice, delete_of(alice))

    theirs.refresh_from_db()
    assert theirs.status == "removed"
    assert (theirs.body, theirs.author_name, theirs.reply_id) == ("", "", None)
    shown = fragment(client, outlet.article).content.decode()
    assert "This comment was removed." in shown
    assert "Withdrawn words." not in shown and "Alice<" not in shown
    assert "I disagree with Alice." in shown


def test_a_reply_from_a_domain_blocked_later_disappears(client, outlet, fediverse, editor):
    open_comments(outlet.article)
    server = fediverse()
    alice = server.add_user("alice")
    deliver(client, alice, reply_from(alice, outlet.article, content="<p>Spam spam.</p>"))
    actions.ApproveComment(Comment.objects.get(), editor).execute()
    assert "Spam spam." in fragment(client, outlet.article).content.decode()

    services.block_domain(server.address)

    assert Comment.objects.count() == 0
    assert "Spam spam." not in fragment(client, outlet.article).content.decode()
    assert deliver(client, alice, reply_from(alice, outlet.article, 2)).status_code == 403
    assert Comment.objects.count() == 0


def test_a_reply_from_an_account_blocked_later_disappears(client, outlet, fediverse, editor):
    open_comments(outlet.article)
    alice = fediverse().add_user("alice")
    deliver(client, alice, reply_from(alice, outlet.article, content="<p>Troll.</p>"))
    actions.ApproveComment(Comment.objects.get(), editor).execute()

    services.block_actor(alice.uri)

    assert Comment.objects.count() == 0
    assert "Troll." not in fragment(client, outlet.article).content.decode()


def test_a_reply_to_an_article_not_open_is_kept_hidden(client, outlet, fediverse):
    alice = fediverse().add_user("alice")

    assert deliver(client, alice, reply_from(alice, outlet.article)).status_code == 202

    comment = Comment.objects.get()
    assert comment.status == "hidden" and comment.reason == "closed"


def test_a_reply_from_a_banned_account_is_kept_hidden(client, outlet, fediverse, editor):
    open_comments(outlet.article)
    alice = fediverse().add_user("alice")
    deliver(client, alice, reply_from(alice, outlet.article, 1))
    actions.BanCommenter(Commenter.objects.get(actor_uri=alice.uri), editor).execute()

    deliver(client, alice, reply_from(alice, outlet.article, 2))

    assert list(Comment.objects.values_list("status", "reason").order_by("pk")) == [
        ("hidden", "banned"),
        ("hidden", "banned"),
    ]
    assert shown_comment_ids(fragment(client, outlet.article).content.decode()) == []
