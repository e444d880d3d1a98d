"""Fixtures for the outage tests: the site's cache on a real Redis reached through a proxy
the test can cut (``redis_proxy``), and a direct line to that Redis to look inside."""

import pytest

from masthead.core import resilient_cache
from masthead.settings import cache_from_url
from tests.redis_lanes import REDIS_HOST, REDIS_PORT, redis_db
from tests.resilience.proxy import TcpProxy, is_listening

# A database of its own (per test lane), emptied before and after each test.
REDIS_DB = redis_db("resilience")


@pytest.fixture
def redis_direct():
    """A client straight to the test's Redis database (not through the proxy)."""
    if not is_listening(REDIS_HOST, REDIS_PORT):
        pytest.skip(f"Redis is not running at {REDIS_HOST}:{REDIS_PORT}: the outage tests need one")
    import redis

    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def redis_proxy(settings, redis_direct, monkeypatch):
    """The site's cache and sessions on Redis, through a proxy: ``stop()`` it for an
    outage, ``start()`` it for the recovery. Retries come every 0.3 s instead of 5."""
    proxy = TcpProxy(REDIS_HOST, REDIS_PORT).start()
    monkeypatch.setattr(resilient_cache, "RETRY_SECONDS", 0.3)
    settings.CACHES = {"default": cache_from_url(f"redis://{proxy.address}/{REDIS_DB}")}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    yield proxy
    proxy.stop()
