"""The social web's connections to Wagtail's and core's events, made once from
``SocialConfig.ready()``: publishing an article queues its federation after the commit, and
unpublishing or deleting one records its Delete, sent after the commit (so publishing never
waits for the fediverse), a change to a local actor empties
the page cache (its document is cached like a page), and the scheduler retries due
deliveries and social network posts every minute and forgets old signatures hourly."""

from django.db import transaction
from wagtail.signals import page_published, page_unpublished

from masthead.core.cache_invalidation import invalidate_pages_on_change
from masthead.core.scheduler import register_periodic_job
from masthead.publishing.models import ArticlePage
from masthead.social import inbox, services, tasks
from masthead.social.models import LocalActor


def on_article_published(sender, instance, **kwargs):
    """Queue the article's Create or Update, and its social network posts, once the
    publication commits."""
    page_id = instance.pk
    transaction.on_commit(lambda: tasks.federate_article_task.enqueue(page_id))
    transaction.on_commit(lambda: tasks.post_article_task.enqueue(page_id))


def on_article_unpublished(sender, instance, **kwargs):
    """Record the article's Delete now, while the page still exists (Wagtail also sends
    this signal just before it deletes a live page); it is sent after the commit."""
    services.withdraw_article(instance)


def connect():
    page_published.connect(
        on_article_published, sender=ArticlePage, dispatch_uid="masthead-social-publish"
    )
    page_unpublished.connect(
        on_article_unpublished, sender=ArticlePage, dispatch_uid="masthead-social-unpublish"
    )
    # Actor documents are cached like pages; a new key or an author switched off must show
    # at once (a remote server refetching a rotated key must not get the old one).
    invalidate_pages_on_change(LocalActor)
    register_periodic_job("social.retry-deliveries", tasks.retry_due_deliveries, every=60)
    register_periodic_job("social.retry-posts", tasks.retry_due_posts, every=60)
    register_periodic_job("social.forget-signatures", inbox.forget_old_signatures, every=3600)
