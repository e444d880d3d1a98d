"""Moderating comments in the admin: the queue's tabs, approve, hide, ban and unban through
its buttons (with the audit log), opening and closing an article's comments (refused while
it is legally sensitive), the word list and the legally sensitive marks; and none of it
within reach of readers, strangers or editors without the permission."""

import pytest
from django.core.cache import cache
from django.test import Client
from wagtail.models import ModelLogEntry

from masthead.core.actions import ActionNotPermitted
from masthead.social import actions, comments
from masthead.social.models import (
    Comment,
    Commenter,
    Conversation,
    LegallySensitive,
    WordRule,
)
from tests.readers import signed_in
from tests.social.commenting import (
    fragment,
    latest_comment,
    make_contributor,
    make_editor,
    open_comments,
    post,
    report,
    shown_comment_ids,
)

pytestmark = pytest.mark.django_db

QUEUE = "/admin/social_comments/"
SCREENS = [
    QUEUE,
    QUEUE + "?show=reported",
    QUEUE + "?show=approved",
    QUEUE + "?show=hidden",
    QUEUE + "?show=banned",
    "/admin/social_conversations/",
    "/admin/social_conversations/new/",
    "/admin/social_word_list/",
    "/admin/social_word_list/new/",
    "/admin/social_legally_sensitive/",
    "/admin/social_legally_sensitive/new/",
]


@pytest.fixture(autouse=True)
def no_counts_from_other_tests():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def editor():
    return make_editor()


@pytest.fixture
def editor_client(editor):
    browser = Client()
    browser.force_login(editor)
    return browser


@pytest.fixture
def jo():
    browser = Client()
    browser.reader = signed_in(browser, "jo.reader@example.org", name="Jo Reader")
    return browser


def waiting_comment(jo, article, body="Please approve me."):
    open_comments(article)
    assert post(jo, article, body).status_code == 200
    return latest_comment()


def decide(browser, comment, decision, **extra):
    return browser.post(
        f"{QUEUE}{comment.pk}/decide/", {"decision": decision, "show": "pending", **extra}
    )


# --- Who reaches it ------------------------------------------------------------------------------


@pytest.mark.parametrize("screen", SCREENS)
def test_every_screen_opens_for_an_editor(editor_client, outlet, screen):
    assert editor_client.get(screen).status_code == 200


@pytest.mark.parametrize("screen", SCREENS)
def test_strangers_and_readers_are_sent_to_the_admin_sign_in(client, jo, outlet, screen):
    for browser in (client, jo):
        response = browser.get(screen)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("screen", SCREENS)
def test_an_editor_without_the_permission_is_refused(outlet, screen):
    browser = Client()
    browser.force_login(make_contributor())

    response = browser.get(screen)

    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert response["Location"] == "/admin/"
    assert "Please approve me" not in response.content.decode()


def test_no_one_without_the_permission_can_decide(client, jo, outlet):
    comment = waiting_comment(jo, outlet.article)
    contributor = Client()
    contributor.force_login(make_contributor())

    for browser in (client, jo, contributor):
        decide(browser, comment, "approve")
        browser.post(f"{QUEUE}commenters/{comment.commenter_id}/unban/")

    comment.refresh_from_db()
    assert comment.status == "pending"
    assert ModelLogEntry.objects.filter(action=actions.APPROVE_LOG_ACTION).count() == 0
    with pytest.raises(ActionNotPermitted):
        actions.ApproveComment(comment, make_contributor("another")).execute()


def test_the_comments_menu_is_shown_only_to_moderators(editor_client, outlet):
    contributor = Client()
    contributor.force_login(make_contributor())

    # The sidebar's menu is drawn from JSON in the page.
    assert '"/admin/social_comments/"' in editor_client.get("/admin/").content.decode()
    assert '"/admin/social_comments/"' not in contributor.get("/admin/").content.decode()


# --- The queue -----------------------------------------------------------------------------------


def test_the_queue_lists_waiting_comments_oldest_first(editor_client, jo, outlet):
    first = waiting_comment(jo, outlet.article, "First in.")
    second = waiting_comment(jo, outlet.article, "Second in, 1 < 2 & escaped.")

    page = editor_client.get(QUEUE).content.decode()

    assert page.index(f'data-comment="{first.pk}"') < page.index(f'data-comment="{second.pk}"')
    assert "Second in, 1 &lt; 2 &amp; escaped." in page
    assert "New commenter" in page
    assert "jo.reader@example.org" not in page


def test_an_editor_approves_in_the_queue_and_the_comment_appears(
    client, editor, editor_client, jo, outlet
):
    comment = waiting_comment(jo, outlet.article, "Approved from the queue.")

    response = decide(editor_client, comment, "approve")

    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.status == "approved"
    assert comment.moderated_by == editor
    assert Commenter.objects.get(pk=comment.commenter_id).standing == "trusted"
    assert "Approved from the queue." in fragment(client, outlet.article).content.decode()
    entry = ModelLogEntry.objects.get(action="social.comment_approved")
    assert entry.user == editor
    assert entry.data == {"comment": comment.pk, "article": outlet.article.pk}
    assert "jo.reader" not in entry.label


def test_an_editor_hides_a_published_comment(client, editor, editor_client, jo, outlet):
    comment = waiting_comment(jo, outlet.article, "To be hidden.")
    actions.ApproveComment(comment, editor).execute()

    decide(editor_client, comment, "hide")

    comment.refresh_from_db()
    assert (comment.status, comment.reason) == ("hidden", "moderator")
    assert "To be hidden." not in fragment(client, outlet.article).content.decode()
    assert Comment.objects.filter(pk=comment.pk).exists()
    entry = ModelLogEntry.objects.get(action="social.comment_hidden")
    assert entry.user == editor
    assert entry.data["comment"] == comment.pk


def test_an_editor_bans_a_commenter_from_the_queue_then_lifts_it(editor, editor_client, jo, outlet):
    comment = waiting_comment(jo, outlet.article, "Abusive words.")

    decide(editor_client, comment, "ban", reason="abuse")

    commenter = Commenter.objects.get(pk=comment.commenter_id)
    assert commenter.standing == "banned" and commenter.ban_reason == "abuse"
    comment.refresh_from_db()
    assert comment.status == "hidden"
    banned_tab = editor_client.get(QUEUE + "?show=banned").content.decode()
    assert f'data-commenter="{commenter.pk}"' in banned_tab
    assert post(jo, outlet.article, "Again.").status_code == 403

    editor_client.post(f"{QUEUE}commenters/{commenter.pk}/unban/", {"show": "banned"})

    commenter.refresh_from_db()
    assert commenter.standing == "new"
    assert post(jo, outlet.article, "Back, and held.").status_code == 200
    assert latest_comment().status == "pending"
    assert ModelLogEntry.objects.filter(action="social.commenter_banned").count() == 1
    assert ModelLogEntry.objects.filter(action="social.commenter_unbanned").count() == 1


def test_reported_comments_have_their_own_tab(editor, editor_client, jo, outlet):
    comment = waiting_comment(jo, outlet.article, "Reported once.")
    actions.ApproveComment(comment, editor).execute()
    sam = Client()
    signed_in(sam, "sam@example.org")
    report(sam, comment, "legal")

    reported = editor_client.get(QUEUE + "?show=reported").content.decode()

    assert f'data-comment="{comment.pk}"' in reported
    assert "1 report" in reported
    assert "Reported (1)" in reported
    decide(editor_client, comment, "approve")
    assert (
        f'data-comment="{comment.pk}"'
        not in editor_client.get(QUEUE + "?show=reported").content.decode()
    )


def test_approving_on_a_legally_sensitive_article_is_refused(editor_client, jo, outlet):
    comment = waiting_comment(jo, outlet.article, "About the accused.")
    LegallySensitive.objects.create(section=outlet.section, reason="Trial under way")

    response = decide(editor_client, comment, "approve")

    comment.refresh_from_db()
    assert comment.status == "pending"
    page = editor_client.get(response["Location"]).content.decode()
    assert "legally sensitive" in page


# --- Each article's comments switch ---------------------------------------------------------------


def test_an_editor_opens_an_articles_comments_from_its_edit_screen(editor_client, outlet):
    start = editor_client.get(f"/admin/social_conversations/article/{outlet.article.pk}/")
    assert start.status_code == 302
    form = editor_client.get(start["Location"])
    assert form.status_code == 200
    assert f'value="{outlet.article.pk}" selected' in form.content.decode()

    response = editor_client.post(
        "/admin/social_conversations/new/", {"article": outlet.article.pk, "state": "open"}
    )

    assert response.status_code == 302
    assert comments.state_of(outlet.article).is_open
    assert ModelLogEntry.objects.filter(action="social.comments_switched").exists()
    edit = editor_client.get(f"/admin/social_conversations/article/{outlet.article.pk}/")
    conversation = Conversation.objects.get(article=outlet.article)
    assert edit["Location"] == f"/admin/social_conversations/edit/{conversation.pk}/"


def test_the_article_edit_screen_leads_to_its_comments(editor_client, outlet):
    page = editor_client.get(f"/admin/pages/{outlet.article.pk}/edit/").content.decode()
    assert f"/admin/social_conversations/article/{outlet.article.pk}/" in page


def test_opening_a_legally_sensitive_article_is_refused_in_the_form(editor_client, outlet):
    tag = outlet.article.tags.get(name="Transport")
    LegallySensitive.objects.create(tag=tag, reason="Inquest opened")

    response = editor_client.post(
        "/admin/social_conversations/new/", {"article": outlet.article.pk, "state": "open"}
    )

    assert response.status_code == 200
    assert "legally sensitive" in response.content.decode()
    assert not Conversation.objects.exists()


def test_closing_in_the_admin_keeps_the_comments(client, editor, editor_client, jo, outlet):
    comment = waiting_comment(jo, outlet.article, "Still here after closing.")
    actions.ApproveComment(comment, editor).execute()
    conversation = Conversation.objects.get(article=outlet.article)

    editor_client.post(
        f"/admin/social_conversations/edit/{conversation.pk}/",
        {"article": outlet.article.pk, "state": "closed"},
    )

    assert comments.state_of(outlet.article).is_closed
    shown = fragment(client, outlet.article).content.decode()
    assert "Comments are closed." in shown
    assert shown_comment_ids(shown) == [comment.pk]


# --- The word list and the legally sensitive marks ---------------------------------------------


def test_an_editor_adds_to_the_word_list(editor_client, outlet):
    response = editor_client.post(
        "/admin/social_word_list/new/", {"phrase": "  Miracle   cure ", "action": "reject"}
    )
    assert response.status_code == 302
    assert WordRule.objects.get().phrase == "Miracle cure"

    blank = editor_client.post("/admin/social_word_list/new/", {"phrase": "   ", "action": "hold"})
    assert blank.status_code == 200
    assert WordRule.objects.count() == 1


def test_a_legally_sensitive_mark_is_a_section_or_a_tag(editor_client, outlet):
    tag = outlet.article.tags.get(name="Transport")
    both = editor_client.post(
        "/admin/social_legally_sensitive/new/",
        {"section": outlet.section.pk, "tag": tag.pk, "reason": "x"},
    )
    neither = editor_client.post("/admin/social_legally_sensitive/new/", {"reason": "x"})
    one = editor_client.post(
        "/admin/social_legally_sensitive/new/", {"tag": tag.pk, "reason": "R v Smith"}
    )

    assert both.status_code == neither.status_code == 200
    assert "Choose either a section or a tag" in both.content.decode()
    assert one.status_code == 302
    assert LegallySensitive.objects.get().tag == tag


def test_marking_a_section_sensitive_shows_the_article_closed_at_once(
    client, editor_client, outlet
):
    open_comments(outlet.article)
    assert "Read the comments and join in" in client.get(outlet.article.url).content.decode()

    editor_client.post(
        "/admin/social_legally_sensitive/new/",
        {"section": outlet.section.pk, "reason": "Trial"},
    )

    article_page = client.get(outlet.article.url)
    assert article_page["X-Cache"] == "miss"
    assert "Read the comments and join in" not in article_page.content.decode()
    assert "Comments are closed." in fragment(client, outlet.article).content.decode()
