"""Editorial operations that change the publication: scheduled publishing and expiry."""

import logging
from dataclasses import dataclass

from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone
from wagtail.models import DraftStateMixin, Page, Revision

logger = logging.getLogger(__name__)

# Any fixed 64-bit number, the same in every process: the PostgreSQL advisory lock that lets
# one worker at a time carry out the schedule.
SCHEDULER_LOCK_ID = 0x6D61737468656164  # "masthead"


@dataclass(frozen=True)
class ScheduledPublishingResult:
    """What one pass of the scheduler did: how many items went live, how many expired, and
    how many could not be changed (each is logged, and tried again on the next pass)."""

    published: int = 0
    unpublished: int = 0
    failed: int = 0


def _models_with_drafts():
    """Pages, and any snippet with drafts, can be scheduled: the same set Wagtail's
    ``publish_scheduled`` command looks at."""
    return [Page] + [
        model
        for model in apps.get_models()
        if issubclass(model, DraftStateMixin) and not issubclass(model, Page)
    ]


def _expired_objects(now):
    return [
        model.objects.filter(live=True, expire_at__lt=now).order_by("expire_at")
        for model in _models_with_drafts()
    ]


def _due_revisions(now):
    return Revision.objects.filter(approved_go_live_at__lt=now).order_by("approved_go_live_at")


def _anything_due(now):
    return _due_revisions(now).exists() or any(
        queryset.exists() for queryset in _expired_objects(now)
    )


def _take_scheduler_lock():
    """On PostgreSQL, hold an advisory lock until the transaction ends, or report that another
    worker holds it. SQLite's IMMEDIATE transactions already let only one writer in."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [SCHEDULER_LOCK_ID])
        return cursor.fetchone()[0]


def publish_due_pages():
    """Publish every revision whose approved go-live time has passed, and unpublish every live
    page (or snippet with drafts) whose expiry time has passed.

    This is what Wagtail's ``publish_scheduled`` command does, with the same audit log
    entries, run by the task worker every ``SCHEDULER_INTERVAL_SECONDS``. It is safe to run
    from several workers at once: one carries out the schedule while the others skip (on
    PostgreSQL) or wait and then find nothing left to do (on SQLite). Each item is changed in
    its own savepoint, so one that fails is logged and does not hold up the rest.
    """
    now = timezone.now()
    # A cheap read first: most passes find nothing, and need not take the write lock.
    if not _anything_due(now):
        return ScheduledPublishingResult()

    published = unpublished = failed = 0
    with transaction.atomic():
        if not _take_scheduler_lock():
            return ScheduledPublishingResult()
        for queryset in _expired_objects(now):
            for obj in list(queryset):
                try:
                    with transaction.atomic():
                        obj.unpublish(set_expired=True, log_action="wagtail.unpublish.scheduled")
                except Exception:
                    failed += 1
                    logger.exception("Could not unpublish expired %r (pk=%s)", obj, obj.pk)
                else:
                    unpublished += 1
        for revision in list(_due_revisions(now)):
            try:
                with transaction.atomic():
                    revision.publish(log_action="wagtail.publish.scheduled")
            except Exception:
                failed += 1
                logger.exception("Could not publish scheduled revision %s", revision.pk)
            else:
                published += 1
    if published or unpublished:
        logger.info("Scheduled publishing: %d published, %d unpublished", published, unpublished)
    return ScheduledPublishingResult(published=published, unpublished=unpublished, failed=failed)
