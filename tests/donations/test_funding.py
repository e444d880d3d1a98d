"""Where the money goes: a month's costs against readers' income (net of refunds), the
percentage covered, supporters, and the 12-month chart as well-formed, accessible SVG."""

import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone
from wagtail.contrib.settings.context_processors import SettingProxy

from masthead.donations import svg
from masthead.donations.funding import (
    MonthPoint,
    add_months,
    funding_series,
    month_funding,
    month_start,
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
