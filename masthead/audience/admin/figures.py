"""The figures the Audience screens show, read only from the roll-up tables (PageDay,
ReferrerDay, CampaignDay) and the conversions, never from raw hits, so the 90-day page costs
a few grouped queries over a few thousand rows however many hits there were. The one
exception is "live now", which counts the raw hits of the last five minutes.

A ``Scope`` says whose figures are wanted: everything (Editors and Administrators) or the
articles a Contributor owns or writes, in which case the site-wide tables (referrers,
campaigns) and money are left out.

Visitors are unique per day (the visitor id changes every day, by design), so a period's
"visitors" is the sum of each day's unique visitors, and the screens say so.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from wagtail.models import Page

from masthead.audience.models import CampaignDay, Conversion, Hit, PageDay, ReferrerDay
from masthead.publishing.models import ArticleAuthor, ArticlePage

LIVE_MINUTES = 5
# Money counts only in the site's currency (a conversion in another one is counted, not summed).
MONEY_KINDS = (Conversion.Kind.DONATION, Conversion.Kind.MONTHLY, Conversion.Kind.ORDER)


@dataclass(frozen=True)
class Scope:
    """Whose figures: all (``article_ids`` None) or only these articles'; ``money`` says
    whether amounts may be shown."""

    article_ids: frozenset | None = None
    money: bool = True

    @property
    def everything(self):
        return self.article_ids is None


def scope_for(user):
    """Everything for those with ``audience.view_audience``; a Contributor's own articles
    (they own the page, or an author page linked to their account is in its byline)."""
    if user.has_perm("audience.view_audience"):
        return Scope()
    return Scope(article_ids=frozenset(own_article_ids(user)), money=False)


def own_article_ids(user):
    return set(
        ArticlePage.objects.filter(
            Q(owner=user) | Q(article_authors__author__user=user)
        ).values_list("pk", flat=True)
    )


@dataclass
class Conversions:
    """Completed conversions of one article (or campaign, or the whole site)."""

    signups: int = 0
    monthly: int = 0
    monthly_amount: int = 0
    gifts: int = 0
    gifts_amount: int = 0
    orders: int = 0
    revenue: int = 0

    @property
    def money(self):
        return self.monthly_amount + self.gifts_amount + self.revenue

    @property
    def count(self):
        return self.signups + self.monthly + self.gifts + self.orders

    def add(self, kind, count, amount):
        if kind == Conversion.Kind.SIGNUP:
            self.signups += count
        elif kind == Conversion.Kind.MONTHLY:
            self.monthly += count
            self.monthly_amount += amount
        elif kind == Conversion.Kind.DONATION:
            self.gifts += count
            self.gifts_amount += amount
        elif kind == Conversion.Kind.ORDER:
            self.orders += count
            self.revenue += amount


@dataclass
class Row:
    """One line of a table: what it is, its link, and its figures."""

    key: object
    label: str
    views: int = 0
    visitors: int = 0
    reads: int = 0
    conversions: Conversions = field(default_factory=Conversions)
    url: str = ""


@dataclass(frozen=True)
class DayPoint:
    day: object
    views: int
    visitors: int
    conversions: int
    reads: int = 0


def bounds(start, end):
    """The aware datetimes ``[start 00:00, the day after end 00:00)`` in the site's zone."""
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


def _page_days(start, end, scope):
    rows = PageDay.objects.filter(day__gte=start, day__lte=end)
    if not scope.everything:
        rows = rows.filter(page_id__in=scope.article_ids)
    return rows


def _completed(start, end, scope):
    low, high = bounds(start, end)
    rows = Conversion.objects.filter(completed_at__gte=low, completed_at__lt=high)
    if not scope.everything:
        rows = rows.filter(article_id__in=scope.article_ids)
    return rows


def _conversions_by(queryset, key):
    """``{key value: Conversions}`` from one grouped query."""
    found = defaultdict(Conversions)
    grouped = (
        queryset.values(key, "kind")
        .annotate(
            count=Count("pk"),
            amount=Sum(
                "amount",
                filter=Q(currency__in=(settings.PAYMENTS_CURRENCY, ""), kind__in=MONEY_KINDS),
            ),
        )
        .order_by()
    )
    for row in grouped:
        found[row[key]].add(row["kind"], row["count"], row["amount"] or 0)
    return found


def live_visitors(now=None):
    """Visitors in the last five minutes, from raw hits: distinct visitor ids, plus every
    view from a browser that asked not to be tracked (those have no id to tell apart)."""
    now = now or timezone.now()
    recent = Hit.objects.filter(at__gte=now - timedelta(minutes=LIVE_MINUTES), kind=Hit.Kind.VIEW)
    figures = recent.aggregate(
        visitors=Count("visitor", distinct=True, filter=~Q(visitor="")),
        untracked=Count("pk", filter=Q(visitor="")),
    )
    return figures["visitors"] + figures["untracked"]


def totals(start, end, scope, series=None):
    """One Row for the whole period (its key and label are unused); given the period's
    ``day_series``, its visits are added up from it rather than read again."""
    if series is None:
        sums = _page_days(start, end, scope).aggregate(
            views=Sum("views"), visitors=Sum("visitors"), reads=Sum("reads")
        )
    else:
        sums = {
            name: sum(getattr(point, name) for point in series)
            for name in ("views", "visitors", "reads")
        }
    total = Row(
        key=None,
        label="",
        views=sums["views"] or 0,
        visitors=sums["visitors"] or 0,
        reads=sums["reads"] or 0,
    )
    for conversions in _conversions_by(_completed(start, end, scope), "kind").values():
        total.conversions.add(Conversion.Kind.SIGNUP, conversions.signups, 0)
        total.conversions.add(
            Conversion.Kind.MONTHLY, conversions.monthly, conversions.monthly_amount
        )
        total.conversions.add(Conversion.Kind.DONATION, conversions.gifts, conversions.gifts_amount)
        total.conversions.add(Conversion.Kind.ORDER, conversions.orders, conversions.revenue)
    return total


def article_rows(start, end, scope):
    """Every article with views or conversions in the period, most viewed first: a Row
    keyed by page id, with its section and authors found by ``sections``/``authors``."""
    article_ids = ArticlePage.objects.values("pk")
    traffic = (
        _page_days(start, end, scope)
        .filter(page_id__in=article_ids)
        .values("page_id")
        .annotate(views=Sum("views"), visitors=Sum("visitors"), reads=Sum("reads"))
        .order_by()
    )
    rows = {}
    for line in traffic:
        rows[line["page_id"]] = Row(
            key=line["page_id"],
            label="",
            views=line["views"],
            visitors=line["visitors"],
            reads=line["reads"],
        )
    converted = _conversions_by(
        _completed(start, end, scope).filter(article_id__in=article_ids), "article_id"
    )
    for article_id, conversions in converted.items():
        rows.setdefault(article_id, Row(key=article_id, label="")).conversions = conversions
    titles = dict(Page.objects.filter(pk__in=rows).values_list("pk", "title"))
    for row in rows.values():
        row.label = titles.get(row.key, "")
    return sorted(rows.values(), key=lambda row: (-row.views, -row.conversions.count, row.label))


def _merge(into, row):
    into.views += row.views
    into.visitors += row.visitors
    into.reads += row.reads
    into.conversions.add(Conversion.Kind.SIGNUP, row.conversions.signups, 0)
    into.conversions.add(
        Conversion.Kind.MONTHLY, row.conversions.monthly, row.conversions.monthly_amount
    )
    into.conversions.add(
        Conversion.Kind.DONATION, row.conversions.gifts, row.conversions.gifts_amount
    )
    into.conversions.add(Conversion.Kind.ORDER, row.conversions.orders, row.conversions.revenue)


def _sorted(rows):
    return sorted(rows, key=lambda row: (-row.views, -row.conversions.count, row.label))


def section_rows(articles):
    """The article rows added up by section (the page each article lives under)."""
    paths = dict(
        Page.objects.filter(pk__in=[row.key for row in articles]).values_list("pk", "path")
    )
    parent_of = {pk: path[: -Page.steplen] for pk, path in paths.items()}
    sections = {
        path: (pk, title)
        for path, pk, title in Page.objects.filter(path__in=set(parent_of.values())).values_list(
            "path", "pk", "title"
        )
    }
    rows = {}
    for article in articles:
        section = sections.get(parent_of.get(article.key))
        if section is None:
            continue
        _merge(rows.setdefault(section[0], Row(key=section[0], label=section[1])), article)
    return _sorted(rows.values())


def author_rows(articles):
    """The article rows added up by author (an article with two authors counts for both)."""
    by_id = {row.key: row for row in articles}
    links = ArticleAuthor.objects.filter(article_id__in=by_id).values_list(
        "article_id", "author_id", "author__title"
    )
    rows = {}
    for article_id, author_id, name in links:
        _merge(rows.setdefault(author_id, Row(key=author_id, label=name)), by_id[article_id])
    return _sorted(rows.values())


def referrer_rows(start, end):
    """Where visits came from: one Row per referrer (a host, or a search engine's or
    network's name) and kind; key is ``(referrer, kind)``."""
    grouped = (
        ReferrerDay.objects.filter(day__gte=start, day__lte=end)
        .values("referrer", "referrer_kind")
        .annotate(views=Sum("views"), visitors=Sum("visitors"))
        .order_by()
    )
    low, high = bounds(start, end)
    converted = defaultdict(Conversions)
    for row in (
        Conversion.objects.filter(completed_at__gte=low, completed_at__lt=high)
        .values("entry_referrer", "entry_referrer_kind", "kind")
        .annotate(
            count=Count("pk"),
            amount=Sum("amount", filter=Q(currency__in=(settings.PAYMENTS_CURRENCY, ""))),
        )
        .order_by()
    ):
        key = (row["entry_referrer"], row["entry_referrer_kind"] or "direct")
        converted[key].add(row["kind"], row["count"], row["amount"] or 0)
    rows = {}
    for line in grouped:
        key = (line["referrer"], line["referrer_kind"])
        rows[key] = Row(
            key=key, label=line["referrer"], views=line["views"], visitors=line["visitors"]
        )
    for key, conversions in converted.items():
        rows.setdefault(key, Row(key=key, label=key[0])).conversions = conversions
    return _sorted(rows.values())


def campaign_rows(start, end):
    """Newsletter campaigns and UTM campaigns: one Row per ``(campaign id or 0, source,
    medium, campaign)``."""
    fields = ("campaign_id", "utm_source", "utm_medium", "utm_campaign")
    grouped = (
        CampaignDay.objects.filter(day__gte=start, day__lte=end)
        .values(*fields)
        .annotate(views=Sum("views"), visitors=Sum("visitors"))
        .order_by()
    )
    low, high = bounds(start, end)
    converted = defaultdict(Conversions)
    for row in (
        Conversion.objects.filter(completed_at__gte=low, completed_at__lt=high)
        .filter(Q(campaign_id__isnull=False) | ~Q(utm_campaign="") | ~Q(utm_source=""))
        .values(*fields, "kind")
        .annotate(
            count=Count("pk"),
            amount=Sum("amount", filter=Q(currency__in=(settings.PAYMENTS_CURRENCY, ""))),
        )
        .order_by()
    ):
        key = (row["campaign_id"] or 0, row["utm_source"], row["utm_medium"], row["utm_campaign"])
        converted[key].add(row["kind"], row["count"], row["amount"] or 0)
    rows = {}
    for line in grouped:
        key = tuple(line[name] for name in fields)
        rows[key] = Row(key=key, label="", views=line["views"], visitors=line["visitors"])
    for key, conversions in converted.items():
        rows.setdefault(key, Row(key=key, label="")).conversions = conversions
    return _sorted(rows.values())


def day_series(start, end, scope):
    """One DayPoint per day of the period, oldest first, days without figures as zeros."""
    traffic = {
        line["day"]: line
        for line in _page_days(start, end, scope)
        .values("day")
        .annotate(views=Sum("views"), visitors=Sum("visitors"), reads=Sum("reads"))
        .order_by()
    }
    converted = dict(
        _completed(start, end, scope)
        .annotate(day=TruncDate("completed_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(count=Count("pk"))
        .order_by()
        .values_list("day", "count")
    )
    points = []
    day = start
    while day <= end:
        line = traffic.get(day, {})
        points.append(
            DayPoint(
                day,
                line.get("views", 0),
                line.get("visitors", 0),
                converted.get(day, 0),
                line.get("reads", 0),
            )
        )
        day += timedelta(days=1)
    return points


def article_figures(article_id, start, end):
    """One article's Row for the period (its edit screen's panel)."""
    scope = Scope(article_ids=frozenset({article_id}))
    sums = _page_days(start, end, scope).aggregate(
        views=Sum("views"), visitors=Sum("visitors"), reads=Sum("reads")
    )
    row = Row(
        key=article_id,
        label="",
        views=sums["views"] or 0,
        visitors=sums["visitors"] or 0,
        reads=sums["reads"] or 0,
    )
    row.conversions = _conversions_by(_completed(start, end, scope), "article_id").get(
        article_id, Conversions()
    )
    return row
