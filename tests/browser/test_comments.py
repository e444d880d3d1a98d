"""A reader signs in with the code the real SMTP server received, comments on an article
whose comments are open, and is told it waits for an editor; an editor signs in to the
admin, approves it in the moderation queue, and the comment appears under the article, whose
page is still served from the page cache. In a real Chromium at desktop and phone widths;
screenshots go to tests/artifacts/screenshots/.
"""

import re

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from playwright.sync_api import expect

from masthead.publishing.roles import EDITORS
from masthead.social import comments
from masthead.social.models import Comment
from tests.browser.conftest import SCREENSHOTS_DIR
from tests.publishing.factories import make_article, make_site_tree

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CODE = re.compile(r"\b(\d{3}[ -]?\d{3})\b")
PASSWORD = "a-long-test-password-for-the-desk"
COMMENT = "The new timetable misses the 7.40 from Upper Mill: see https://example.org/buses"


@pytest.fixture
def article(settings, live_server):
    """An article with its comments open, and an editor to moderate them."""
    cache.clear()
    settings.SITE_URL = live_server.url
    settings.ADMIN_2FA_REQUIRED = False
    tree = make_site_tree()
    article = make_article(
        tree.section,
        title="Bus timetable changes from Monday",
        body=[("paragraph", "<p>The council publishes the new timetable.</p>")],
    )
    comments.set_state(article, "open")
    editor = User.objects.create_user(
        "desk", "desk@newsroom.test", PASSWORD, first_name="Dee", last_name="Desk"
    )
    editor.groups.add(Group.objects.get(name=EDITORS))
    yield article
    cache.clear()


def code_from(message):
    [code] = CODE.findall(message.text())
    return code


def test_a_reader_comments_an_editor_approves_and_it_appears_on_the_cached_article(
    live_server, browser, page, screenshot, smtp_mailbox, article, viewport
):
    email = f"commenter-{viewport}@example.org"
    article_url = live_server.url + article.url

    # The cached article loads its comments section, which asks a stranger to sign in.
    page.goto(article_url)
    section = page.locator("#comments")
    expect(section.locator(".comments__empty")).to_have_text("No comments yet: be the first.")
    sign_in_prompt = section.locator("[data-signed-out-only]")
    expect(sign_in_prompt).to_be_visible()
    screenshot("comments-open-signed-out")

    # Posting signed out is refused, with the words kept to send after signing in.
    section.get_by_label("Your comment", exact=True).fill("Typed before signing in.")
    section.get_by_role("button", name="Post comment").click()
    expect(page.locator("[data-comment-refused]")).to_contain_text(
        "You need to be signed in to comment."
    )
    expect(page.get_by_label("Your comment", exact=True)).to_have_value("Typed before signing in.")
    screenshot("comments-sign-in-needed")
    assert Comment.objects.count() == 0
    page.goto(article_url)
    sign_in_prompt = page.locator("#comments [data-signed-out-only]")
    sign_in_prompt.get_by_role("link", name="sign in with your email address").click()

    expect(page.locator("h1")).to_have_text("Sign in")
    page.get_by_label("Your email address").fill(email)
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.locator("h1")).to_have_text("Check your inbox")
    received = smtp_mailbox.wait_for(1)[-1]
    page.get_by_label("The 6-digit code from the email").fill(code_from(received))
    page.get_by_role("button", name="Sign in").click()

    # Back on the article's comments, signed in: no prompt, and the comment goes in.
    expect(page.locator("h1")).to_contain_text("Comments on")
    page.goto(article_url)
    section = page.locator("#comments")
    expect(section.locator(".comments__new")).to_be_visible()
    expect(section.locator("[data-signed-out-only]")).to_be_hidden()
    section.get_by_label("Your comment", exact=True).fill(COMMENT)
    section.get_by_label("Name shown with your comment").fill("Mill Road commuter")
    screenshot("comments-writing")
    section.get_by_role("button", name="Post comment").click()

    expect(page.locator("[data-comment-held]")).to_contain_text("once an editor has read it")
    screenshot("comments-posted")
    comment = Comment.objects.get()
    assert comment.status == "pending"
    assert comment.commenter.reader.email == email

    # Not on the article while it waits.
    page.goto(article_url)
    expect(page.locator("#comments .comments__empty")).to_be_visible()
    expect(page.locator("#comments")).not_to_contain_text("Upper Mill")

    # The editor approves it in the admin's moderation queue.
    desk = browser.new_context(viewport=page.viewport_size, locale="en-GB")
    admin = desk.new_page()
    admin.goto(live_server.url + "/admin/login/?next=/admin/social_comments/")
    admin.get_by_label("Username").fill("desk")
    admin.get_by_label("Password").fill(PASSWORD)
    admin.get_by_role("button", name="Sign in").click()
    row = admin.locator(f'tr[data-comment="{comment.pk}"]')
    expect(row).to_contain_text("Upper Mill")
    expect(row).to_contain_text("New commenter")
    admin.screenshot(path=str(SCREENSHOTS_DIR / f"comments-queue-{viewport}.png"), full_page=True)
    row.get_by_role("button", name="Approve").click()
    expect(admin.locator(".messages")).to_contain_text(f"Comment {comment.pk} is published.")
    expect(admin.locator(f'tr[data-comment="{comment.pk}"]')).to_have_count(0)
    desk.close()

    # The reader's article page comes from the page cache, and shows the comment.
    response = page.goto(article_url)
    assert response.headers.get("x-cache") == "hit"
    shown = page.locator(f"#comment-{comment.pk}")
    expect(shown).to_contain_text("Mill Road commuter")
    expect(shown).to_contain_text("The new timetable misses the 7.40 from Upper Mill")
    link = shown.get_by_role("link", name="https://example.org/buses")
    expect(link).to_have_attribute("rel", "nofollow ugc")
    screenshot("comments-approved")
    # Its reply form and report form open under it.
    page.locator(".comments__reply summary").click()
    expect(page.locator(f"#comment-body-{comment.pk}")).to_be_visible()
    shown.locator(".comment__report summary").click()
    expect(shown.get_by_label("What is wrong with this comment?")).to_be_visible()
    screenshot("comments-reply-and-report")
    comment.refresh_from_db()
    assert comment.status == "approved"
