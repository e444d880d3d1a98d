"""Core's connections to Django's and Wagtail's own events, made once from
``CoreConfig.ready()``: whatever changes what readers see empties the page cache, and every
image file saved loses its location and device metadata; expired sessions are deleted hourly,
and a backup is made when BACKUP_EVERY_HOURS says one is due; ``check --deploy`` runs core's
warnings (``masthead.core.checks``), and the demo's first part gives the default site
SITE_URL's address; ``{% load i18n %}`` gives constant ``{% translate %}`` messages the
direct way (``masthead.core.templatetags.masthead_i18n``)."""

from django.core.checks import register as register_check
from django.db.models.signals import post_delete, post_save, pre_save
from wagtail.images import get_image_model
from wagtail.signals import page_published, page_unpublished, post_page_move

from masthead.core import checks
from masthead.core.backup import backup_if_due
from masthead.core.cache_invalidation import (
    invalidate_now_and_after_commit,
    invalidate_on_delete,
    invalidate_on_save,
)
from masthead.core.demo import register_demo_part
from masthead.core.emails import use_site_host_in_message_ids
from masthead.core.images import clean_uploaded_image
from masthead.core.retention import clear_expired_sessions, prune_task_results
from masthead.core.scheduler import register_periodic_job
from masthead.core.sites import default_site_matches_site_url, use_site_url_for_default_site
from masthead.core.templatetags import masthead_i18n, masthead_urls


def connect():
    """Connect the page-cache invalidation to page, model and publishing events, and the
    metadata stripping to the saving of images."""
    masthead_i18n.install()
    masthead_urls.install()
    page_published.connect(invalidate_now_and_after_commit, dispatch_uid="masthead-cache-publish")
    page_unpublished.connect(
        invalidate_now_and_after_commit, dispatch_uid="masthead-cache-unpublish"
    )
    post_page_move.connect(invalidate_now_and_after_commit, dispatch_uid="masthead-cache-move")
    post_save.connect(invalidate_on_save, dispatch_uid="masthead-cache-save")
    post_delete.connect(invalidate_on_delete, dispatch_uid="masthead-cache-delete")
    pre_save.connect(
        clean_uploaded_image, sender=get_image_model(), dispatch_uid="masthead-image-metadata"
    )
    register_periodic_job("core.clear-expired-sessions", clear_expired_sessions, every=3600)
    register_periodic_job("core.prune-task-results", prune_task_results, every=3600)
    use_site_host_in_message_ids()
    # Looks every few minutes; backs up only when BACKUP_EVERY_HOURS is set and due.
    register_periodic_job("core.backup", backup_if_due, every=300)
    for check in checks.DEPLOY_CHECKS:
        register_check(check, *checks.TAGS, deploy=True)
    # First of the demo's parts: the demo's links and sitemap name SITE_URL, not localhost.
    register_demo_part(
        "site",
        build=use_site_url_for_default_site,
        remove=lambda: None,
        is_present=default_site_matches_site_url,
    )
