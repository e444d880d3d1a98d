"""Roll-ups are exact against the raw hits (a property test with random hits), re-running
them changes nothing, late hits are taken in, and raw hits go after AUDIENCE_RAW_DAYS while
their roll-ups stay."""

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import connection

from masthead.audience.models import CampaignDay, Hit, PageDay, PageHour, ReferrerDay
from masthead.audience.retention import delete_old_hits
from masthead.audience.rollup import MARK_KEY, roll_up_new_hits

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 1, tzinfo=UTC)
PATHS = ["/", "/news/", "/news/bridge/", "/news/flood/", "/support/"]
REFERRERS = [
    ("", "direct"),
    ("", "internal"),
    ("Google", "search"),
    ("Bluesky", "social"),
    ("example.org", "other"),
]
CAMPAIGNS = [
    (None, "", "", ""),
    (7, "", "", ""),
    (None, "fedi", "social", "spring"),
    (7, "a", "", ""),
]


@pytest.fixture(autouse=True)
def no_rollup_mark():
    """The mark is in the cache, which outlives each test's database."""
    cache.delete(MARK_KEY)
    yield
    cache.delete(MARK_KEY)


def random_hits(rng, count, days=4):
    visitors = [f"{number:032x}" for number in range(25)] + [""]
    hits = []
    for _ in range(count):
        referrer, kind_of_referrer = rng.choice(REFERRERS)
        campaign_id, source, medium, campaign = rng.choice(CAMPAIGNS)
        hits.append(
            Hit(
                at=START + timedelta(seconds=rng.randrange(days * 86400)),
                kind=rng.choice(["view", "view", "view", "read"]),
                site_id=rng.choice([1, 1, 1, 2]),
                path=rng.choice(PATHS),
                visitor=rng.choice(visitors),
                referrer=referrer,
                referrer_kind=kind_of_referrer,
                campaign_id=campaign_id,
                utm_source=source,
                utm_medium=medium,
                utm_campaign=campaign,
            )
        )
    return hits


def expected_rollups(hits):
    """The roll-ups computed in Python from the hits, as the tables should hold them."""
    pages_hourly = defaultdict(lambda: [0, set(), 0])
    pages_daily = defaultdict(lambda: [0, set(), 0])
    referrers = defaultdict(lambda: [0, set()])
    campaigns = defaultdict(lambda: [0, set()])
    for hit in hits:
        hour = hit.at.replace(minute=0, second=0, microsecond=0)
        for figures in (
            pages_hourly[(hour, hit.site_id, hit.path)],
            pages_daily[(hit.at.date(), hit.site_id, hit.path)],
        ):
            if hit.kind == "read":
                figures[2] += 1
                continue
            figures[0] += 1
            if hit.visitor:
                figures[1].add(hit.visitor)
        if hit.kind != "view":
            continue
        buckets = [referrers[(hit.at.date(), hit.site_id, hit.referrer, hit.referrer_kind)]]
        if hit.campaign_id or hit.utm_source or hit.utm_medium or hit.utm_campaign:
            key = (hit.at.date(), hit.site_id, hit.campaign_id or 0, hit.utm_source)
            buckets.append(campaigns[(*key, hit.utm_medium, hit.utm_campaign)])
        for figures in buckets:
            figures[0] += 1
            if hit.visitor:
                figures[1].add(hit.visitor)

    def counted(table):
        return {
            key: tuple(len(value) if isinstance(value, set) else value for value in figures)
            for key, figures in table.items()
        }

    return counted(pages_hourly), counted(pages_daily), counted(referrers), counted(campaigns)


def stored_rollups():
    return (
        {
            (row.hour, row.site_id, row.path): (row.views, row.visitors, row.reads)
            for row in PageHour.objects.all()
        },
        {
            (row.day, row.site_id, row.path): (row.views, row.visitors, row.reads)
            for row in PageDay.objects.all()
        },
        {
            (row.day, row.site_id, row.referrer, row.referrer_kind): (row.views, row.visitors)
            for row in ReferrerDay.objects.all()
        },
        {
            (
                row.day,
                row.site_id,
                row.campaign_id,
                row.utm_source,
                row.utm_medium,
                row.utm_campaign,
            ): (row.views, row.visitors)
            for row in CampaignDay.objects.all()
        },
    )


def test_rollups_equal_the_raw_hits_and_rerunning_changes_nothing():
    rng = random.Random(13)  # noqa: S311  (a fixed seed: reproducible)
    hits = Hit.objects.bulk_create(random_hits(rng, 400))

    roll_up_new_hits()
    first = stored_rollups()

    assert first == expected_rollups(hits)
    assert sum(views for views, _visitors, _reads in first[1].values()) == sum(
        hit.kind == "view" for hit in hits
    )
    cache.delete(MARK_KEY)
    roll_up_new_hits()
    assert stored_rollups() == first
    roll_up_new_hits()
    assert stored_rollups() == first


def test_hits_arriving_later_are_rolled_up_into_their_days_exactly():
    rng = random.Random(31)  # noqa: S311
    hits = Hit.objects.bulk_create(random_hits(rng, 200))
    roll_up_new_hits()

    later = Hit.objects.bulk_create(random_hits(rng, 150, days=2))
    roll_up_new_hits()

    assert stored_rollups() == expected_rollups(hits + later)


def test_raw_hits_go_after_their_retention_and_their_rollups_stay(settings):
    settings.AUDIENCE_RAW_DAYS = 30
    now = datetime(2026, 5, 10, 12, tzinfo=UTC)
    old = Hit.objects.create(at=now - timedelta(days=31), path="/news/", visitor="a" * 32)
    kept = Hit.objects.create(at=now - timedelta(days=29), path="/news/", visitor="b" * 32)
    roll_up_new_hits()

    assert delete_old_hits(now) == 1

    assert list(Hit.objects.values_list("id", flat=True)) == [kept.id]
    assert PageDay.objects.filter(day=old.at.date(), views=1, visitors=1).exists()
    assert delete_old_hits(now) == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_on_postgresql_days_rolled_up_by_several_connections_are_as_exact(settings):
    if connection.vendor != "postgresql":
        pytest.skip("Days are rolled up on several connections only on PostgreSQL")
    settings.AUDIENCE_ROLLUP_THREADS = 3
    rng = random.Random(29)  # noqa: S311  (a fixed seed: reproducible)
    hits = Hit.objects.bulk_create(random_hits(rng, 300, days=6))

    roll_up_new_hits()

    assert stored_rollups() == expected_rollups(hits)
