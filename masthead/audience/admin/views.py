"""The Audience area of the admin: one dashboard over a period (today, the last 7, 30 or 90
days, or a custom range) and a CSV export of each of its tables.

Who sees what: ``audience.view_audience`` (Editors, Administrators) sees every figure;
anyone else with admin access sees their own articles' figures (articles they own or
write) without money and without the site-wide tables (referrers, campaigns), which would
tell them about others' articles. Figures come from ``figures``, which reads the roll-ups.
"""

import csv
from dataclasses import dataclass
from datetime import date, timedelta

from django import forms
from django.conf import settings
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from masthead.audience import reports, svg
from masthead.audience.admin import figures
from masthead.core.exports import spreadsheet_safe

# The longest custom range, in days (a year and a day covers "this day last year").
LONGEST_RANGE = 366
PERIODS = (
    ("today", _("Today")),
    ("7", _("Last 7 days")),
    ("30", _("Last 30 days")),
    ("90", _("Last 90 days")),
    ("custom", _("Custom range")),
)
# Tables only for those who see every figure.
SITE_WIDE_TABLES = {"referrers", "campaigns", "newsletters"}
TABLES = ("articles", "sections", "authors", "referrers", "campaigns", "newsletters", "days")


@dataclass(frozen=True)
class Period:
    key: str
    start: date
    end: date

    @property
    def query(self):
        return f"period={self.key}&start={self.start:%Y-%m-%d}&end={self.end:%Y-%m-%d}"


class PeriodForm(forms.Form):
    period = forms.ChoiceField(
        label=_("Period"), choices=PERIODS, required=False, widget=forms.RadioSelect
    )
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput({"type": "date"})
    )
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput({"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        key = cleaned.get("period") or "30"
        today = timezone.localdate()
        if key != "custom":
            days = 1 if key == "today" else int(key)
            cleaned["result"] = Period(key, today - timedelta(days=days - 1), today)
            return cleaned
        start, end = cleaned.get("start"), cleaned.get("end")
        if self.errors:
            return cleaned
        if not start or not end:
            raise forms.ValidationError(_("Give both the first and the last day of the range."))
        if start > end:
            raise forms.ValidationError(_("The first day must not be after the last day."))
        if end > today:
            raise forms.ValidationError(_("The range cannot end after today."))
        if (end - start).days + 1 > LONGEST_RANGE:
            raise forms.ValidationError(
                _("A range can be at most %(days)s days long.") % {"days": LONGEST_RANGE}
            )
        cleaned["result"] = Period(key, start, end)
        return cleaned


class AudienceAccessMixin:
    """Everyone with admin access (Wagtail checks it for every admin URL) gets their scope."""

    def dispatch(self, request, *args, **kwargs):
        self.scope = figures.scope_for(request.user)
        query = request.GET.copy()
        query.setdefault("period", "30")
        self.form = PeriodForm(query)
        return super().dispatch(request, *args, **kwargs)


def _tables(period, scope, wanted=TABLES):
    start, end = period.start, period.end
    tables = {}
    articles = figures.article_rows(start, end, scope)
    if "articles" in wanted:
        tables["articles"] = articles
    if "sections" in wanted:
        tables["sections"] = figures.section_rows(articles)
    if "authors" in wanted:
        tables["authors"] = figures.author_rows(articles)
    if scope.everything and "referrers" in wanted:
        tables["referrers"] = figures.referrer_rows(start, end)
    if scope.everything and "campaigns" in wanted:
        tables["campaigns"] = figures.campaign_rows(start, end)
    if scope.everything and "newsletters" in wanted:
        # The newsletter's own figures (name, deliveries, clicks) come through reports.
        tables["newsletters"] = reports.campaign_figures(
            start, end, currency=settings.PAYMENTS_CURRENCY
        )
    return tables


def campaign_label(key):
    campaign_id, source, medium, name = key
    if campaign_id:
        return _("Newsletter campaign %(id)s") % {"id": campaign_id}
    return " / ".join(part for part in (source, medium, name) if part) or _("(none)")


def referrer_label(key):
    referrer, kind = key
    return referrer or {"direct": _("Direct"), "internal": _("This site")}.get(kind, kind)


class DashboardView(AudienceAccessMixin, WagtailAdminTemplateMixin, TemplateView):
    """The dashboard over one period; a bad custom range is answered 400 with the reason."""

    template_name = "audience/admin/dashboard.html"
    page_title = _("Audience")
    header_icon = "view"
    rows_shown = 20

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": _("Audience")}]

    def get(self, request, *args, **kwargs):
        if not self.form.is_valid():
            return self.render_to_response(self.get_context_data(), status=400)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(form=self.form, scope=self.scope, **kwargs)
        if not self.form.is_valid():
            return context
        period = self.form.cleaned_data["result"]
        series = figures.day_series(period.start, period.end, self.scope)
        tables = _tables(period, self.scope)
        for row in tables.get("referrers", []):
            row.label = referrer_label(row.key)
        for row in tables.get("campaigns", []):
            row.label = campaign_label(row.key)
        context.update(
            period=period,
            live=figures.live_visitors() if self.scope.everything else None,
            total=figures.totals(period.start, period.end, self.scope, series),
            tables={name: rows[: self.rows_shown] for name, rows in tables.items()},
            views_chart=svg.day_chart(
                series, lambda point: point.views, name="views", title=_("Views per day")
            ),
            conversions_chart=svg.day_chart(
                series,
                lambda point: point.conversions,
                name="conversions",
                title=_("Conversions per day"),
                colour="#b3261e",
            ),
            series=series,
            export_urls={
                name: f"{reverse('audience_export', args=[name])}?{period.query}"
                for name in (*tables, "days")
            },
        )
        return context


HEADERS = {
    "name": _("Name"),
    "views": _("Views"),
    "visitors": _("Visitors (daily uniques, summed)"),
    "reads": _("Read to the end"),
    "signups": _("Sign-ups"),
    "monthly": _("New monthly supporters"),
    "monthly_amount": _("Their monthly amount (minor units)"),
    "gifts": _("One-off gifts"),
    "gifts_amount": _("One-off amount (minor units)"),
    "orders": _("Orders"),
    "revenue": _("Revenue (minor units)"),
}


def _csv_row(row, money):
    conversions = row.conversions
    values = [row.label, row.views, row.visitors, row.reads, conversions.signups]
    if money:
        values += [
            conversions.monthly,
            conversions.monthly_amount,
            conversions.gifts,
            conversions.gifts_amount,
            conversions.orders,
            conversions.revenue,
        ]
    else:
        values += [conversions.monthly, conversions.gifts, conversions.orders]
    return values


class ExportView(AudienceAccessMixin, View):
    """One table of the dashboard as CSV, every row (the page shows the first 20)."""

    def get(self, request, table):
        if table not in TABLES:
            raise Http404
        if table in SITE_WIDE_TABLES and not self.scope.everything:
            return HttpResponse(_("Only editors see this table."), status=403)
        if not self.form.is_valid():
            errors = "; ".join(str(error) for error in self.form.errors.get("__all__", []))
            return HttpResponse(errors or _("Give a valid period."), status=400)
        period = self.form.cleaned_data["result"]
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="audience-{table}-{period.start}-{period.end}.csv"'
        )
        response["Cache-Control"] = "private, no-store"
        writer = csv.writer(response)
        if table == "days":
            writer.writerow([_("Day"), HEADERS["views"], _("Visitors"), _("Conversions")])
            for point in figures.day_series(period.start, period.end, self.scope):
                writer.writerow(
                    [point.day.isoformat(), point.views, point.visitors, point.conversions]
                )
            return response
        rows = _tables(period, self.scope, wanted={table})[table]
        if table == "newsletters":
            _write_newsletters(writer, rows)
            return response
        labels = {"referrers": referrer_label, "campaigns": campaign_label}
        if self.scope.money:
            header = list(HEADERS.values())
        else:
            header = [
                *list(HEADERS.values())[:5],
                HEADERS["monthly"],
                HEADERS["gifts"],
                HEADERS["orders"],
            ]
        writer.writerow(header)
        for row in rows:
            if table in labels:
                row.label = labels[table](row.key)
            writer.writerow([spreadsheet_safe(value) for value in _csv_row(row, self.scope.money)])
        return response


NEWSLETTER_HEADERS = (
    _("Campaign"),
    _("Sent"),
    _("Deliveries"),
    _("Clicks (when counted)"),
    *list(HEADERS.values())[1:3],
    *list(HEADERS.values())[4:],
)


def _write_newsletters(writer, campaigns):
    writer.writerow(NEWSLETTER_HEADERS)
    for campaign in campaigns:
        conversions = campaign.conversions
        writer.writerow(
            [
                spreadsheet_safe(value)
                for value in (
                    campaign.name or campaign_label((campaign.campaign_id, "", "", "")),
                    campaign.sent_at.date().isoformat() if campaign.sent_at else "",
                    campaign.deliveries,
                    campaign.clicks if campaign.clicks_counted else "",
                    campaign.views,
                    campaign.visitors,
                    conversions.signups,
                    conversions.monthly,
                    conversions.monthly_amount,
                    conversions.gifts,
                    conversions.gifts_amount,
                    conversions.orders,
                    conversions.revenue,
                )
            ]
        )
