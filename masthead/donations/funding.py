"""The figures behind the funding-transparency page (a month's costs against readers'
income, and the 12-month chart) and the admin's supporters report.

Income is what readers gave net of refunds, counted in the month (in the site's time zone)
the payment was made. A chart or report groups by month in the database (``TruncMonth``),
one aggregate query per table, however many months it shows; other income sources
(``masthead.core.funding``) answer for the whole range at once, by month, too.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Count, DateField, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from masthead.core.funding import income_sources
from masthead.donations.models import (
    Donation,
    DonationSettings,
    FundingGoal,
    MonthlyCost,
    RecurringDonation,
)


@dataclass(frozen=True)
class CostLine:
    """One category's cost in a month."""

    category: str
    amount: int
    note: str = ""


@dataclass(frozen=True)
class IncomeLine:
    """Income from another source than readers' gifts in a month (the shop's margin...)."""

    name: str
    label: str
    amount: int


@dataclass(frozen=True)
class MonthFunding:
    """A month's costs against what readers gave, as the funding page shows them."""

    month: date
    currency: str
    costs: int
    income: int
    goal: int | None
    cost_lines: list = field(default_factory=list)
    monthly_supporters: int = 0
    gifts: int = 0
    # ``income`` includes these; ``gifts_income`` is what readers gave.
    income_lines: list = field(default_factory=list)

    @property
    def gifts_income(self):
        return self.income - sum(line.amount for line in self.income_lines)

    @property
    def target(self):
        """What the month needs: the goal set for it, else its costs."""
        return self.goal if self.goal else self.costs

    @property
    def percent(self):
        """Whole percent of the target readers covered (None when nothing is needed)."""
        if not self.target:
            return None
        return self.income * 100 // self.target

    @property
    def bar_percent(self):
        return min(self.percent or 0, 100)


@dataclass(frozen=True)
class MonthPoint:
    """One month of the 12-month chart."""

    month: date
    costs: int
    income: int


@dataclass(frozen=True)
class SupporterMonth:
    """One month of the supporters report."""

    month: date
    income: int
    recurring_income: int
    new_supporters: int
    lost_supporters: int


def month_start(value=None):
    """The first day of the month that ``value`` (today by default) falls in."""
    value = value or timezone.localdate()
    return date(value.year, value.month, 1)


def add_months(month, count):
    """The first day of the month ``count`` months after (or before) ``month``."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def _local_midnight(month):
    return datetime(month.year, month.month, 1, tzinfo=timezone.get_current_timezone())


def _month_bounds(first, last=None):
    """The moments from the start of month ``first`` to the end of month ``last`` (or of
    ``first``), in the site's time zone."""
    return _local_midnight(first), _local_midnight(add_months(last or first, 1))


def _by_month(queryset, moment):
    """``queryset`` grouped by the month (its first day, in the site's time zone) in which
    the ``moment`` field falls: follow with ``annotate`` to aggregate each month."""
    return (
        queryset.annotate(month=TruncMonth(moment, output_field=DateField()))
        .values("month")
        .order_by()
    )


def _net(**conditions):
    """The total given, net of refunds (of the rows matching ``filter``, when given)."""
    return Sum(F("amount") - F("refunded_amount"), **conditions)


def _counted_donations(currency):
    return Donation.objects.filter(
        currency=currency,
        status__in=[Donation.Status.PAID, Donation.Status.REFUNDED],
        paid_at__isnull=False,
    )


def income_between(start, end, currency):
    """What readers gave between two moments, net of refunds, in minor units."""
    total = (
        _counted_donations(currency)
        .filter(paid_at__gte=start, paid_at__lt=end)
        .aggregate(total=_net())["total"]
    )
    return total or 0


def other_income_between(start, end, currency):
    """Income from the registered sources (masthead.core.funding), one line each."""
    return [
        IncomeLine(source.name, str(source.label), source.between(start, end, currency))
        for source in income_sources()
    ]


def month_funding(month=None, currency=None):
    """The figures for one month (this month by default)."""
    month = month_start(month)
    currency = currency or DonationSettings.current().currency
    start, end = _month_bounds(month)
    costs = list(
        MonthlyCost.objects.filter(month=month, currency=currency)
        .select_related("category")
        .order_by("category__sort_order", "category__name")
    )
    goal = FundingGoal.objects.filter(month=month, currency=currency).first()
    gifts = (
        _counted_donations(currency)
        .filter(paid_at__gte=start, paid_at__lt=end)
        .aggregate(income=_net(), count=Count("pk"))
    )
    income_lines = other_income_between(start, end, currency)
    return MonthFunding(
        month=month,
        currency=currency,
        costs=sum(cost.amount for cost in costs),
        income=(gifts["income"] or 0) + sum(line.amount for line in income_lines),
        income_lines=income_lines,
        goal=goal.amount if goal else None,
        cost_lines=[CostLine(cost.category.name, cost.amount, cost.note) for cost in costs],
        monthly_supporters=RecurringDonation.objects.filter(
            Q(status=RecurringDonation.Status.ACTIVE) | Q(status=RecurringDonation.Status.PAST_DUE)
        ).count(),
        gifts=gifts["count"],
    )


def funding_series(months=12, last_month=None, currency=None):
    """Costs and income for the ``months`` months up to and including ``last_month``."""
    last = month_start(last_month)
    currency = currency or DonationSettings.current().currency
    first = add_months(last, -(months - 1))
    start, end = _month_bounds(first, last)
    cost_totals = dict(
        MonthlyCost.objects.filter(month__gte=first, month__lte=last, currency=currency)
        .values_list("month")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    gifts = _counted_donations(currency).filter(paid_at__gte=start, paid_at__lt=end)
    gift_totals = {
        row["month"]: row["total"] for row in _by_month(gifts, "paid_at").annotate(total=_net())
    }
    other_totals = [source.by_month(start, end, currency) for source in income_sources()]
    points = []
    for offset in range(months):
        month = add_months(first, offset)
        other = sum(totals.get(month, 0) for totals in other_totals)
        income = gift_totals.get(month, 0) + other
        points.append(MonthPoint(month, cost_totals.get(month, 0), income))
    return points


def _supporters_by_month(moment, start, end, **conditions):
    """How many supporters' ``moment`` (started, cancelled) falls in each month between
    ``start`` and ``end``."""
    supporters = RecurringDonation.objects.filter(
        **conditions, **{f"{moment}__gte": start, f"{moment}__lt": end}
    )
    return {
        row["month"]: row["count"]
        for row in _by_month(supporters, moment).annotate(count=Count("pk"))
    }


def supporters_report(months=12, last_month=None, currency=None):
    """Per month, oldest first: all income, income from monthly gifts, and supporters
    gained and lost."""
    last = month_start(last_month)
    currency = currency or DonationSettings.current().currency
    first = add_months(last, -(months - 1))
    start, end = _month_bounds(first, last)
    gifts = _counted_donations(currency).filter(paid_at__gte=start, paid_at__lt=end)
    income = {
        row["month"]: row
        for row in _by_month(gifts, "paid_at").annotate(
            total=_net(), recurring=_net(filter=Q(kind=Donation.Kind.MONTHLY))
        )
    }
    new = _supporters_by_month("started_at", start, end)
    lost = _supporters_by_month("cancelled_at", start, end, started_at__isnull=False)
    rows = []
    for offset in range(months):
        month = add_months(first, offset)
        month_income = income.get(month, {})
        rows.append(
            SupporterMonth(
                month=month,
                income=month_income.get("total") or 0,
                recurring_income=month_income.get("recurring") or 0,
                new_supporters=new.get(month, 0),
                lost_supporters=lost.get(month, 0),
            )
        )
    return rows


def monthly_recurring_income(currency=None):
    """What live monthly gifts bring in each month, at their current amounts."""
    currency = currency or DonationSettings.current().currency
    total = RecurringDonation.objects.filter(
        currency=currency,
        status__in=[RecurringDonation.Status.ACTIVE, RecurringDonation.Status.PAST_DUE],
    ).aggregate(total=Sum("amount"))["total"]
    return total or 0
