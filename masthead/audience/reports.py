"""The figures the Audience dashboards show, each aggregated in the database.

Every function takes a date range (``start`` and ``end`` dates, both included, in the
site's time zone) and optionally a ``site_id``. Visits come from the daily roll-ups
(``PageDay``, ``ReferrerDay``, ``CampaignDay``); conversions from completed
``Conversion`` rows, dated by when they were completed (confirmed, paid), so a gift started
on the last day of one range and paid on the first of the next counts in the next.

"Visitors" over a range is the sum of each day's unique visitors: a visitor id changes
every day by design (nothing links a reader's two days), so a reader who comes on three
days is three daily visitors. Money is in minor units; ``currency`` narrows it to one
currency (None counts every conversion, which is right for an outlet with one currency).

Newsletter campaigns are known to ``audience`` only through the callables newsletter
registers with :func:`register_campaign_source` (audience never imports newsletter).
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from masthead.audience.models import (
    CampaignDay,
    Conversion,
    PageDay,
    ReferrerDay,
    ReferrerKind,
)

KIND = Conversion.Kind


@dataclass(frozen=True)
class CampaignFacts:
    """What the newsletter knows of one campaign: its name, when it was sent, how many
    emails went out and how many of its links were clicked (0 when clicks are not
    counted for its newsletter)."""

    campaign_id: int
    name: str
    sent_at: datetime | None
    deliveries: int
    clicks: int
    clicks_counted: bool = False


_campaign_sources = []


def register_campaign_source(source):
    """Register ``source(start, end, campaign_ids)`` → iterable of CampaignFacts: the
    campaigns sent between the two datetimes, plus those whose ids are in
    ``campaign_ids`` (campaigns sent earlier that still brought visits)."""
    if source not in _campaign_sources:
        _campaign_sources.append(source)


@dataclass
class ConversionFigures:
    """Completed conversions of one group (an article, a campaign, a referrer, a day)."""

    signups: int = 0
    monthly: int = 0
    monthly_amount: int = 0
    gifts: int = 0
    gifts_amount: int = 0
    orders: int = 0
    revenue: int = 0

    @property
    def money(self):
        """Everything raised: monthly amounts (one month's), one-off gifts and orders."""
        return self.monthly_amount + self.gifts_amount + self.revenue


@dataclass
class ArticleFigures:
    """One article's figures over a range."""

    page_id: int
    views: int = 0
    visitors: int = 0
    reads: int = 0
    conversions: ConversionFigures = field(default_factory=ConversionFigures)


@dataclass
class CampaignFigures:
    """One newsletter campaign's figures: deliveries and clicks from the newsletter, visits
    over the range from the roll-ups, and the conversions of visits it began."""

    campaign_id: int
    name: str = ""
    sent_at: datetime | None = None
    deliveries: int = 0
    clicks: int = 0
    clicks_counted: bool = False
    views: int = 0
    visitors: int = 0
    conversions: ConversionFigures = field(default_factory=ConversionFigures)


@dataclass
class ReferrerFigures:
    """Visits and conversions that came from one referrer (a host, or a search engine's or
    network's name, with its kind)."""

    referrer: str
    referrer_kind: str
    views: int = 0
    visitors: int = 0
    conversions: ConversionFigures = field(default_factory=ConversionFigures)


@dataclass
class UtmFigures:
    """Visits and conversions of one UTM source/medium/campaign."""

    utm_source: str
    utm_medium: str
    utm_campaign: str
    views: int = 0
    visitors: int = 0
    conversions: ConversionFigures = field(default_factory=ConversionFigures)


@dataclass
class Totals:
    """The whole site over a range."""

    views: int = 0
    visitors: int = 0
    reads: int = 0
    conversions: ConversionFigures = field(default_factory=ConversionFigures)


@dataclass
class DayFigures:
    """One day of the series."""

    day: date
    views: int = 0
    visitors: int = 0
    reads: int = 0
    conversions: ConversionFigures = field(default_factory=ConversionFigures)


def _check_range(start, end):
    if not isinstance(start, date) or not isinstance(end, date):
        raise TypeError("start and end must be dates")
    if isinstance(start, datetime) or isinstance(end, datetime):
        raise TypeError("start and end must be dates, not datetimes")
    if end < start:
        raise ValueError("The range ends before it starts")


def _bounds(start, end):
    """The aware datetimes from the start of ``start`` to the end of ``end`` (exclusive)."""
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


def _days(model, start, end, site_id):
    _check_range(start, end)
    rows = model.objects.filter(day__gte=start, day__lte=end)
    return rows if site_id is None else rows.filter(site_id=site_id)


def completed_conversions(start, end, site_id=None, currency=None):
    """The completed conversions whose completion falls in the range (a queryset)."""
    _check_range(start, end)
    since, until = _bounds(start, end)
    rows = Conversion.objects.filter(completed_at__gte=since, completed_at__lt=until)
    if site_id is not None:
        rows = rows.filter(site_id=site_id)
    if currency is not None:
        # Sign-ups carry no currency: they count whatever currency is asked for.
        rows = rows.filter(Q(currency=currency.upper()) | Q(kind=KIND.SIGNUP))
    return rows


_CONVERSION_AGGREGATES = {
    "signups": Count("pk", filter=Q(kind=KIND.SIGNUP)),
    "monthly": Count("pk", filter=Q(kind=KIND.MONTHLY)),
    "monthly_amount": Coalesce(Sum("amount", filter=Q(kind=KIND.MONTHLY)), 0),
    "gifts": Count("pk", filter=Q(kind=KIND.DONATION)),
    "gifts_amount": Coalesce(Sum("amount", filter=Q(kind=KIND.DONATION)), 0),
    "orders": Count("pk", filter=Q(kind=KIND.ORDER)),
    "revenue": Coalesce(Sum("amount", filter=Q(kind=KIND.ORDER)), 0),
}


def _conversions_by(rows, *keys):
    """{key tuple (or the single key): ConversionFigures} for ``rows`` grouped by ``keys``."""
    grouped = {}
    for row in rows.values(*keys).annotate(**_CONVERSION_AGGREGATES).order_by():
        key = tuple(row[name] for name in keys)
        grouped[key[0] if len(keys) == 1 else key] = ConversionFigures(
            **{name: row[name] for name in _CONVERSION_AGGREGATES}
        )
    return grouped


def _conversion_totals(rows):
    return ConversionFigures(**rows.aggregate(**_CONVERSION_AGGREGATES))


_VISIT_SUMS = {
    "views": Coalesce(Sum("views"), 0),
    "visitors": Coalesce(Sum("visitors"), 0),
}


def article_figures(start, end, site_id=None, currency=None, page_ids=None, limit=None):
    """Per article: ``[ArticleFigures]`` (page_id, views, visitors, reads, conversions:
    sign-ups, new monthly supporters and their monthly amount, one-off gifts and their
    amount, orders and revenue), for every page with views or attributed conversions in the
    range, most viewed first (then most money). ``page_ids`` narrows it to those pages (an
    author's own articles); ``limit`` keeps the first so many."""
    visits = (
        _days(PageDay, start, end, site_id)
        .filter(page_id__isnull=False)
        .values("page_id")
        .annotate(**_VISIT_SUMS, reads=Coalesce(Sum("reads"), 0))
        .order_by()
    )
    conversions = completed_conversions(start, end, site_id, currency).filter(
        article_id__isnull=False
    )
    if page_ids is not None:
        visits = visits.filter(page_id__in=list(page_ids))
        conversions = conversions.filter(article_id__in=list(page_ids))
    figures = {
        row["page_id"]: ArticleFigures(
            page_id=row["page_id"], views=row["views"], visitors=row["visitors"], reads=row["reads"]
        )
        for row in visits
    }
    for page_id, converted in _conversions_by(conversions, "article_id").items():
        figures.setdefault(page_id, ArticleFigures(page_id=page_id)).conversions = converted
    ordered = sorted(
        figures.values(), key=lambda item: (-item.views, -item.conversions.money, item.page_id)
    )
    return ordered[:limit] if limit is not None else ordered


def campaign_figures(start, end, site_id=None, currency=None):
    """Per newsletter campaign: ``[CampaignFigures]`` (campaign_id, name, sent_at,
    deliveries, clicks, clicks_counted, views, visitors, conversions) for the campaigns sent
    in the range and those that brought visits or conversions in it, newest first.
    Deliveries and clicks are the campaign's whole life so far (from the newsletter);
    views, visitors and conversions fall in the range."""
    visits = {
        row["campaign_id"]: row
        for row in _days(CampaignDay, start, end, site_id)
        .filter(campaign_id__gt=0)
        .values("campaign_id")
        .annotate(**_VISIT_SUMS)
        .order_by()
    }
    converted = _conversions_by(
        completed_conversions(start, end, site_id, currency).filter(campaign_id__isnull=False),
        "campaign_id",
    )
    seen_ids = set(visits) | set(converted)
    since, until = _bounds(start, end)
    facts = {}
    for source in _campaign_sources:
        for fact in source(since, until, sorted(seen_ids)):
            facts[fact.campaign_id] = fact
    figures = []
    for campaign_id in set(facts) | seen_ids:
        fact = facts.get(campaign_id)
        visit = visits.get(campaign_id, {})
        figures.append(
            CampaignFigures(
                campaign_id=campaign_id,
                name=fact.name if fact else "",
                sent_at=fact.sent_at if fact else None,
                deliveries=fact.deliveries if fact else 0,
                clicks=fact.clicks if fact else 0,
                clicks_counted=fact.clicks_counted if fact else False,
                views=visit.get("views", 0),
                visitors=visit.get("visitors", 0),
                conversions=converted.get(campaign_id, ConversionFigures()),
            )
        )
    return sorted(figures, key=_newest_first)


def _newest_first(item):
    sent = item.sent_at.timestamp() if item.sent_at else float("-inf")
    return (-sent, -item.campaign_id)


def top_referrers(start, end, site_id=None, currency=None, limit=20):
    """``[ReferrerFigures]`` (referrer, referrer_kind, views, visitors, conversions) for the
    referrers other than this site itself, most views first; conversions are those whose
    visit began from that referrer."""
    visits = list(
        _days(ReferrerDay, start, end, site_id)
        .exclude(referrer_kind=ReferrerKind.INTERNAL)
        .values("referrer", "referrer_kind")
        .annotate(**_VISIT_SUMS)
        .order_by("-views", "referrer")
    )
    converted = _conversions_by(
        completed_conversions(start, end, site_id, currency).exclude(entry_referrer_kind=""),
        "entry_referrer",
        "entry_referrer_kind",
    )
    figures = {
        (row["referrer"], row["referrer_kind"]): ReferrerFigures(
            referrer=row["referrer"],
            referrer_kind=row["referrer_kind"],
            views=row["views"],
            visitors=row["visitors"],
        )
        for row in visits
    }
    for key, conversions in converted.items():
        figures.setdefault(key, ReferrerFigures(referrer=key[0], referrer_kind=key[1]))
        figures[key].conversions = conversions
    ordered = sorted(
        figures.values(), key=lambda item: (-item.views, -item.conversions.money, item.referrer)
    )
    return ordered[:limit]


def top_utm_campaigns(start, end, site_id=None, currency=None, limit=20):
    """``[UtmFigures]`` (utm_source, utm_medium, utm_campaign, views, visitors, conversions)
    for visits tagged with UTM parameters, most views first."""
    keys = ("utm_source", "utm_medium", "utm_campaign")
    tagged = Q(utm_source__gt="") | Q(utm_medium__gt="") | Q(utm_campaign__gt="")
    visits = (
        _days(CampaignDay, start, end, site_id)
        .filter(tagged)
        .values(*keys)
        .annotate(**_VISIT_SUMS)
        .order_by()
    )
    converted = _conversions_by(
        completed_conversions(start, end, site_id, currency).filter(tagged), *keys
    )
    figures = {
        tuple(row[name] for name in keys): UtmFigures(
            *(row[name] for name in keys), views=row["views"], visitors=row["visitors"]
        )
        for row in visits
    }
    for key, conversions in converted.items():
        figures.setdefault(key, UtmFigures(*key)).conversions = conversions
    ordered = sorted(
        figures.values(),
        key=lambda item: (-item.views, -item.conversions.money, item.utm_source, item.utm_campaign),
    )
    return ordered[:limit]


def totals(start, end, site_id=None, currency=None):
    """``Totals`` (views, visitors, reads, conversions) of the whole site over the range."""
    visits = _days(PageDay, start, end, site_id).aggregate(
        **_VISIT_SUMS, reads=Coalesce(Sum("reads"), 0)
    )
    return Totals(
        **visits,
        conversions=_conversion_totals(completed_conversions(start, end, site_id, currency)),
    )


def daily_series(start, end, site_id=None, currency=None):
    """``[DayFigures]`` (day, views, visitors, reads, conversions), one for every day of the
    range in order, days with nothing included as zeros (what a chart needs)."""
    visits = {
        row["day"]: row
        for row in _days(PageDay, start, end, site_id)
        .values("day")
        .annotate(**_VISIT_SUMS, reads=Coalesce(Sum("reads"), 0))
        .order_by()
    }
    converted = _conversions_by(
        completed_conversions(start, end, site_id, currency).annotate(
            day=TruncDate("completed_at", tzinfo=timezone.get_current_timezone())
        ),
        "day",
    )
    series = []
    day = start
    while day <= end:
        row = visits.get(day, {})
        series.append(
            DayFigures(
                day=day,
                views=row.get("views", 0),
                visitors=row.get("visitors", 0),
                reads=row.get("reads", 0),
                conversions=converted.get(day, ConversionFigures()),
            )
        )
        day += timedelta(days=1)
    return series
