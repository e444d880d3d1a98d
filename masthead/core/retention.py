"""Personal data kept no longer than needed: core's own part, the readers' and editors'
expired sessions. Each app trims its own data with periodic jobs of its own (see the
README's Security section for the whole list)."""

from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult


def clear_expired_sessions():
    """Delete sessions whose expiry has passed, as Django's ``clearsessions`` does (a no-op
    for session engines that expire entries themselves, such as the cache)."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()


def years_before(moment, years):
    """``moment`` moved back ``years`` calendar years (29 February becomes the 28th): when
    records kept "for six years" were made, at the latest, to be kept still."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def prune_task_results(now=None):
    """Delete finished task results older than TASK_RESULT_RETENTION_DAYS (the worker's own
    table: their arguments may hold personal data). Returns how many were deleted."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.TASK_RESULT_RETENTION_DAYS)
    deleted, _detail = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    return deleted
