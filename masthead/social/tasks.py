"""Background tasks of the social web that start from publishing: the Create or Update of a
published article, queued after the publication commits (masthead.social.wiring), plus the
periodic retry of due deliveries. The fan-out task itself is in masthead.social.delivery."""

from django_tasks import task

from masthead.publishing.models import ArticlePage
from masthead.social import delivery, services


@task()
def federate_article_task(page_id):
    """Send the Create or Update of a just-published article (nothing if unchanged)."""
    article = ArticlePage.objects.filter(pk=page_id).first()
    if article is not None:
        services.federate_article(article)


def retry_due_deliveries():
    """The periodic job: send deliveries whose retry time has come, one batch per pass."""
    delivery.send_due()
