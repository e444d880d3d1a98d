"""Background tasks of the social web: delivering an activity to every inbox of its
audience (the fan-out, queued after the commit by ``enqueue_fan_out``), the Create or
Update of a published article and its posts to the outlet's social network accounts,
queued after the publication commits (masthead.social.wiring), plus the periodic retries
of due deliveries and posts."""

from django.db import transaction
from django_tasks import task

from masthead.publishing.models import ArticlePage
from masthead.social import activities, delivery, posting


def enqueue_fan_out(activity_id, local_actor_ids=None, inboxes=None):
    """After commit: deliver ``activity_id`` to the followers of ``local_actor_ids`` and to
    the given ``inboxes`` (an Accept goes to one actor's inbox)."""
    transaction.on_commit(
        lambda: fan_out_task.enqueue(activity_id, list(local_actor_ids or []), list(inboxes or []))
    )


@task()
def fan_out_task(activity_id, local_actor_ids, inboxes):
    """Deliver one activity to its audience (``delivery.fan_out``); safe to run twice."""
    return delivery.fan_out(activity_id, local_actor_ids, inboxes)


@task()
def federate_article_task(page_id):
    """Send the Create or Update of a just-published article (nothing if unchanged)."""
    article = ArticlePage.objects.filter(pk=page_id).first()
    if article is None:
        return
    for fan_out in activities.federate_article(article):
        enqueue_fan_out(fan_out.activity_id, fan_out.local_actor_ids, fan_out.inboxes)


@task()
def post_article_task(page_id):
    """Post a just-published article to the chosen accounts (never twice to one)."""
    posting.publish_article(page_id)


def retry_due_deliveries():
    """The periodic job: send deliveries whose retry time has come, one batch per pass."""
    delivery.send_due()


def retry_due_posts():
    """The periodic job: try again the social network posts whose time has come."""
    posting.send_due()
