"""Comments kept from an old site: hidden from readers until the site's "show archived
comments" setting is on, then shown read-only at the end of their article, threaded one
level, sanitised; the page cache and the rendered fragments follow the setting and the
comments at once. Editors read them all in the admin."""

import re
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from masthead.publishing.roles import CONTRIBUTORS, EDITORS
from masthead.transfer.models import ArchivedComment, TransferSettings
from tests.publishing.factories import make_article, make_site_tree

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["page cache", "fragments only"])
def reader(request, settings):
    """An anonymous reader, through the whole-page cache or (with it off) through the
    rendered fragments alone."""
    if request.param == "fragments only":
        settings.PAGE_CACHE_SECONDS = 0
    client = Client()
    client.cached = request.param == "page cache"
    return client


def comment(article, source_id, body, *, parent="", day=1, **fields):
    fields.setdefault("author_name", f"Reader {source_id}")
    return ArchivedComment.objects.create(
        article=article,
        source="wordpress",
        source_id=source_id,
        parent_source_id=parent,
        posted_at=datetime(2019, 3, day, 9, 30, tzinfo=UTC),
        body=body,
        **fields,
    )


@pytest.fixture
def article(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        tree = make_site_tree()
        article = make_article(tree.section, title="The harbour wall, rebuilt")
        comment(article, "1", "<p>Good to see the wall fixed at last.</p>", day=1)
        comment(article, "2", "<p>It took four years.</p>", parent="1", day=2)
        comment(article, "3", "<p>Four and a half.</p>", parent="2", day=3)
        comment(article, "4", "<p>Who paid for it?</p>", day=4, author_url="https://example.org/")
        comment(article, "5", "<p>Held for moderation.</p>", day=5, approved=False)
    article.site = tree.site
    return article


def show_archived_comments(site, show, django_capture_on_commit_callbacks):
    setting = TransferSettings.for_site(site)
    setting.show_archived_comments = show
    with django_capture_on_commit_callbacks(execute=True):
        setting.save()


def section_of(response):
    assert response.status_code == 200
    html = response.content.decode()
    found = re.search(r'<section class="archived-comments".*?</section>', html, re.S)
    return found.group(0) if found else None


def test_comments_stay_hidden_until_the_setting_is_on(reader, article):
    assert section_of(reader.get(article.url)) is None
    assert TransferSettings.for_site(article.site).show_archived_comments is False


def test_turning_the_setting_on_and_off_shows_on_the_next_view(
    reader, article, django_capture_on_commit_callbacks
):
    assert section_of(reader.get(article.url)) is None
    again = reader.get(article.url)  # now cached, or its fragments kept
    assert section_of(again) is None
    assert again.get("X-Cache") == ("hit" if reader.cached else None)

    show_archived_comments(article.site, True, django_capture_on_commit_callbacks)
    shown = section_of(reader.get(article.url))
    assert shown is not None
    assert "Good to see the wall fixed at last." in shown

    show_archived_comments(article.site, False, django_capture_on_commit_callbacks)
    assert section_of(reader.get(article.url)) is None


def test_comments_are_threaded_one_level_oldest_first_without_held_ones(
    reader, article, django_capture_on_commit_callbacks
):
    show_archived_comments(article.site, True, django_capture_on_commit_callbacks)
    shown = section_of(reader.get(article.url))

    bodies = re.findall(r'<div class="archived-comment__body"><p>(.*?)</p></div>', shown)
    assert bodies == [
        "Good to see the wall fixed at last.",
        "It took four years.",
        "Four and a half.",
        "Who paid for it?",
    ]
    # The reply to a reply sits with its thread, one level in, like the first reply.
    replies = re.search(r'<ol class="archived-comments__replies".*?</ol>', shown, re.S).group(0)
    assert "It took four years." in replies and "Four and a half." in replies
    assert "Who paid for it?" not in replies
    assert "Held for moderation." not in shown
    assert '<a href="https://example.org/" rel="nofollow ugc noopener">Reader 4</a>' in shown
    assert '<time datetime="2019-03-01T09:30:00+00:00">1 March 2019, 09:30</time>' in shown
    assert "Commenting is closed." in shown


def test_a_comment_added_later_shows_on_the_next_view(
    reader, article, django_capture_on_commit_callbacks
):
    show_archived_comments(article.site, True, django_capture_on_commit_callbacks)
    assert "A late reply." not in section_of(reader.get(article.url))

    with django_capture_on_commit_callbacks(execute=True):
        comment(article, "6", "<p>A late reply.</p>", parent="4", day=6)

    assert "A late reply." in section_of(reader.get(article.url))


def test_hostile_comments_are_shown_harmless(reader, article, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        comment(
            article,
            "7",
            '<p onclick="steal()">Nice<script>alert(1)</script> '
            '<a href="javascript:alert(2)">offer</a></p><iframe src="https://x.example/"></iframe>',
            day=7,
            author_name="<b>Spammer</b>",
            author_url="javascript:alert(3)",
        )
    show_archived_comments(article.site, True, django_capture_on_commit_callbacks)
    shown = section_of(reader.get(article.url))

    assert "Nice" in shown and "offer" in shown
    for hostile in ("<script", "alert(", "onclick", "javascript:", "<iframe", "<b>Spammer"):
        assert hostile not in shown
    assert "&lt;b&gt;Spammer&lt;/b&gt;" in shown


def member_of(django_user_model, group_name):
    user = django_user_model.objects.create_user(group_name.lower(), f"{group_name}@x.test", "pw")
    user.groups.add(Group.objects.get(name=group_name))
    return user


def test_editors_read_an_articles_archived_comments_in_the_admin(
    client, django_user_model, article
):
    client.force_login(member_of(django_user_model, EDITORS))

    response = client.get(f"/admin/archived-comments/?article={article.pk}")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Comments on “The harbour wall, rebuilt”." in html
    assert html.count("<tr data-comment=") == 5
    assert "Held for moderation." in html and "not approved" in html
    assert '"/admin/archived-comments/"' in client.get("/admin/").content.decode()
    # The article's edit screen links to them.
    edit = client.get(f"/admin/pages/{article.pk}/edit/").content.decode()
    assert f'href="/admin/archived-comments/?article={article.pk}"' in edit
    assert "Archived comments (5)" in edit


def test_contributors_do_not_see_archived_comments_in_the_admin(client, django_user_model, article):
    client.force_login(member_of(django_user_model, CONTRIBUTORS))

    response = client.get("/admin/archived-comments/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
