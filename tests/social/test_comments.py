"""Readers' comments, from the reader's side: off by default, opened and closed by editors
and closed by legally sensitive sections and tags without losing a comment; one level of
threads; only signed-in readers from a form of this site, within limits; every kind of
hostile input refused with its own message and nothing stored or lost; links with
rel="nofollow ugc"; the shadow-hold of new commenters, the word list and bans; reports; and
the fragment, cached and emptied when a comment is published, while the article's cached
page stays as it was."""

import pytest
from django.core.cache import cache
from django.test import Client

from masthead.core import cache as page_cache
from masthead.social import actions, comments
from masthead.social.models import Comment, Commenter, CommentReport, LegallySensitive, WordRule
from tests.publishing.factories import make_article, make_section
from tests.readers import signed_in
from tests.social.commenting import (
    fragment,
    latest_comment,
    make_editor,
    open_comments,
    post,
    report,
    shown_comment_ids,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_counts_from_other_tests():
    """Rate limits are counted in the cache, by reader id and network: start from none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def jo():
    """A signed-in reader's browser."""
    browser = Client()
    browser.reader = signed_in(browser, "jo.reader@example.org", name="Jo Reader")
    return browser


@pytest.fixture
def sam():
    browser = Client()
    browser.reader = signed_in(browser, "sam.reader@example.org", name="Sam Other")
    return browser


@pytest.fixture
def editor():
    return make_editor()


def approve(comment, editor):
    return actions.ApproveComment(comment, editor).execute()


def published_comment(client, article, editor, body="A first thought.", **kwargs):
    """A comment by ``client``'s reader, approved (so its author is trusted from then)."""
    response = post(client, article, body, **kwargs)
    assert response.status_code == 200, response.content.decode()
    return approve(latest_comment(), editor)


# --- Off by default, open, closed ----------------------------------------------------------------


def test_comments_are_off_by_default(client, jo, outlet):
    article_page = client.get(outlet.article.url).content.decode()
    assert 'id="comments"' not in article_page
    assert fragment(client, outlet.article).status_code == 404

    response = post(jo, outlet.article, "Is anyone reading this?")

    assert response.status_code == 403
    assert "Comments on this article are closed." in response.content.decode()
    assert "Is anyone reading this?" in response.content.decode()
    assert Comment.objects.count() == 0


def test_an_opened_article_shows_its_comments_section_and_form(client, outlet):
    open_comments(outlet.article)

    article_page = client.get(outlet.article.url).content.decode()
    assert f'data-comments-src="/social/articles/{outlet.article.pk}/comments/fragment/"' in (
        article_page
    )
    assert f'href="/social/articles/{outlet.article.pk}/comments/"' in article_page
    shown = fragment(client, outlet.article).content.decode()
    assert 'class="comment-form"' in shown
    assert "No comments yet" in shown
    assert "Comments are closed" not in shown


def test_closing_keeps_every_comment_and_refuses_new_ones(client, jo, sam, outlet, editor):
    open_comments(outlet.article)
    kept = published_comment(jo, outlet.article, editor, "Kept after closing.")
    post(sam, outlet.article, "Waiting when it closed.")
    waiting = latest_comment()

    comments.set_state(outlet.article, "closed")

    shown = fragment(client, outlet.article).content.decode()
    assert "Comments are closed." in shown
    assert "Kept after closing." in shown
    assert 'class="comment-form"' not in shown
    assert shown_comment_ids(shown) == [kept.pk]
    refused = post(jo, outlet.article, "One more?")
    assert refused.status_code == 403
    assert "closed" in refused.content.decode()
    assert set(Comment.objects.values_list("pk", "status")) == {
        (kept.pk, "approved"),
        (waiting.pk, "pending"),
    }


@pytest.mark.parametrize("mark", ["section", "tag"])
def test_a_legally_sensitive_section_or_tag_closes_the_article(client, jo, outlet, editor, mark):
    open_comments(outlet.article)
    kept = published_comment(jo, outlet.article, editor, "Said before the charge.")
    if mark == "section":
        LegallySensitive.objects.create(section=outlet.section, reason="R v Smith: active")
    else:
        tag = outlet.article.tags.get(name="Transport")
        LegallySensitive.objects.create(tag=tag, reason="R v Smith: active")

    assert comments.state_of(outlet.article).is_closed
    shown = fragment(client, outlet.article).content.decode()
    assert "Comments are closed." in shown
    assert shown_comment_ids(shown) == [kept.pk]
    refused = post(jo, outlet.article, "Surely he did it.")
    assert refused.status_code == 403
    assert Comment.objects.count() == 1

    with pytest.raises(comments.Refused) as reopening:
        comments.set_state(outlet.article, "open")
    assert reopening.value.status == 409
    assert "legally sensitive" in str(reopening.value.message)

    LegallySensitive.objects.all().delete()
    assert comments.state_of(outlet.article).is_open


def test_an_article_in_another_section_is_not_closed_by_a_mark(outlet):
    other_section = make_section(outlet.home, "Courts")
    LegallySensitive.objects.create(section=other_section, reason="Active proceedings")
    open_comments(outlet.article)
    assert comments.state_of(outlet.article).is_open


def test_the_article_page_stays_cacheable_and_holds_nothing_of_any_reader(client, jo, outlet):
    open_comments(outlet.article)
    post(jo, outlet.article, "Mine alone.")

    first = jo.get(outlet.article.url)
    again = client.get(outlet.article.url)

    assert first["X-Cache"] == "miss"
    assert again["X-Cache"] == "hit"
    assert again.content == first.content
    body = again.content.decode()
    assert "csrfmiddlewaretoken" not in body
    assert "jo.reader" not in body and "Jo Reader" not in body and "Mine alone." not in body


# --- Threads -----------------------------------------------------------------------------------


def test_replies_are_one_level_deep_and_a_reply_to_a_reply_joins_its_thread(
    client, jo, sam, outlet, editor
):
    open_comments(outlet.article)
    top = published_comment(jo, outlet.article, editor, "The top of the thread.")
    answer = published_comment(sam, outlet.article, editor, "An answer.", parent=top.pk)

    response = post(jo, outlet.article, "An answer to the answer.", parent=answer.pk)

    assert response.status_code == 200
    deeper = latest_comment()
    assert deeper.parent_id == top.pk
    assert deeper.status == "approved"  # Jo was approved once: no longer held
    shown = fragment(client, outlet.article).content.decode()
    assert shown_comment_ids(shown) == [top.pk, answer.pk, deeper.pk]
    replies = shown.split('class="comments__replies"')[1].split("</ol>")[0]
    assert f'id="comment-{answer.pk}"' in replies and f'id="comment-{deeper.pk}"' in replies
    assert f'name="parent" value="{top.pk}"' in shown


# --- Who may post, and from where ----------------------------------------------------------------


def test_a_signed_out_reader_is_asked_to_sign_in_and_keeps_their_text(client, outlet):
    open_comments(outlet.article)

    response = post(client, outlet.article, "Words I took time over.", name="Pat")

    assert response.status_code == 403
    page = response.content.decode()
    assert "You need to be signed in to comment." in page
    assert ">Words I took time over.</textarea>" in page
    assert 'value="Pat"' in page
    assert f"/account/sign-in/?next=/social/articles/{outlet.article.pk}/comments/" in page
    assert Comment.objects.count() == 0
    assert "private" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ORIGIN": "https://evil.example"},
        {"HTTP_REFERER": "https://evil.example/page"},
        {},
    ],
    ids=["other-origin", "other-referer", "neither"],
)
def test_a_comment_sent_from_another_site_is_refused(jo, outlet, headers):
    """Cross-site request forgery: the forms carry no token (the fragment is shared), so the
    Origin or Referer must be this site's, even with a signed-in reader's cookie."""
    open_comments(outlet.article)

    response = jo.post(
        f"/social/articles/{outlet.article.pk}/comments/new/",
        {"body": "Posted for you by another site."},
        **headers,
    )

    assert response.status_code == 403
    assert "from a form on our own site" in response.content.decode()
    assert Comment.objects.count() == 0


def test_a_report_sent_from_another_site_is_refused(client, jo, sam, outlet, editor):
    open_comments(outlet.article)
    target = published_comment(jo, outlet.article, editor)

    response = report(sam, target, origin="https://evil.example")

    assert response.status_code == 403
    assert CommentReport.objects.count() == 0


def test_too_many_comments_are_refused_and_the_text_kept(jo, outlet, settings):
    settings.SOCIAL_COMMENT_LIMIT_PER_READER = (2, 600)
    open_comments(outlet.article)
    assert post(jo, outlet.article, "One.").status_code == 200
    assert post(jo, outlet.article, "Two.").status_code == 200

    response = post(jo, outlet.article, "Three, too soon.")

    assert response.status_code == 429
    assert "Please wait a while" in response.content.decode()
    assert "Three, too soon.</textarea>" in response.content.decode()
    assert Comment.objects.count() == 2


def test_too_many_comments_from_one_network_are_refused(outlet, settings):
    settings.SOCIAL_COMMENT_LIMIT_PER_IP = (2, 3600)
    open_comments(outlet.article)
    browsers = []
    for number in range(3):
        browser = Client()
        signed_in(browser, f"reader{number}@example.org")
        browsers.append(browser)

    answers = [post(browser, outlet.article, "From the same flat.") for browser in browsers]

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert Comment.objects.count() == 2


# --- Hostile input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Nice <script>alert(1)</script>", "contains HTML tags"),
        ('See <a href="https://x.example">this</a>', "contains HTML tags"),
        ("<img src=x onerror=alert(1)>", "contains HTML tags"),
        ("Click javascript:alert(document.cookie)", "does not start with http://"),
        ("Try JaVa\tScRiPt:alert(1)", "does not start with http://"),
        ("data:text/html;base64,PHNjcmlwdD4=", "does not start with http://"),
        ("x" * 5001, "is 5,001 characters long: the most is 5,000"),
        ("Ring the \x07bell", "invisible control characters"),
        ("Reversed \u202etxt.exe", "invisible control characters"),
        ("Nul \x00 byte", "Null characters are not allowed"),
        ("   \n\t ", "Write your comment first."),
    ],
    ids=[
        "script",
        "anchor",
        "img-onerror",
        "javascript",
        "javascript-obfuscated",
        "data-url",
        "too-long",
        "bell",
        "bidi-override",
        "nul",
        "blank",
    ],
)
def test_hostile_comments_are_refused_each_with_its_message(jo, outlet, body, message):
    open_comments(outlet.article)

    response = post(jo, outlet.article, body)

    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert "data-comment-refused" in page
    assert Comment.objects.count() == 0
    assert "<script>alert(1)</script>" not in page  # kept for the reader, escaped


def test_a_huge_request_is_refused_without_storing_anything(jo, outlet):
    open_comments(outlet.article)

    response = post(jo, outlet.article, "word " * 200_000)

    assert response.status_code == 400
    assert "characters long" in response.content.decode()
    assert Comment.objects.count() == 0


def test_a_hostile_name_is_refused(jo, outlet):
    open_comments(outlet.article)

    response = post(jo, outlet.article, "Fine text.", name="<b>Admin</b>")

    assert response.status_code == 400
    assert "Your name contains HTML tags" in response.content.decode()
    assert Comment.objects.count() == 0


def test_a_reply_under_a_comment_of_another_article_is_refused(jo, outlet, editor):
    other = make_article(outlet.section, title="Another story")
    open_comments(outlet.article)
    open_comments(other)
    elsewhere = published_comment(jo, other, editor, "On the other story.")

    response = post(jo, outlet.article, "Forged thread.", parent=elsewhere.pk)

    assert response.status_code == 400
    assert "not on this article" in response.content.decode()
    assert "Forged thread.</textarea>" in response.content.decode()
    assert Comment.objects.count() == 1


@pytest.mark.parametrize(
    ("parent", "status", "message"),
    [
        ("999999", 404, "cannot be found"),
        ("1 OR 1=1", 400, "cannot be found"),
    ],
)
def test_a_reply_under_a_missing_comment_is_refused(jo, outlet, parent, status, message):
    open_comments(outlet.article)

    response = post(jo, outlet.article, "Into the void.", parent=parent)

    assert response.status_code == status
    assert message in response.content.decode()
    assert Comment.objects.count() == 0


def test_a_reply_under_a_comment_waiting_for_moderation_is_refused(jo, sam, outlet):
    open_comments(outlet.article)
    post(sam, outlet.article, "Not published yet.")
    waiting = latest_comment()

    response = post(jo, outlet.article, "Answering the unseen.", parent=waiting.pk)

    assert response.status_code == 409
    assert "not published" in response.content.decode()
    assert Comment.objects.count() == 1


def test_a_comment_for_an_unpublished_article_is_not_found(jo, outlet):
    open_comments(outlet.article)
    outlet.article.unpublish()

    assert post(jo, outlet.article, "Hello?").status_code == 404
    assert Comment.objects.count() == 0


# --- What is shown -----------------------------------------------------------------------------


def test_links_get_nofollow_ugc_and_text_is_escaped(client, jo, outlet, editor):
    open_comments(outlet.article)
    published_comment(
        jo,
        outlet.article,
        editor,
        'Source: https://example.org/report?id=1&x=2. And 1 < 2 & "quotes".\n\nNew paragraph.',
    )

    shown = fragment(client, outlet.article).content.decode()

    assert (
        '<a href="https://example.org/report?id=1&amp;x=2" rel="nofollow ugc">'
        "https://example.org/report?id=1&amp;x=2</a>." in shown
    )
    assert "1 &lt; 2 &amp; &quot;quotes&quot;." in shown
    assert "<p>New paragraph.</p>" in shown
    assert 'rel="nofollow ugc"' in shown
    assert "Jo Reader" in shown
    assert "jo.reader@example.org" not in shown


def test_the_name_given_is_shown_instead_of_the_accounts(client, jo, outlet, editor):
    open_comments(outlet.article)
    published_comment(jo, outlet.article, editor, "Signed differently.", name="J. R.")

    shown = fragment(client, outlet.article).content.decode()

    assert '<span class="comment__author">J. R.</span>' in shown
    assert "Jo Reader" not in shown


# --- Moderation as readers meet it --------------------------------------------------------------


def test_a_new_commenter_is_held_until_first_approved_then_goes_live(client, jo, outlet, editor):
    open_comments(outlet.article)

    response = post(jo, outlet.article, "My very first comment.")

    first = latest_comment()
    assert first.status == "pending" and first.reason == "new"
    assert "once an editor has read it" in response.content.decode()
    assert shown_comment_ids(fragment(client, outlet.article).content.decode()) == []

    approve(first, editor)
    assert Commenter.objects.get(reader=jo.reader).standing == "trusted"

    response = post(jo, outlet.article, "Straight on the page now.")
    second = latest_comment()
    assert second.status == "approved"
    assert "Your comment is published." in response.content.decode()
    shown = fragment(client, outlet.article).content.decode()
    assert shown_comment_ids(shown) == [first.pk, second.pk]


def test_the_word_list_holds_even_a_trusted_commenter(client, jo, outlet, editor):
    open_comments(outlet.article)
    published_comment(jo, outlet.article, editor)
    WordRule.objects.create(phrase="miracle cure", action="hold")

    post(jo, outlet.article, "Try this MIRACLE   Cure today")

    held = latest_comment()
    assert held.status == "pending" and held.reason == "words"
    assert "MIRACLE" not in fragment(client, outlet.article).content.decode()


def test_the_word_list_matches_whole_words_only(jo, outlet, editor):
    open_comments(outlet.article)
    published_comment(jo, outlet.article, editor)
    WordRule.objects.create(phrase="ass", action="hold")

    post(jo, outlet.article, "A classic assessment of the bypass.")

    assert latest_comment().status == "approved"


def test_the_word_list_refuses_with_a_message_and_keeps_the_text(jo, outlet):
    open_comments(outlet.article)
    WordRule.objects.create(phrase="casino", action="reject")

    full_width_casino = "\uff23\uff21\uff33\uff29\uff2e\uff2f"
    response = post(jo, outlet.article, f"Best {full_width_casino} bonus here")

    assert response.status_code == 400
    page = response.content.decode()
    assert "uses a word or phrase this site does not publish" in page
    assert "bonus here</textarea>" in page
    assert Comment.objects.count() == 0


def test_a_banned_reader_can_no_longer_comment_and_their_waiting_comments_are_hidden(
    jo, outlet, editor
):
    open_comments(outlet.article)
    post(jo, outlet.article, "Waiting one.")
    waiting = latest_comment()

    actions.BanCommenter(waiting.commenter, editor, reason="abuse").execute()

    waiting.refresh_from_db()
    assert waiting.status == "hidden" and waiting.reason == "banned"
    response = post(jo, outlet.article, "Let me back in.")
    assert response.status_code == 403
    assert "You can no longer comment on this site." in response.content.decode()
    assert Comment.objects.count() == 1


# --- Reports -------------------------------------------------------------------------------------


def test_reports_send_a_comment_back_to_the_queue_after_three_readers(
    client, jo, outlet, editor, settings
):
    settings.SOCIAL_COMMENT_REPORTS_TO_HOLD = 3
    open_comments(outlet.article)
    target = published_comment(jo, outlet.article, editor, "Contested words.")
    reporters = []
    for number in range(3):
        browser = Client()
        signed_in(browser, f"reporter{number}@example.org")
        reporters.append(browser)

    first = report(reporters[0], target, "abuse")
    again = report(reporters[0], target, "spam")
    report(reporters[1], target, "legal")

    assert first.status_code == again.status_code == 200
    assert "An editor will look at this comment." in first.content.decode()
    assert "already reported" in again.content.decode()
    target.refresh_from_db()
    assert target.status == "approved"
    assert shown_comment_ids(fragment(client, outlet.article).content.decode()) == [target.pk]

    report(reporters[2], target, "abuse")

    target.refresh_from_db()
    assert target.status == "pending" and target.reason == "reported"
    assert shown_comment_ids(fragment(client, outlet.article).content.decode()) == []
    assert CommentReport.objects.filter(comment=target, resolved=False).count() == 3

    approve(target, editor)
    assert CommentReport.objects.filter(comment=target, resolved=False).count() == 0
    assert shown_comment_ids(fragment(client, outlet.article).content.decode()) == [target.pk]


def test_only_signed_in_readers_report_and_only_published_comments(client, jo, sam, outlet):
    open_comments(outlet.article)
    post(jo, outlet.article, "Still waiting.")
    waiting = latest_comment()

    signed_out = report(client, waiting)
    unpublished = report(sam, waiting)
    bad_reason = report(sam, waiting, reason="because")

    assert signed_out.status_code == 403
    assert "signed in to report" in signed_out.content.decode()
    assert unpublished.status_code == 404
    assert "not published" in unpublished.content.decode()
    assert bad_reason.status_code == 400
    assert CommentReport.objects.count() == 0


# --- The fragment and the page cache -----------------------------------------------------------


def test_publishing_a_comment_empties_the_fragment_but_not_the_cached_article(
    client, jo, outlet, editor
):
    open_comments(outlet.article)
    post(jo, outlet.article, "Worth the wait.")
    waiting = latest_comment()
    article_first = client.get(outlet.article.url)
    fragment_first = fragment(client, outlet.article)
    fragment_again = fragment(client, outlet.article)
    assert fragment_first["X-Cache"] == "miss" and fragment_again["X-Cache"] == "hit"
    assert "Worth the wait." not in fragment_again.content.decode()
    generation = page_cache.current_generation()

    approve(waiting, editor)

    fresh = fragment(client, outlet.article)
    assert fresh["X-Cache"] == "miss"
    assert "Worth the wait." in fresh.content.decode()
    # Browsers ask again each time; shared caches in front keep it a second at most.
    assert fresh["Cache-Control"] == "public, max-age=0, s-maxage=1"
    assert fragment(client, outlet.article)["X-Cache"] == "hit"
    assert page_cache.current_generation() == generation
    article_again = client.get(outlet.article.url)
    assert article_again["X-Cache"] == "hit"
    assert article_again.content == article_first.content


def test_hiding_a_comment_empties_the_fragment(client, jo, outlet, editor):
    open_comments(outlet.article)
    shown = published_comment(jo, outlet.article, editor, "Soon gone.")
    assert "Soon gone." in fragment(client, outlet.article).content.decode()
    assert fragment(client, outlet.article)["X-Cache"] == "hit"

    actions.HideComment(shown, editor).execute()

    fresh = fragment(client, outlet.article)
    assert fresh["X-Cache"] == "miss"
    assert "Soon gone." not in fresh.content.decode()


def test_the_fragment_is_the_same_for_every_reader(client, jo, outlet, editor):
    open_comments(outlet.article)
    published_comment(jo, outlet.article, editor, "Public words.")

    as_reader = fragment(jo, outlet.article)
    as_stranger = fragment(client, outlet.article)

    assert as_stranger["X-Cache"] == "hit"
    assert as_reader.content == as_stranger.content
    assert "csrfmiddlewaretoken" not in as_reader.content.decode()
    assert "jo.reader@example.org" not in as_reader.content.decode()


def test_the_comments_page_works_without_javascript(client, jo, outlet, editor):
    open_comments(outlet.article)
    published_comment(jo, outlet.article, editor, "Readable without scripts.")

    response = client.get(f"/social/articles/{outlet.article.pk}/comments/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Readable without scripts." in page
    assert f'action="/social/articles/{outlet.article.pk}/comments/new/"' in page
    assert outlet.article.title in page
