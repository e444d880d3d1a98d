"""``{% day %}``: a moment as a ``<time>`` element showing its day, as the date filters
would write it, in the current time zone."""

import datetime
import zoneinfo

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.utils import timezone, translation

FILTERS = (
    "{% if moment %}<time datetime=\"{{ moment|date:'c' }}\">"
    '{{ moment|date:"j F Y" }}</time>{% endif %}'
)
TAG = "{% load masthead_tags %}{% day moment %}"

MOMENTS = [
    datetime.datetime(2026, 12, 4, 23, 30, 5, 120, tzinfo=datetime.UTC),  # 5 Dec in Tokyo
    datetime.datetime(999, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
    datetime.datetime(2026, 6, 30, 23, 59, tzinfo=zoneinfo.ZoneInfo("Europe/London")),
    None,
]


@pytest.mark.parametrize("moment", MOMENTS)
@pytest.mark.parametrize("zone", ["Europe/London", "Asia/Tokyo", "UTC"])
@pytest.mark.parametrize("language", ["en-gb", "fr"])
def test_day_writes_what_the_date_filters_write(moment, zone, language):
    with timezone.override(zone), translation.override(language):
        expected = Template(FILTERS).render(Context({"moment": moment}))
        written = Template(TAG).render(Context({"moment": moment}))
    assert written == expected
    if moment is not None:
        assert written.startswith('<time datetime="')


@override_settings(USE_TZ=False)
def test_day_leaves_a_naive_moment_as_it_is():
    moment = datetime.datetime(2026, 3, 9, 8, 0)
    written = Template(TAG).render(Context({"moment": moment}))
    assert written == '<time datetime="2026-03-09T08:00:00">9 March 2026</time>'


def test_a_remembered_day_is_never_written_for_another_zone_or_setting():
    """The tag remembers what it wrote, per moment, the moment's own zone, the current zone,
    the language and USE_TZ: the same moment is written afresh when any of them differs."""
    moment = datetime.datetime(2026, 12, 4, 23, 30, tzinfo=datetime.UTC)
    same_in_tokyo = moment.astimezone(zoneinfo.ZoneInfo("Asia/Tokyo"))
    assert same_in_tokyo == moment  # equal moments, and equal as keys

    def written(value):
        return Template(TAG).render(Context({"moment": value}))

    for _ in range(2):  # the second time from what was remembered
        with timezone.override("UTC"):
            assert ">4 December 2026<" in written(moment)
            assert ">4 December 2026<" in written(same_in_tokyo)
        with timezone.override("Asia/Tokyo"):
            assert ">5 December 2026<" in written(moment)
        with override_settings(USE_TZ=False):
            # Not converted: each is written in its own zone.
            assert written(moment) == (
                '<time datetime="2026-12-04T23:30:00+00:00">4 December 2026</time>'
            )
            assert written(same_in_tokyo) == (
                '<time datetime="2026-12-05T08:30:00+09:00">5 December 2026</time>'
            )
