"""The Audience area of the admin: each period and a custom range (a bad one refused with
its reason), the tables and their CSV exports, the charts, who sees what (Editors and
Administrators everything, a Contributor their own articles without money, nobody signed
out), and that the dashboard reads the roll-ups, not the raw hits."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from masthead.audience.models import CampaignDay, Conversion, Hit, PageDay, ReferrerDay
from masthead.newsletter.models import Campaign
from masthead.publishing.roles import ADMINISTRATORS, CONTRIBUTORS, EDITORS
from tests.publishing.factories import make_article, make_author, make_site_tree

pytestmark = pytest.mark.django_db

DASHBOARD = "audience_dashboard"


def make_user(username, group_name):
    user = User.objects.create_user(username, f"{username}@newsroom.test", "pw")
    user.groups.add(Group.objects.get(name=group_name))
    return user


def page_day(article, days_ago, views, visitors=0, reads=0):
    PageDay.objects.create(
        day=timezone.localdate() - timedelta(days=days_ago),
        path=article.url_path,
        page_id=article.pk,
        views=views,
        visitors=visitors,
        reads=reads,
    )


def conversion(article, kind, amount=0, days_ago=0, reference=None, **fields):
    moment = timezone.now() - timedelta(days=days_ago)
    return Conversion.objects.create(
        kind=kind,
        source="tests.Thing",
        reference=reference or f"{article.pk}-{kind}-{days_ago}-{amount}",
        started_at=moment,
        completed_at=moment,
        amount=amount,
        currency="GBP" if amount else "",
        article_id=article.pk,
        **fields,
    )


@pytest.fixture
def newsroom():
    """Two articles: one written by the contributor "casey", one by someone else, with
    figures today, 5 days ago, 40 days ago and 100 days ago."""
    tree = make_site_tree()
    briefing = Campaign.objects.create(
        subject="Friday briefing",
        status=Campaign.Status.SENT,
        started_at=timezone.now() - timedelta(days=41),
    )
    casey = make_user("casey", CONTRIBUTORS)
    casey_byline = make_author(tree.author_index, name="Casey Jones", user=casey)
    other_byline = make_author(tree.author_index, name="Robin Other")
    own = make_article(tree.section, [casey_byline], title="Flood defences by Casey")
    other = make_article(
        tree.section, [other_byline], title='=HYPERLINK("http://evil.example")', slug="other"
    )
    page_day(own, 0, 10, visitors=7, reads=3)
    page_day(own, 5, 20, visitors=15, reads=4)
    page_day(other, 40, 100, visitors=80, reads=9)
    page_day(own, 100, 1000, visitors=900, reads=99)
    conversion(own, Conversion.Kind.SIGNUP, entry_referrer="Google", entry_referrer_kind="search")
    conversion(own, Conversion.Kind.MONTHLY, amount=500, days_ago=5)
    conversion(own, Conversion.Kind.DONATION, amount=2500, days_ago=5)
    conversion(other, Conversion.Kind.ORDER, amount=3000, days_ago=40, campaign_id=briefing.pk)
    # Started, never paid: not counted.
    Conversion.objects.create(
        kind=Conversion.Kind.DONATION,
        source="tests.Thing",
        reference="unpaid",
        started_at=timezone.now(),
        amount=9900,
        currency="GBP",
        article_id=own.pk,
    )
    ReferrerDay.objects.create(
        day=timezone.localdate(), referrer="Google", referrer_kind="search", views=6, visitors=5
    )
    CampaignDay.objects.create(
        day=timezone.localdate() - timedelta(days=40),
        campaign_id=briefing.pk,
        views=40,
        visitors=30,
    )
    return {"own": own, "other": other, "casey": casey, "tree": tree, "briefing": briefing}


@pytest.fixture
def as_editor(client):
    client.force_login(make_user("edie", EDITORS))
    return client


def figure(response, name):
    html = response.content.decode()
    marker = f'data-figure="{name}">'
    start = html.index(marker) + len(marker)
    return html[start : html.index("<", start)]


def test_each_period_adds_up_its_own_days(newsroom, as_editor):
    for period, views, money in [
        ("today", "10", "£0.00"),
        ("7", "30", "£30.00"),
        ("30", "30", "£30.00"),
        ("90", "130", "£60.00"),
    ]:
        response = as_editor.get(reverse(DASHBOARD), {"period": period})
        assert response.status_code == 200
        assert (figure(response, "views"), figure(response, "money")) == (views, money), period


def test_a_custom_range_counts_only_its_days(newsroom, as_editor):
    start = timezone.localdate() - timedelta(days=41)
    end = timezone.localdate() - timedelta(days=4)
    response = as_editor.get(
        reverse(DASHBOARD), {"period": "custom", "start": start.isoformat(), "end": end.isoformat()}
    )
    assert response.status_code == 200
    assert figure(response, "views") == "120"
    assert figure(response, "visitors") == "95"
    assert figure(response, "gifts") == "1"
    assert figure(response, "monthly") == "1"
    assert figure(response, "orders") == "1"
    assert figure(response, "signups") == "0"


def test_a_bad_range_is_refused_with_its_reason(newsroom, as_editor):
    today = timezone.localdate()
    for start, end, message in [
        (5, 10, "The first day must not be after the last day."),
        (3, -1, "The range cannot end after today."),
        (400, 0, "A range can be at most 366 days long."),
        (None, 0, "Give both the first and the last day of the range."),
    ]:
        query = {"period": "custom", "end": (today - timedelta(days=end)).isoformat()}
        if start is not None:
            query["start"] = (today - timedelta(days=start)).isoformat()
        response = as_editor.get(reverse(DASHBOARD), query)
        assert response.status_code == 400
        assert message in response.content.decode()
        assert 'data-figure="views"' not in response.content.decode()
        export = as_editor.get(reverse("audience_export", args=["articles"]), query)
        assert (export.status_code, export.content.decode()) == (400, message)


def test_a_date_that_is_not_a_date_is_refused(as_editor):
    response = as_editor.get(
        reverse(DASHBOARD), {"period": "custom", "start": "yesterday", "end": "2026-13-40"}
    )
    assert response.status_code == 400
    assert "Enter a valid date." in response.content.decode()
    export = as_editor.get(
        reverse("audience_export", args=["articles"]), {"period": "custom", "start": "x"}
    )
    assert export.status_code == 400


def test_tables_rank_articles_sections_authors_referrers_and_campaigns(newsroom, as_editor):
    response = as_editor.get(reverse(DASHBOARD), {"period": "90"})
    tables = response.context["tables"]
    assert [(row.label, row.views) for row in tables["articles"]] == [
        (newsroom["other"].title, 100),
        ("Flood defences by Casey", 30),
    ]
    own_row = tables["articles"][1]
    assert (own_row.conversions.signups, own_row.conversions.monthly) == (1, 1)
    assert (own_row.conversions.monthly_amount, own_row.conversions.gifts_amount) == (500, 2500)
    assert [(row.label, row.views) for row in tables["sections"]] == [("News", 130)]
    assert [(row.label, row.views) for row in tables["authors"]] == [
        ("Robin Other", 100),
        ("Casey Jones", 30),
    ]
    # Conversions with no entry referrer came direct.
    assert [(row.label, row.views, row.conversions.count) for row in tables["referrers"]] == [
        ("Google", 6, 1),
        ("Direct", 0, 3),
    ]
    campaign = tables["campaigns"][0]
    assert (campaign.label, campaign.views, campaign.conversions.revenue) == (
        f"Newsletter campaign {newsroom['briefing'].pk}",
        40,
        3000,
    )
    # The newsletter's own figures: its name, and what its visits led to.
    [briefing] = tables["newsletters"]
    assert (briefing.name, briefing.views, briefing.conversions.orders) == (
        "Friday briefing",
        40,
        1,
    )
    assert "Friday briefing" in response.content.decode()


def test_charts_are_svg_with_one_bar_a_day_and_no_script(newsroom, as_editor):
    response = as_editor.get(reverse(DASHBOARD), {"period": "7"})
    html = response.content.decode()
    views_chart = str(response.context["views_chart"])
    assert views_chart.startswith("<svg") and 'role="img"' in views_chart
    assert views_chart.count("<rect") == 7
    assert "30 from" in views_chart  # the description gives the period's total
    assert "<script" not in views_chart
    assert str(response.context["conversions_chart"]).count("<rect") == 7
    assert views_chart in html


def read_csv(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.content.decode())))


EXPECTED_FIRST_ROWS = {
    "articles": [
        '\'=HYPERLINK("http://evil.example")',
        "100",
        "80",
        "9",
        "0",
        "0",
        "0",
        "0",
        "0",
        "1",
        "3000",
    ],
    "sections": ["News", "130", "102", "16", "1", "1", "500", "1", "2500", "1", "3000"],
    "authors": ["Robin Other", "100", "80", "9", "0", "0", "0", "0", "0", "1", "3000"],
    "referrers": ["Google", "6", "5", "0", "1", "0", "0", "0", "0", "0", "0"],
    "campaigns": [
        "Newsletter campaign {briefing}",
        "40",
        "30",
        "0",
        "0",
        "0",
        "0",
        "0",
        "0",
        "1",
        "3000",
    ],
}


def test_every_table_exports_as_csv_safe_for_spreadsheets(newsroom, as_editor):
    for table, first_row in EXPECTED_FIRST_ROWS.items():
        rows = read_csv(as_editor.get(reverse("audience_export", args=[table]), {"period": "90"}))
        assert rows[0][:2] == ["Name", "Views"]
        assert rows[1] == [cell.format(briefing=newsroom["briefing"].pk) for cell in first_row]
    rows = read_csv(
        as_editor.get(reverse("audience_export", args=["newsletters"]), {"period": "90"})
    )
    assert rows[0][:4] == ["Campaign", "Sent", "Deliveries", "Clicks (when counted)"]
    assert rows[1][0] == "Friday briefing"
    assert rows[1][2:] == ["0", "", "40", "30", "0", "0", "0", "0", "0", "1", "3000"]


def test_the_days_export_has_one_line_a_day(newsroom, as_editor):
    rows = read_csv(as_editor.get(reverse("audience_export", args=["days"]), {"period": "7"}))
    assert len(rows) == 1 + 7
    assert rows[-1] == [timezone.localdate().isoformat(), "10", "7", "1"]
    assert as_editor.get(reverse("audience_export", args=["people"])).status_code == 404


def test_administrators_see_everything_too(newsroom, client):
    client.force_login(make_user("ada", ADMINISTRATORS))
    response = client.get(reverse(DASHBOARD), {"period": "90"})
    assert figure(response, "views") == "130"
    assert figure(response, "money") == "£60.00"
    assert "referrers" in response.context["tables"]


def test_a_contributor_sees_their_own_articles_without_money(newsroom, client):
    client.force_login(newsroom["casey"])
    response = client.get(reverse(DASHBOARD), {"period": "90"})
    assert response.status_code == 200
    html = response.content.decode()
    assert figure(response, "views") == "30"
    assert "Flood defences by Casey" in html
    assert "evil.example" not in html
    assert 'data-figure="money"' not in html and "data-money" not in html
    assert 'data-figure="live"' not in html
    assert set(response.context["tables"]) == {"articles", "sections", "authors"}
    assert "Friday briefing" not in html
    rows = read_csv(client.get(reverse("audience_export", args=["articles"]), {"period": "90"}))
    assert len(rows) == 2 and rows[1][0] == "Flood defences by Casey"
    assert "Revenue (minor units)" not in rows[0]
    for table in ("referrers", "campaigns", "newsletters"):
        assert client.get(reverse("audience_export", args=[table])).status_code == 403


def test_another_contributor_sees_none_of_them(newsroom, client):
    client.force_login(make_user("sam", CONTRIBUTORS))
    response = client.get(reverse(DASHBOARD), {"period": "90"})
    assert response.status_code == 200
    assert figure(response, "views") == "0"
    assert "Flood defences by Casey" not in response.content.decode()


def test_signed_out_visitors_are_sent_to_sign_in(client):
    for url in (reverse(DASHBOARD), reverse("audience_export", args=["articles"])):
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("wagtailadmin_login") in response["Location"]


def test_live_now_counts_visitors_of_the_last_five_minutes(as_editor):
    now = timezone.now()
    for seconds, visitor, kind in [
        (10, "a", Hit.Kind.VIEW),
        (20, "a", Hit.Kind.VIEW),
        (30, "b", Hit.Kind.VIEW),
        (40, "", Hit.Kind.VIEW),
        (50, "", Hit.Kind.VIEW),
        (60, "c", Hit.Kind.READ),
        (6 * 60, "d", Hit.Kind.VIEW),
    ]:
        Hit.objects.create(
            at=now - timedelta(seconds=seconds), path="/", visitor=visitor, kind=kind
        )
    response = as_editor.get(reverse(DASHBOARD), {"period": "today"})
    # a and b, plus the two views with no visitor id (they asked not to be tracked).
    assert figure(response, "live") == "4"


def test_the_90_day_page_reads_roll_ups_not_raw_hits(newsroom, as_editor):
    with CaptureQueriesContext(connection) as queries:
        response = as_editor.get(reverse(DASHBOARD), {"period": "90"})
    assert response.status_code == 200
    raw = [query["sql"] for query in queries.captured_queries if "audience_hit" in query["sql"]]
    # Only "live now" looks at raw hits, and only at the last five minutes.
    assert len(raw) == 1
    # A fixed number of queries, whatever the number of days or hits.
    assert len(queries.captured_queries) < 50
