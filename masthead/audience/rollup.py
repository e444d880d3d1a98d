"""Rolling raw hits up into the hourly and daily tables the dashboards read.

A periodic job (every ROLLUP_SECONDS on the task worker) finds the UTC days that received
hits since its last run and recomputes those days from the raw hits: their PageHour rows and
their PageDay, ReferrerDay and CampaignDay rows are deleted and inserted again, one day per
transaction. Recomputing rather than adding makes it exact and idempotent: running it twice,
or on two workers at once, or after a crash half-way, gives the same rows. Unique visitors of
a day are the distinct non-blank visitor ids of that day (a visitor id lasts one UTC day).

"Since the last run" is the highest hit id rolled up, kept in the cache. Hits written by two
processes can commit out of id order, so the days of the last few minutes' hits are always
recomputed too; and a cache that forgot the mark makes the next run recompute every day that
still has raw hits, which is slower but just as exact.

Only database aggregation (``values().annotate()``), so SQLite and PostgreSQL alike.
"""

import logging
from datetime import UTC, datetime, time, timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max, Q
from django.db.models.functions import Coalesce, TruncDate, TruncHour
from django.utils import timezone

from masthead.audience.models import CampaignDay, Hit, PageDay, PageHour, ReferrerDay

logger = logging.getLogger(__name__)

ROLLUP_SECONDS = 120
MARK_KEY = "audience:rollup:last-hit-id"
LOCK_KEY = "audience:rollup:running"
LOCK_SECONDS = 15 * 60
# Hits committed out of id order are at most this late (a buffer flushes every few seconds).
LATE_COMMIT = timedelta(minutes=10)
INSERT_BATCH = 2000

VIEW = Q(kind=Hit.Kind.VIEW)
READ = Q(kind=Hit.Kind.READ)
KNOWN_VISITOR = VIEW & ~Q(visitor="")


def roll_up_new_hits():
    """The periodic job: recompute the days that received hits since the last run."""
    if not cache.add(LOCK_KEY, 1, timeout=LOCK_SECONDS):
        return
    try:
        last_id = cache.get(MARK_KEY) or 0
        newest_id = Hit.objects.aggregate(newest=Max("id"))["newest"] or 0
        days = touched_days(last_id, newest_id)
        roll_up_days(days)
        cache.set(MARK_KEY, newest_id, timeout=None)
    finally:
        cache.delete(LOCK_KEY)


def touched_days(after_id, up_to_id):
    """The UTC days of hits with ids in (after_id, up_to_id], and of the last minutes."""
    new_hits = Hit.objects.filter(id__gt=after_id, id__lte=up_to_id)
    days = set(
        new_hits.annotate(day=TruncDate("at", tzinfo=UTC)).values_list("day", flat=True).distinct()
    )
    now = timezone.now().astimezone(UTC)
    recent = Hit.objects.filter(at__gte=now - LATE_COMMIT)
    if recent.exists():
        days |= {now.date(), (now - LATE_COMMIT).date()}
    return sorted(days)


def roll_up_days(days):
    """Recompute every roll-up of each of ``days`` (UTC dates) from the raw hits, one day
    per transaction: a long write transaction would hold SQLite's lock against the web
    processes' batches of hits, and one day is quick to redo."""
    for day in sorted(set(days)):
        roll_up_range(day, day)


def roll_up_range(first, last):
    """Delete and re-insert the PageHour, PageDay, ReferrerDay and CampaignDay rows of the
    days ``first`` to ``last`` (UTC dates, both included)."""
    start = datetime.combine(first, time.min, tzinfo=UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC)
    hits = Hit.objects.filter(at__gte=start, at__lt=end).annotate(day=TruncDate("at", tzinfo=UTC))
    with transaction.atomic():
        quick_delete(PageHour.objects.filter(hour__gte=start, hour__lt=end))
        quick_delete(PageDay.objects.filter(day__gte=first, day__lte=last))
        quick_delete(ReferrerDay.objects.filter(day__gte=first, day__lte=last))
        quick_delete(CampaignDay.objects.filter(day__gte=first, day__lte=last))
        PageHour.objects.bulk_create(_page_hours(hits), batch_size=INSERT_BATCH)
        PageDay.objects.bulk_create(_page_days(hits), batch_size=INSERT_BATCH)
        ReferrerDay.objects.bulk_create(_referrer_days(hits), batch_size=INSERT_BATCH)
        CampaignDay.objects.bulk_create(_campaign_days(hits), batch_size=INSERT_BATCH)


def quick_delete(queryset):
    """Delete the rows in one DELETE statement. ``QuerySet.delete()`` would load every row
    to send post_delete (core listens to it for every model, to empty the page cache when
    content goes), which these tables, with no relations and nothing readers see, do not
    need, and which would take minutes for a month of raw hits."""
    return queryset._raw_delete(queryset.db)


def _page_figures():
    return {
        "views": Count("id", filter=VIEW),
        "visitors": Count("visitor", filter=KNOWN_VISITOR, distinct=True),
        "reads": Count("id", filter=READ),
        "last_page_id": Max("page_id"),
    }


def _page_hours(hits):
    rows = (
        hits.annotate(bucket=TruncHour("at", tzinfo=UTC))
        .values("bucket", "site_id", "path")
        .annotate(**_page_figures())
        .order_by()
    )
    for row in rows.iterator():
        yield PageHour(
            hour=row["bucket"],
            site_id=row["site_id"],
            path=row["path"],
            page_id=row["last_page_id"],
            views=row["views"],
            visitors=row["visitors"],
            reads=row["reads"],
        )


def _page_days(hits):
    rows = hits.values("day", "site_id", "path").annotate(**_page_figures()).order_by()
    for row in rows.iterator():
        yield PageDay(
            day=row["day"],
            site_id=row["site_id"],
            path=row["path"],
            page_id=row["last_page_id"],
            views=row["views"],
            visitors=row["visitors"],
            reads=row["reads"],
        )


def _referrer_days(hits):
    rows = (
        hits.filter(VIEW)
        .values("day", "site_id", "referrer", "referrer_kind")
        .annotate(views=Count("id"), visitors=Count("visitor", filter=KNOWN_VISITOR, distinct=True))
        .order_by()
    )
    for row in rows.iterator():
        yield ReferrerDay(**row)


def _campaign_days(hits):
    rows = (
        hits.filter(VIEW)
        .exclude(campaign_id=None, utm_source="", utm_medium="", utm_campaign="")
        .annotate(campaign=Coalesce("campaign_id", 0))
        .values("day", "site_id", "campaign", "utm_source", "utm_medium", "utm_campaign")
        .annotate(views=Count("id"), visitors=Count("visitor", filter=KNOWN_VISITOR, distinct=True))
        .order_by()
    )
    for row in rows.iterator():
        yield CampaignDay(campaign_id=row.pop("campaign"), **row)
