"""The dashboards' figures, exact on a small fixture: two articles' views and conversions
over a range (days and conversions outside it, or not completed, left out), a newsletter
campaign with the deliveries and clicks the newsletter registers, referrers, UTM
campaigns, totals and the day-by-day series."""

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from masthead.audience import reports
from masthead.audience.models import CampaignDay, Conversion, PageDay, ReferrerDay
from masthead.newsletter.models import Campaign, CampaignLinkClick, Delivery, Newsletter

pytestmark = pytest.mark.django_db

START = date(2026, 11, 2)
END = date(2026, 11, 3)
BRIDGE, MARKET = 101, 102
K = Conversion.Kind


def at(day, hour=12):
    return datetime.combine(day, time(hour), tzinfo=timezone.get_current_timezone())


def convert(kind, reference, amount=0, completed=START, **fields):
    return Conversion.objects.create(
        kind=kind,
        source="test",
        reference=reference,
        started_at=at(START, 1),
        completed_at=at(completed) if completed else None,
        amount=amount,
        currency="" if kind == K.SIGNUP else "GBP",
        **fields,
    )


@pytest.fixture
def figures():
    newsletter = Newsletter.objects.create(name="Daily", slug="daily", count_clicks=True)
    campaign = Campaign.objects.create(subject="Bridge news", started_at=at(START, 7))
    campaign.newsletters.add(newsletter)
    for sent in (True, True, True, False):
        Delivery.objects.create(campaign=campaign, sent_at=at(START, 7) if sent else None)
    CampaignLinkClick.objects.create(campaign=campaign, url="http://testserver/a/", clicks=4)
    CampaignLinkClick.objects.create(campaign=campaign, url="http://testserver/b/", clicks=1)

    day_before = START - timedelta(days=1)
    for day, path, page_id, views, visitors, reads in [
        (START, "/news/bridge/", BRIDGE, 10, 7, 3),
        (END, "/news/bridge/", BRIDGE, 5, 4, 1),
        (START, "/news/market/", MARKET, 20, 15, 0),
        (END, "/", None, 50, 30, 0),
        (day_before, "/news/bridge/", BRIDGE, 100, 90, 9),
    ]:
        PageDay.objects.create(
            day=day, path=path, page_id=page_id, views=views, visitors=visitors, reads=reads
        )
    ReferrerDay.objects.create(
        day=START, referrer="Google", referrer_kind="search", views=8, visitors=6
    )
    ReferrerDay.objects.create(
        day=END, referrer="Google", referrer_kind="search", views=2, visitors=2
    )
    ReferrerDay.objects.create(
        day=START, referrer="", referrer_kind="internal", views=40, visitors=20
    )
    CampaignDay.objects.create(day=START, campaign_id=campaign.pk, views=12, visitors=9)
    CampaignDay.objects.create(
        day=END,
        utm_source="partner",
        utm_medium="email",
        utm_campaign="spring",
        views=4,
        visitors=3,
    )

    convert(
        K.SIGNUP, "s1", article_id=BRIDGE, campaign_id=campaign.pk, entry_referrer_kind="newsletter"
    )
    convert(
        K.MONTHLY,
        "m1",
        1000,
        completed=END,
        article_id=BRIDGE,
        entry_referrer="Google",
        entry_referrer_kind="search",
    )
    convert(
        K.DONATION,
        "d1",
        2500,
        article_id=MARKET,
        utm_source="partner",
        utm_medium="email",
        utm_campaign="spring",
    )
    convert(
        K.ORDER,
        "o1",
        3000,
        article_id=BRIDGE,
        campaign_id=campaign.pk,
        entry_referrer_kind="newsletter",
    )
    convert(K.DONATION, "unpaid", 9999, completed=None, article_id=BRIDGE)
    convert(K.DONATION, "later", 7777, completed=END + timedelta(days=1), article_id=BRIDGE)
    convert(K.DONATION, "euro", 500, article_id=MARKET)
    Conversion.objects.filter(reference="euro").update(currency="EUR")
    return campaign


def test_per_article_figures(figures):
    market, bridge = reports.article_figures(START, END, currency="GBP")

    assert (bridge.page_id, bridge.views, bridge.visitors, bridge.reads) == (BRIDGE, 15, 11, 4)
    assert bridge.conversions == reports.ConversionFigures(
        signups=1, monthly=1, monthly_amount=1000, orders=1, revenue=3000
    )
    assert (market.page_id, market.views, market.visitors, market.reads) == (MARKET, 20, 15, 0)
    assert market.conversions == reports.ConversionFigures(gifts=1, gifts_amount=2500)
    # Most viewed first: the market story had 20 views in the range, the bridge story 15.
    assert [item.page_id for item in reports.article_figures(START, END)] == [MARKET, BRIDGE]
    # Every currency when none is asked: the euro gift is in too.
    market_all = reports.article_figures(START, END, page_ids=[MARKET])
    assert [(item.page_id, item.conversions.gifts_amount) for item in market_all] == [
        (MARKET, 3000)
    ]
    assert reports.article_figures(START, END, limit=1)[0].page_id == MARKET


def test_per_campaign_figures_with_the_newsletters_deliveries_and_clicks(figures):
    [campaign] = reports.campaign_figures(START, END, currency="GBP")

    assert campaign.campaign_id == figures.pk
    assert campaign.name == "Bridge news"
    assert (campaign.deliveries, campaign.clicks, campaign.clicks_counted) == (3, 5, True)
    assert (campaign.views, campaign.visitors) == (12, 9)
    assert campaign.conversions == reports.ConversionFigures(signups=1, orders=1, revenue=3000)


def test_referrers_utm_totals_and_series(figures):
    google, *others = reports.top_referrers(START, END, currency="GBP")
    assert [(item.referrer, item.referrer_kind, item.views) for item in others] == [
        ("", "newsletter", 0)
    ]
    newsletter_visits = [
        item for item in reports.top_referrers(START, END) if item.referrer_kind == "newsletter"
    ]
    assert (google.referrer, google.referrer_kind, google.views, google.visitors) == (
        "Google",
        "search",
        10,
        8,
    )
    assert google.conversions == reports.ConversionFigures(monthly=1, monthly_amount=1000)
    assert [item.conversions.signups for item in newsletter_visits] == [1]

    [utm] = reports.top_utm_campaigns(START, END)
    assert (utm.utm_source, utm.utm_campaign, utm.views, utm.visitors) == (
        "partner",
        "spring",
        4,
        3,
    )
    assert utm.conversions == reports.ConversionFigures(gifts=1, gifts_amount=2500)

    total = reports.totals(START, END, currency="GBP")
    assert (total.views, total.visitors, total.reads) == (85, 56, 4)
    assert total.conversions == reports.ConversionFigures(
        signups=1,
        monthly=1,
        monthly_amount=1000,
        gifts=1,
        gifts_amount=2500,
        orders=1,
        revenue=3000,
    )
    assert total.conversions.money == 6500

    first, second = reports.daily_series(START, END, currency="GBP")
    assert (first.day, first.views, first.visitors, first.reads) == (START, 30, 22, 3)
    assert (second.day, second.views, second.visitors, second.reads) == (END, 55, 34, 1)
    assert first.conversions.signups == 1 and first.conversions.revenue == 3000
    assert second.conversions == reports.ConversionFigures(monthly=1, monthly_amount=1000)


def test_an_empty_range_is_zeros_and_a_backwards_one_is_refused(figures):
    quiet = date(2026, 1, 5)
    assert reports.article_figures(quiet, quiet) == []
    assert reports.totals(quiet, quiet) == reports.Totals()
    assert [day.views for day in reports.daily_series(quiet, quiet + timedelta(days=2))] == [
        0,
        0,
        0,
    ]
    with pytest.raises(ValueError):
        reports.totals(END, START)
    with pytest.raises(TypeError):
        reports.totals(at(START), END)
