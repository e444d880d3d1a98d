"""Background tasks of the social web that start from publishing: the Create or Update of a
published article and its posts to the outlet's social network accounts, queued after the
publication commits (masthead.social.wiring), plus the periodic retries of due deliveries
and posts. The fan-out task itself is in masthead.social.delivery."""

from django_tasks import task

from masthead.publishing.models import ArticlePage
from masthead.social import delivery, posting, services


@task()
def federate_article_task(page_id):
    """Send the Create or Update of a just-published article (nothing if unchanged)."""
    article = ArticlePage.objects.filter(pk=page_id).first()
    if article is not None:
        services.federate_article(article)


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
