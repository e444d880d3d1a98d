"""The social web's connections to Wagtail's and core's events, made once from
``SocialConfig.ready()``: publishing an article queues its federation after the commit, and
unpublishing or deleting one records its Delete, sent after the commit (so publishing never
waits for the fediverse), a change to a local actor empties
the page cache (its document is cached like a page), and the scheduler retries due
deliveries and social network posts every minute and forgets old signatures hourly.

For comments: opening or closing an article's comments, or marking a section or tag legally
sensitive, empties the page cache too (the article shows a comments section or not, open or
closed); comments themselves never do, their fragment has its own tag
(``masthead.social.comments``). Readers' comments join their data export and erasure."""

from django.db import transaction
from wagtail.signals import page_published, page_unpublished

from masthead.core.bulk import is_bringing_in_archive
from masthead.core.cache_invalidation import invalidate_pages_on_change
from masthead.core.scheduler import register_periodic_job
from masthead.core.slots import register_slot
from masthead.publishing.models import ArticlePage
from masthead.readers.registry import register_personal_data
from masthead.social import inbox, reader_data, services, tasks
from masthead.social.models import Conversation, LegallySensitive, LocalActor


def on_article_published(sender, instance, **kwargs):
    """Queue the article's Create or Update, and its social network posts, once the
    publication commits; nothing for an archive's articles arriving in bulk (an import
    or a restore), which are old news to followers."""
    if is_bringing_in_archive():
        return
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
    invalidate_pages_on_change(Conversation, LegallySensitive)
    register_personal_data(reader_data.share)
    register_periodic_job("social.retry-deliveries", tasks.retry_due_deliveries, every=60)
    register_periodic_job("social.retry-posts", tasks.retry_due_posts, every=60)
    register_periodic_job("social.forget-signatures", inbox.forget_old_signatures, every=3600)
    # The footer's fediverse handle, and an article's comments after any archived ones
    # (masthead.core.slots).
    register_slot("footer_follow", "social/includes/footer_follow.html")
    register_slot("article_end", "social/includes/comments.html", order=20)
