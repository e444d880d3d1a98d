"""The site configured for a Redis that is not there at all (a closed port): it serves
readers, says it is degraded, and refuses what must be limited. Runs without any Redis."""

import logging

import pytest
from django.core.cache import cache

from masthead.core import ratelimit, resilient_cache
from masthead.settings import cache_from_url
from tests.publishing.factories import make_site_tree
from tests.resilience.proxy import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def absent_redis(settings):
    settings.CACHES = {"default": cache_from_url(f"redis://:secret@127.0.0.1:{free_port()}/0")}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"


def test_pages_render_and_health_says_degraded_without_redis(client, absent_redis, caplog):
    tree = make_site_tree()

    with caplog.at_level(logging.WARNING, logger="masthead.core.resilient_cache"):
        pages = [client.get(tree.section.url) for _request in range(3)]
        health = client.get("/health/")

    assert [page.status_code for page in pages] == [200, 200, 200]
    assert health.status_code == 200
    assert health.json() == {"status": "degraded", "database": "ok", "cache": "unavailable"}
    warnings = [record.getMessage() for record in caplog.records]
    assert any("unreachable" in message for message in warnings)
    # The outage is named without the password the URL carries.
    assert not any("secret" in message for message in warnings)


def test_the_cache_answers_as_misses_and_strict_callers_are_told(absent_redis):
    assert cache.get("anything", "default") == "default"
    assert cache.set("anything", 1) is False
    assert cache.add("anything", 1) is False
    with pytest.raises(ValueError):
        cache.incr("anything")
    with pytest.raises(resilient_cache.CacheUnavailable), resilient_cache.strict():
        cache.get("anything")
    assert ratelimit.allow("no-redis", 5, 60, when_unavailable=ratelimit.ALLOW) is True
    with pytest.raises(ratelimit.LimitsUnavailable):
        ratelimit.allow("no-redis", 5, 60, when_unavailable=ratelimit.REFUSE)


def test_a_caller_must_say_what_an_unreachable_cache_means():
    with pytest.raises(ValueError, match="when_unavailable"):
        ratelimit.allow("no-redis", 5, 60, when_unavailable=True)
