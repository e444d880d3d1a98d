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

Only database aggregation (``values().annotate()``, compiled by Django and written with
``INSERT ... SELECT``, so no row passes through Python), so SQLite and PostgreSQL alike.
"""

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, DateField, DateTimeField, Func, Max, Min, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from masthead.audience.buffer import drain_redis
from masthead.audience.models import CampaignDay, Hit, PageDay, PageHour, ReferrerDay

logger = logging.getLogger(__name__)

ROLLUP_SECONDS = 120
MARK_KEY = "audience:rollup:last-hit-id"
LOCK_KEY = "audience:rollup:running"
LOCK_SECONDS = 15 * 60
# Hits committed out of id order are at most this late (a buffer flushes every few seconds).
LATE_COMMIT = timedelta(minutes=10)

VIEW = Q(kind=Hit.Kind.VIEW)
READ = Q(kind=Hit.Kind.READ)
KNOWN_VISITOR = VIEW & ~Q(visitor="")


def roll_up_new_hits():
    """The periodic job: recompute the days that received hits since the last run."""
    if not cache.add(LOCK_KEY, 1, timeout=LOCK_SECONDS):
        return
    try:
        # Hits still waiting in Redis are written first, so the roll-up has them.
        drain_redis()
        last_id = cache.get(MARK_KEY) or 0
        newest_id = Hit.objects.aggregate(newest=Max("id"))["newest"] or 0
        days = touched_days(last_id, newest_id)
        roll_up_days(days)
        cache.set(MARK_KEY, newest_id, timeout=None)
    finally:
        cache.delete(LOCK_KEY)


def touched_days(after_id, up_to_id):
    """The UTC days from the oldest to the newest hit with an id in (after_id, up_to_id],
    and those of the last minutes. Every day in between is included: a day with no raw
    hits (retention deletes only the oldest days) simply has no roll-up rows."""
    span = Hit.objects.filter(id__gt=after_id, id__lte=up_to_id).aggregate(
        oldest=Min("at"), newest=Max("at")
    )
    days = set()
    if span["oldest"] is not None:
        day, last = span["oldest"].astimezone(UTC).date(), span["newest"].astimezone(UTC).date()
        while day <= last:
            days.add(day)
            day += timedelta(days=1)
    now = timezone.now().astimezone(UTC)
    if Hit.objects.filter(at__gte=now - LATE_COMMIT).exists():
        days |= {now.date(), (now - LATE_COMMIT).date()}
    return sorted(days)


def roll_up_days(days):
    """Recompute every roll-up of each of ``days`` (UTC dates) from the raw hits, one day
    per transaction: a long write transaction would hold SQLite's lock against the web
    processes' batches of hits, and one day is quick to redo.

    On PostgreSQL the days are shared among AUDIENCE_ROLLUP_THREADS connections at once
    (days are independent, and the database aggregates each on its own core); SQLite has
    one writer, so there they go one after the other."""
    days = sorted(set(days))
    threads = settings.AUDIENCE_ROLLUP_THREADS
    if connection.vendor != "postgresql" or threads < 2 or len(days) < 2:
        for day in days:
            roll_up_day(day)
        return
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="audience-rollup") as pool:
        # list() re-raises the first failure, after every day was tried.
        list(pool.map(_roll_up_day_in_thread, days))


def _roll_up_day_in_thread(day):
    try:
        roll_up_day(day)
    finally:
        connection.close()


def roll_up_day(day):
    """Delete and re-insert the PageHour, PageDay, ReferrerDay and CampaignDay rows of one
    UTC day: one INSERT ... SELECT per table. The day's bucket is a constant; the hour's is
    computed by the database's own function (``HourOf``)."""
    start = datetime.combine(day, time.min, tzinfo=UTC)
    end = start + timedelta(days=1)
    hits = Hit.objects.filter(at__gte=start, at__lt=end)
    with transaction.atomic():
        quick_delete(PageHour.objects.filter(hour__gte=start, hour__lt=end))
        quick_delete(PageDay.objects.filter(day=day))
        quick_delete(ReferrerDay.objects.filter(day=day))
        quick_delete(CampaignDay.objects.filter(day=day))
        _insert_from(PageHour, _page_hours(hits), last_page_id="page_id")
        on_day = hits.annotate(day=Value(day, output_field=DateField()))
        _insert_from(PageDay, _page_days(on_day), last_page_id="page_id")
        _insert_from(ReferrerDay, _referrer_days(on_day))
        _insert_from(CampaignDay, _campaign_days(on_day), campaign="campaign_id")


def quick_delete(queryset):
    """Delete the rows in one DELETE statement. ``QuerySet.delete()`` would load every row
    to send post_delete (core listens to it for every model, to empty the page cache when
    content goes), which these tables, with no relations and nothing readers see, do not
    need, and which would take minutes for a month of raw hits."""
    return queryset._raw_delete(queryset.db)


def _insert_from(model, rows, **renames):
    """``INSERT INTO <model's table> (...) SELECT <rows>``: the database aggregates and
    writes in one statement, with no row passing through Python (a roll-up of 90 days of a
    busy site writes about a million hourly rows). ``rows`` is a ``values().annotate()``
    query, compiled by Django for whichever database this is; its names are the model's
    fields, or renamed by ``renames``."""
    compiler = rows.query.get_compiler(connection=connection)
    select_sql, params = compiler.as_sql()
    # The SELECT's columns in their order, by the names values() and annotate() gave them.
    names = [alias for _expression, _sql, alias in compiler.select]
    columns = [model._meta.get_field(renames.get(name, name)).column for name in names]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} "
            f"({', '.join(quote(column) for column in columns)}) {select_sql}",
            params,
        )


def _page_figures():
    return {
        "views": Count("id", filter=VIEW),
        "visitors": Count("visitor", filter=KNOWN_VISITOR, distinct=True),
        "reads": Count("id", filter=READ),
        "last_page_id": Max("page_id"),
    }


class HourOf(Func):
    """The start of the UTC hour of a time, computed by the database itself: Django's
    TruncHour runs a Python function per row on SQLite, slower than the whole roll-up."""

    output_field = DateTimeField()

    def as_sqlite(self, compiler, connection, **extra_context):
        # Django keeps SQLite times as UTC text, "YYYY-MM-DD HH:MM:SS[.ffffff]": the hour is
        # its first 13 characters (half the cost of strftime, which parses every value).
        return self.as_sql(
            compiler, connection, template="substr(%(expressions)s, 1, 13) || ':00:00'"
        )

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template="date_trunc('hour', %(expressions)s, 'UTC')"
        )


def _page_hours(hits):
    return (
        hits.annotate(hour=HourOf("at"))
        .values("hour", "site_id", "path")
        .annotate(**_page_figures())
        .order_by()
    )


def _page_days(hits):
    return hits.values("day", "site_id", "path").annotate(**_page_figures()).order_by()


def _referrer_days(hits):
    return (
        hits.filter(VIEW)
        .values("day", "site_id", "referrer", "referrer_kind")
        .annotate(views=Count("id"), visitors=Count("visitor", filter=KNOWN_VISITOR, distinct=True))
        .order_by()
    )


def _campaign_days(hits):
    return (
        hits.filter(VIEW)
        .exclude(campaign_id=None, utm_source="", utm_medium="", utm_campaign="")
        .annotate(campaign=Coalesce("campaign_id", 0))
        .values("day", "site_id", "campaign", "utm_source", "utm_medium", "utm_campaign")
        .annotate(views=Count("id"), visitors=Count("visitor", filter=KNOWN_VISITOR, distinct=True))
        .order_by()
    )
