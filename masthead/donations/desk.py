"""The donations' panels on the newsroom's desk (the admin's home page, built by audience):
this month's funding against its costs, and the supporters who joined this month. Both are
for those who may see donations; a Contributor sees no money."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from masthead.audience.desk import DeskLine, DeskPanel
from masthead.donations.funding import month_funding, month_start
from masthead.donations.models import RecurringDonation
from masthead.payments.money import format_money

VIEW_PERMISSION = "donations.view_donation"


def funding_lines(request):
    """This month: what readers (and other income) gave against what the month needs."""
    month = month_funding()
    lines = [
        DeskLine(_("Income this month"), format_money(month.income, month.currency)),
        DeskLine(_("Needed (costs or goal)"), format_money(month.target, month.currency)),
    ]
    if month.percent is not None:
        lines.append(DeskLine(_("Covered"), f"{month.percent}%"))
    lines.append(DeskLine(_("Monthly supporters"), str(month.monthly_supporters)))
    return lines


def supporter_lines(request):
    """Monthly supporters who started this month, and what they give each month."""
    start = timezone.make_aware(
        timezone.datetime.combine(month_start(), timezone.datetime.min.time())
    )
    joined = RecurringDonation.objects.filter(started_at__gte=start)
    currency = month_funding().currency
    amount = sum(joined.filter(currency=currency).values_list("amount", flat=True))
    return [
        DeskLine(_("New monthly supporters this month"), str(joined.count())),
        DeskLine(_("They give each month"), format_money(amount, currency)),
    ]


FUNDING_PANEL = DeskPanel(
    name="donations_funding",
    title=_("This month's funding"),
    lines=funding_lines,
    url_name="donations_report",
    permission=VIEW_PERMISSION,
    order=300,
)
SUPPORTERS_PANEL = DeskPanel(
    name="donations_supporters",
    title=_("New supporters"),
    lines=supporter_lines,
    url_name="supporters:index",
    permission=VIEW_PERMISSION,
    order=310,
)
