"""Scheduled publishing: what an editor schedules goes live when its time comes, and what
expires comes down, each time the worker runs ``publish_due_pages()``."""

from datetime import timedelta

import psycopg
import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.utils import timezone
from wagtail.models import PageLogEntry, Revision

from masthead.publishing.models import ArticlePage
from masthead.publishing.roles import EDITORS
from masthead.publishing.services import (
    SCHEDULER_LOCK_ID,
    ScheduledPublishingResult,
    publish_due_pages,
)
from tests.publishing.factories import make_article, make_author, make_site_tree


@pytest.fixture
def editor():
    user = User.objects.create_user("editor", "editor@newsroom.test", "a-long-test-password")
    user.groups.add(Group.objects.get(name=EDITORS))
    return user


@pytest.fixture
def tree():
    return make_site_tree()


def schedule(section, editor, title, go_live_at):
    """A new article that ``editor`` scheduled (published with a future go-live time)."""
    article = ArticlePage(
        title=title,
        slug=title.lower().replace(" ", "-"),
        standfirst="What readers will find out.",
        body=[("paragraph", "<p>The article itself.</p>")],
        live=False,
        owner=editor,
    )
    section.add_child(instance=article)
    article.go_live_at = go_live_at
    article.save_revision(user=editor).publish(user=editor)
    article.refresh_from_db()
    return article


def let_time_pass_until_after(article, moment):
    """Stand in for the clock: move the article's approved schedule back to ``moment``."""
    revision = article.revisions.get(approved_go_live_at__isnull=False)
    revision.content["go_live_at"] = moment.isoformat()
    revision.approved_go_live_at = moment
    revision.save(update_fields=["content", "approved_go_live_at"])
    article.go_live_at = moment
    article.save(update_fields=["go_live_at"], clean=False)


@pytest.mark.django_db
def test_an_article_whose_time_has_come_is_published(client, tree, editor):
    article = schedule(
        tree.section, editor, "Reservoir levels recover", timezone.now() + timedelta(hours=1)
    )
    assert article.live is False
    assert client.get(article.url).status_code == 404

    let_time_pass_until_after(article, timezone.now() - timedelta(minutes=1))
    result = publish_due_pages()

    assert result == ScheduledPublishingResult(published=1, unpublished=0, failed=0)
    article.refresh_from_db()
    assert article.live is True
    assert article.first_published_at is not None
    assert not Revision.objects.filter(approved_go_live_at__isnull=False).exists()
    assert PageLogEntry.objects.filter(page=article, action="wagtail.publish.scheduled").exists()
    response = client.get(article.url)
    assert response.status_code == 200
    assert "Reservoir levels recover" in response.content.decode()


@pytest.mark.django_db
def test_an_article_scheduled_for_later_stays_offline(client, tree, editor):
    go_live_at = timezone.now() + timedelta(minutes=10)
    article = schedule(tree.section, editor, "Station upgrade planned", go_live_at)

    assert publish_due_pages() == ScheduledPublishingResult()

    article.refresh_from_db()
    assert article.live is False
    assert article.revisions.get(approved_go_live_at__isnull=False).approved_go_live_at == (
        go_live_at
    )
    assert client.get(article.url).status_code == 404


@pytest.mark.django_db
def test_an_expired_article_is_unpublished(client, tree):
    author = make_author(tree.author_index, name="Jo Field")
    article = make_article(tree.section, [author], title="Polling station locations")
    keeps_running = make_article(tree.section, [author], title="Recycling calendar")
    ArticlePage.objects.filter(pk=article.pk).update(
        expire_at=timezone.now() - timedelta(minutes=1)
    )
    ArticlePage.objects.filter(pk=keeps_running.pk).update(
        expire_at=timezone.now() + timedelta(days=1)
    )

    assert publish_due_pages() == ScheduledPublishingResult(published=0, unpublished=1)

    article.refresh_from_db()
    assert article.live is False
    assert article.expired is True
    assert client.get(article.url).status_code == 404
    keeps_running.refresh_from_db()
    assert keeps_running.live is True


@pytest.mark.django_db
def test_running_the_schedule_again_changes_nothing(tree, editor):
    article = schedule(
        tree.section, editor, "Ferry fares to rise", timezone.now() + timedelta(hours=1)
    )
    let_time_pass_until_after(article, timezone.now() - timedelta(minutes=1))
    assert publish_due_pages().published == 1
    assert publish_due_pages() == ScheduledPublishingResult()
    assert (
        PageLogEntry.objects.filter(page=article, action="wagtail.publish.scheduled").count() == 1
    )


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_second_worker_leaves_the_schedule_to_the_one_already_running_it(tree, editor):
    if connection.vendor != "postgresql":
        pytest.skip("the scheduler's advisory lock exists on PostgreSQL only")
    article = schedule(
        tree.section, editor, "Harbour festival returns", timezone.now() + timedelta(hours=1)
    )
    let_time_pass_until_after(article, timezone.now() - timedelta(minutes=1))
    other_worker = psycopg.connect(
        host=connection.settings_dict["HOST"] or None,
        port=connection.settings_dict["PORT"] or None,
        user=connection.settings_dict["USER"],
        password=connection.settings_dict["PASSWORD"] or None,
        dbname=connection.settings_dict["NAME"],
    )
    try:
        with other_worker.transaction():
            other_worker.execute("SELECT pg_advisory_xact_lock(%s)", [SCHEDULER_LOCK_ID])
            assert publish_due_pages() == ScheduledPublishingResult()
            article.refresh_from_db()
            assert article.live is False
    finally:
        other_worker.close()

    assert publish_due_pages().published == 1
    article.refresh_from_db()
    assert article.live is True
