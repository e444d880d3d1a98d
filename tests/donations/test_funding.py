"""Where the money goes: a month's costs against readers' income (net of refunds), the
percentage covered, supporters, and the 12-month chart as well-formed, accessible SVG."""

import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone
from wagtail.contrib.settings.context_processors import SettingProxy

from masthead.core.funding import IncomeSource
from masthead.donations import funding, svg
from masthead.donations.funding import (
    MonthPoint,
    SupporterMonth,
    add_months,
    funding_series,
    month_funding,
    month_start,
    supporters_report,
)
from masthead.donations.models import (
    CostCategory,
    Donation,
    FundingGoal,
    MonthlyCost,
    RecurringDonation,
)

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


def paid(amount, when=None, refunded=0, kind="one_off", status="paid"):
    return Donation.objects.create(
        kind=kind,
        amount=amount,
        refunded_amount=refunded,
        email="giver@example.org",
        provider="demo",
        status=status,
        paid_at=when or timezone.now(),
    )


def cost(name, amount, month=None, note=""):
    return MonthlyCost.objects.create(
        month=month or timezone.localdate(),
        category=CostCategory.objects.get(name=name),
        amount=amount,
        note=note,
    )


def test_the_cost_categories_are_seeded_in_order():
    assert list(CostCategory.objects.values_list("name", flat=True)) == [
        "Hosting",
        "Website subscriptions",
        "Photo media subscriptions",
        "Newswire services",
        "Marketing",
        "Other",
    ]


def test_a_months_figures_count_paid_gifts_net_of_refunds_and_nothing_else():
    cost("Hosting", 12_000)
    cost("Newswire services", 28_000, note="Two agencies")
    paid(10_000)
    paid(5_000, refunded=2_000)
    paid(3_000, refunded=3_000, status="refunded")
    paid(9_999, status="failed")
    Donation.objects.create(kind="one_off", amount=7_000, email="x@example.org", provider="demo")
    paid(50_000, when=timezone.now() - timedelta(days=70))
    RecurringDonation.objects.create(
        email="a@example.org", amount=500, provider="demo", status="active"
    )
    RecurringDonation.objects.create(
        email="b@example.org", amount=500, provider="demo", status="cancelled"
    )

    funding = month_funding()

    assert funding.costs == 40_000
    assert funding.income == 13_000
    assert (funding.percent, funding.bar_percent) == (32, 32)
    assert [(line.category, line.amount, line.note) for line in funding.cost_lines] == [
        ("Hosting", 12_000, ""),
        ("Newswire services", 28_000, "Two agencies"),
    ]
    assert funding.monthly_supporters == 1
    assert funding.gifts == 3


def test_a_goal_replaces_costs_as_the_target_and_the_bar_stops_at_full():
    cost("Hosting", 10_000)
    FundingGoal.objects.create(month=timezone.localdate(), amount=20_000)
    paid(50_000)

    funding = month_funding()

    assert (funding.target, funding.percent, funding.bar_percent) == (20_000, 250, 100)


def test_a_month_with_no_costs_has_no_percentage():
    funding = month_funding()

    assert (funding.costs, funding.percent, funding.bar_percent) == (0, None, 0)


def test_the_series_has_twelve_months_oldest_first_with_costs_and_income():
    this_month = month_start()
    cost("Hosting", 9_000, month=add_months(this_month, -11))
    cost("Hosting", 12_000)
    paid(4_000)

    series = funding_series(12)

    assert len(series) == 12
    assert series[0].month == add_months(this_month, -11)
    assert series[-1].month == this_month
    assert (series[0].costs, series[0].income) == (9_000, 0)
    assert (series[-1].costs, series[-1].income) == (12_000, 4_000)


def test_costs_are_stored_on_the_first_of_their_month():
    line = cost("Marketing", 100, month=date(2025, 3, 17))

    assert line.month == date(2025, 3, 1)


def test_the_chart_is_well_formed_svg_with_a_title_a_description_and_labels():
    points = [MonthPoint(date(2025, month, 1), 10_000, month * 1_000) for month in range(1, 13)]

    root = ET.fromstring(str(svg.funding_chart(points, "GBP")))  # noqa: S314 - our own markup

    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Costs and readers' income, month by month"
    description = root.find(f"{SVG}desc").text
    assert "December 2025: costs £100.00, readers gave £120.00." in description
    bars = root.findall(f"{SVG}rect[@class='funding-chart__income']")
    assert len(bars) == 12
    heights = [float(bar.get("height")) for bar in bars]
    assert heights == sorted(heights) and heights[-1] > heights[0] > 0
    labels = [text.text for text in root.iter(f"{SVG}text")]
    assert "Jan" in labels and "Dec" in labels


def test_the_chart_copes_with_no_data():
    root = ET.fromstring(str(svg.funding_chart([], "GBP")))  # noqa: S314 - our own markup

    assert root.find(f"{SVG}desc").text == "No figures yet."


def test_the_funding_page_shows_the_figures_and_is_never_cached(client, outlet):
    cost("Hosting", 20_000)
    paid(5_000)

    first = client.get("/funding/")
    paid(5_000)
    second = client.get("/funding/")

    html = second.content.decode()
    assert first.status_code == second.status_code == 200
    assert "X-Cache" not in second
    assert "no-cache" in second["Cache-Control"]
    assert "50% of this month's costs covered by readers" in html
    assert "£100.00" in html
    assert "<svg" in html and "Hosting" in html


def test_the_funding_bar_include_shows_the_percentage_and_hides_without_costs():
    template = Template('{% include "donations/includes/funding_bar.html" %}')
    context = Context({"request": RequestFactory().get("/")})
    assert template.render(context).strip() == ""

    cost("Hosting", 10_000)
    paid(2_500)

    html = template.render(context)
    assert "25% of this month's costs covered by readers" in html
    assert '<progress class="funding-bar__meter" max="100" value="25"' in html


def test_the_donate_prompt_include_links_to_the_donate_page_with_amounts(client, outlet):
    request = RequestFactory().get("/")
    request.site = outlet.site
    template = Template('{% include "donations/includes/donate_prompt.html" %}')

    html = template.render(Context({"request": request, "settings": SettingProxy(request)}))

    assert 'action="/support/"' in html
    assert 'name="amount" value="500"' in html
    assert "£5.00" in html
    assert "Support independent journalism" in html


def test_income_is_counted_in_the_month_it_was_paid_in_local_time():
    zone = timezone.get_current_timezone()
    paid(1_000, when=datetime(2025, 6, 30, 23, 30, tzinfo=zone))
    paid(2_000, when=datetime(2025, 7, 1, 0, 30, tzinfo=zone))

    assert month_funding(date(2025, 6, 1)).income == 1_000
    assert month_funding(date(2025, 7, 1)).income == 2_000


def local(year, month, day, hour=12, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=timezone.get_current_timezone())


@pytest.fixture
def no_other_income(monkeypatch):
    """Only readers' gifts count: no other app's income source is asked."""
    monkeypatch.setattr(funding, "income_sources", list)


@pytest.fixture
def a_year_of_figures():
    """Costs, gifts and supporters spread over 2025, with a gift either side of midnight at
    the turn of June (British Summer Time) and a refund."""
    for month in range(1, 13):
        cost("Hosting", 1_000 * month, month=date(2025, month, 1))
        paid(100 * month, when=local(2025, month, 10))
    paid(7, when=local(2025, 6, 30, 23, 30))
    paid(11, when=local(2025, 7, 1, 0, 30), kind="monthly")
    paid(5_000, when=local(2025, 3, 3), refunded=5_000, status="refunded")
    for started, cancelled in [(2, None), (2, 5), (7, None)]:
        RecurringDonation.objects.create(
            email=f"s{started}{cancelled}@example.org",
            amount=500,
            provider="demo",
            status="cancelled" if cancelled else "active",
            started_at=local(2025, started, 1, 0, 30),
            cancelled_at=local(2025, cancelled, 28) if cancelled else None,
        )


def test_the_chart_counts_each_month_in_local_time_with_one_query_per_table(
    a_year_of_figures, no_other_income, django_assert_num_queries
):
    with django_assert_num_queries(2):
        series = funding_series(12, date(2025, 12, 1), "GBP")

    assert [(point.month.month, point.costs, point.income) for point in series][5:8] == [
        (6, 6_000, 607),
        (7, 7_000, 711),
        (8, 8_000, 800),
    ]
    assert series[2] == MonthPoint(date(2025, 3, 1), 3_000, 300)
    with django_assert_num_queries(2):
        assert len(funding_series(36, date(2025, 12, 1), "GBP")) == 36


def test_the_chart_adds_other_income_sources_month_by_month(a_year_of_figures, monkeypatch):
    asked = []

    def shop_margin(start, end, currency):
        asked.append((start, end, currency))
        return {date(2025, month, 1): 50 for month in range(1, 13)}

    shop = IncomeSource("shop", "Shop margin", shop_margin)
    monkeypatch.setattr(funding, "income_sources", lambda: [shop])

    series = funding_series(12, date(2025, 12, 1), "GBP")

    assert asked == [(local(2025, 1, 1, 0), local(2026, 1, 1, 0), "GBP")]

    assert [point.income for point in series] == [
        150,
        250,
        350,
        450,
        550,
        657,
        761,
        850,
        950,
        1_050,
        1_150,
        1_250,
    ]


def test_the_chart_asks_every_registered_income_source_once_however_many_months(
    a_year_of_figures, django_assert_num_queries
):
    sources = len(funding.income_sources())
    assert sources >= 1
    with django_assert_num_queries(2 + sources):
        funding_series(12, date(2025, 12, 1), "GBP")
    with django_assert_num_queries(2 + sources):
        funding_series(36, date(2025, 12, 1), "GBP")


def test_the_supporters_report_groups_by_month_with_one_query_per_table(
    a_year_of_figures, django_assert_num_queries
):
    with django_assert_num_queries(3):
        rows = supporters_report(12, date(2025, 12, 1), "GBP")

    assert len(rows) == 12
    assert rows[1] == SupporterMonth(date(2025, 2, 1), 200, 0, 2, 0)
    assert rows[4] == SupporterMonth(date(2025, 5, 1), 500, 0, 0, 1)
    assert rows[5] == SupporterMonth(date(2025, 6, 1), 607, 0, 0, 0)
    assert rows[6] == SupporterMonth(date(2025, 7, 1), 711, 11, 1, 0)
    with django_assert_num_queries(3):
        assert len(supporters_report(36, date(2025, 12, 1), "GBP")) == 36
