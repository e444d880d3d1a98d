"""Raw hits are kept AUDIENCE_RAW_DAYS (30 by default) and then deleted, whole UTC days at a
time, so a day is either rolled up from all its hits or gone from the raw table: the roll-ups
stay. A periodic job, hourly; deletes in chunks so no transaction grows with the traffic."""

from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from masthead.audience.models import Hit
from masthead.audience.rollup import quick_delete

RETENTION_SECONDS = 3600
CHUNK = 50_000


def raw_cutoff(now=None):
    """The start of the oldest UTC day whose raw hits are still kept."""
    today = (now or timezone.now()).astimezone(UTC).date()
    return datetime.combine(today - timedelta(days=settings.AUDIENCE_RAW_DAYS), time.min, UTC)


def delete_old_hits(now=None):
    """Delete raw hits older than AUDIENCE_RAW_DAYS; returns how many."""
    cutoff = raw_cutoff(now)
    deleted = 0
    while True:
        old = Hit.objects.filter(at__lt=cutoff).order_by("id").values_list("id", flat=True)
        chunk_end = old[CHUNK - 1 : CHUNK].first() or old.last()
        if chunk_end is None:
            return deleted
        deleted += quick_delete(Hit.objects.filter(at__lt=cutoff, id__lte=chunk_end))
