"""Links stored from other sites reach editors only when they are http(s) addresses or paths
on this site (issue 10, defect 4): a post's link returned by a social network and an
imported comment's author link are shown through ``safe_link``, so a ``javascript:`` one is
no link at all."""

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from masthead.social.models import NetworkAccount, NetworkPost
from masthead.transfer.models import ArchivedComment
from tests.publishing.factories import make_article, make_site_tree

pytestmark = pytest.mark.django_db

EVIL = "javascript:alert(document.cookie)"


@pytest.fixture
def article():
    return make_article(make_site_tree().section, title="The harbour wall, rebuilt")


def post(article, network, url):
    account = NetworkAccount.objects.create(
        network=network, name=network.title(), server_url="https://social.example", secret="x"
    )
    return NetworkPost.objects.create(
        article=article,
        account=account,
        text="The harbour wall, rebuilt",
        status=NetworkPost.Status.POSTED,
        idempotency_key=f"key-{network}",
        next_attempt_at=timezone.now(),
        url=url,
    )


def test_a_posts_javascript_link_is_shown_as_text_not_as_a_link(admin_client, article):
    post(article, "mastodon", "https://social.example/@news/1")
    post(article, "bluesky", EVIL)

    page = admin_client.get(f"/admin/social_posts/article/{article.pk}/").content.decode()

    assert '<a href="https://social.example/@news/1"' in page
    assert 'href="javascript:' not in page
    assert "javascript:alert(document.cookie)" in page  # shown to the editor, as text


def test_an_archived_comments_javascript_author_link_is_no_link(admin_client, article):
    for number, url in enumerate(["https://reader.example/", EVIL], start=1):
        ArchivedComment.objects.create(
            article=article,
            source="wordpress",
            source_id=str(number),
            author_name=f"Reader {number}",
            author_url=url,
            posted_at=datetime(2019, 3, number, 9, 30, tzinfo=UTC),
            body="<p>Good to see the wall fixed.</p>",
        )

    page = admin_client.get(f"/admin/archived-comments/?article={article.pk}").content.decode()

    assert '<a href="https://reader.example/" rel="nofollow noopener">Reader 1</a>' in page
    assert "Reader 2" in page
    assert "javascript:" not in page
