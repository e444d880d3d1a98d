"""The shared cache (Redis) as something the site can live without for a while.

Redis holds what makes the site fast (whole pages, the page-cache generation, tag
versions), what limits abuse (rate-limit counters, sign-in lockouts) and a copy of the
sessions. Without this module a Redis outage raised in every request: every page answered
500 and each one emailed the admins. ``ResilientRedisCache`` (``CACHE_URL=redis://...``)
turns an unreachable Redis into misses and no-ops instead:

- A failed call marks the cache *unavailable* for ``RETRY_SECONDS`` (a circuit breaker,
  one per Redis server and process): during that time calls do not touch the network at
  all, so a request never waits for a timeout more than once every few seconds. Then one
  call tries again; when it succeeds the cache is used again, without a restart. The
  outage and the recovery are each logged once (a warning, never an email).
- Reads answer as misses (the default), writes do nothing and return what a refused write
  returns (``add`` False, ``incr`` ValueError as for a missing key), so callers that treat
  the cache as a cache need no change: pages render uncached, each process keeps serving
  the pages it holds in memory (``masthead.core.cache``), sessions are read from the
  database (``cached_db``).
- Callers for whom a miss is not an answer (a rate limit, a sign-in lockout) wrap their
  calls in ``with strict():`` and get ``CacheUnavailable`` instead, to refuse or allow
  deliberately (``masthead.core.ratelimit``).
- Keys whose write was lost during the outage (a new page-cache generation, a session that
  was signed out, a tag version) are remembered, and deleted once Redis answers again:
  otherwise Redis would serve their value from before the outage. Deleting is always safe
  for a cache; the next reader recomputes the value.
"""

import logging
import socket
import threading
import time
import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from urllib.parse import urlsplit

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django_redis.cache import RedisCache
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# How long a process leaves an unreachable Redis alone before trying it again.
RETRY_SECONDS = 5.0
# Connecting to Redis on the same network takes well under a millisecond, a command a few:
# anything this slow is an outage, better answered as a miss than waited for.
CONNECT_TIMEOUT_SECONDS = 0.5
COMMAND_TIMEOUT_SECONDS = 1.0
# How many keys whose write was lost are remembered, to be deleted on recovery.
MAX_LOST_WRITES = 10_000

# What django-redis raises (or re-raises) when Redis cannot be reached or refuses to work
# (a replica that became read-only, out of memory, still loading its data).
UNREACHABLE_ERRORS = (
    ConnectionInterrupted,
    RedisConnectionError,
    RedisTimeoutError,
    ResponseError,
    socket.timeout,
    OSError,
)


class CacheUnavailable(Exception):
    """The shared cache cannot be reached just now (raised only inside ``strict()``)."""


_strict = ContextVar("masthead_cache_strict", default=False)


@contextmanager
def strict():
    """Within the block, an unreachable shared cache raises ``CacheUnavailable`` instead of
    answering as a miss. Has no effect on caches that cannot become unreachable (memory,
    files)."""
    token = _strict.set(True)
    try:
        yield
    finally:
        _strict.reset(token)


class Breaker:
    """Whether one Redis server is worth asking, shared by every thread of the process.

    Django builds one cache object per thread, so the state lives here, one per server
    (see ``breaker_for``)."""

    def __init__(self, name):
        self.name = name
        self.lock = threading.Lock()
        self.down_since = None
        self.retry_at = 0.0
        self.lost_writes = {}
        self.lost_writes_overflowed = False

    @property
    def is_available(self):
        return self.down_since is None

    def may_try(self):
        """True when a call should go to Redis: always while it is up; while it is down,
        for one caller every ``RETRY_SECONDS`` (the others are answered without waiting)."""
        if self.down_since is None:
            return True
        with self.lock:
            now = time.monotonic()
            if now < self.retry_at:
                return False
            self.retry_at = now + RETRY_SECONDS
            return True

    def failed(self, error):
        with self.lock:
            self.retry_at = time.monotonic() + RETRY_SECONDS
            if self.down_since is not None:
                return
            self.down_since = time.monotonic()
        logger.warning(
            "Shared cache %s unreachable (%s: %s): serving without it, retrying every %g s",
            self.name,
            type(error).__name__,
            error,
            RETRY_SECONDS,
        )

    def succeeded(self):
        """Record a call that worked; the keys to delete now if it ends an outage."""
        if self.down_since is None:
            return None
        with self.lock:
            if self.down_since is None:
                return None
            seconds = time.monotonic() - self.down_since
            self.down_since = None
            lost, self.lost_writes = self.lost_writes, {}
            overflowed, self.lost_writes_overflowed = self.lost_writes_overflowed, False
        logger.warning(
            "Shared cache %s reachable again after %.0f s; forgetting %d key(s) written "
            "meanwhile%s",
            self.name,
            seconds,
            len(lost),
            " (more were lost and may be stale until they expire)" if overflowed else "",
        )
        return lost

    def lost(self, keys, version):
        with self.lock:
            for key in keys:
                if len(self.lost_writes) >= MAX_LOST_WRITES:
                    self.lost_writes_overflowed = True
                    return
                self.lost_writes[(key, version)] = None


_breakers = {}
_breakers_lock = threading.Lock()


def _without_credentials(server):
    parts = urlsplit(server)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def breaker_for(server):
    with _breakers_lock:
        if server not in _breakers:
            # Named in log lines, so without the password a redis:// URL may carry.
            _breakers[server] = Breaker(_without_credentials(server))
        return _breakers[server]


def _unavailable(default):
    if _strict.get():
        raise CacheUnavailable("The shared cache cannot be reached just now.")
    return default


def _missing(key):
    if _strict.get():
        raise CacheUnavailable("The shared cache cannot be reached just now.")
    raise ValueError(f"Key {key!r} not found (the shared cache cannot be reached).")


class ResilientRedisCache(RedisCache):
    """django-redis's cache, answering misses and no-ops while Redis is unreachable."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self.breaker = breaker_for(server if isinstance(server, str) else ",".join(server))

    def _attempt(self, call, *, on_failure, written=(), version=None):
        """``call()`` if Redis is worth asking; otherwise, or if it fails, ``on_failure()``.
        ``written`` names the keys the call changes, to be deleted on recovery if lost."""
        if not self.breaker.may_try():
            self._remember_lost(written, version)
            return on_failure()
        try:
            result = call()
        except UNREACHABLE_ERRORS as error:
            self.breaker.failed(error)
            self._remember_lost(written, version)
            return on_failure()
        lost = self.breaker.succeeded()
        if lost:
            self._forget(lost)
            # The call may have read a value that was just forgotten as stale: ask again.
            result = self._attempt(call, on_failure=on_failure, written=written, version=version)
        return result

    def _remember_lost(self, keys, version):
        if keys:
            self.breaker.lost(list(keys), version)

    def _forget(self, lost):
        by_version = {}
        for key, version in lost:
            by_version.setdefault(version, []).append(key)
        try:
            for version, keys in by_version.items():
                super().delete_many(keys, version=version)
        except UNREACHABLE_ERRORS as error:
            self.breaker.failed(error)
            for version, keys in by_version.items():
                self.breaker.lost(keys, version)

    def probe(self):
        """Ask Redis now, whatever the breaker says (for the health check); True if it
        answered. A success ends an outage for every caller in this process."""
        try:
            self.client.get_client(write=False).ping()
        except UNREACHABLE_ERRORS as error:
            self.breaker.failed(error)
            return False
        lost = self.breaker.succeeded()
        if lost:
            self._forget(lost)
        return True

    def get(self, key, default=None, version=None, client=None):
        return self._attempt(
            lambda: super(ResilientRedisCache, self).get(key, default, version, client),
            on_failure=lambda: _unavailable(default),
        )

    def get_many(self, keys, version=None, **kwargs):
        return self._attempt(
            lambda: super(ResilientRedisCache, self).get_many(keys, version=version, **kwargs),
            on_failure=lambda: _unavailable({}),
        )

    def has_key(self, key, version=None, **kwargs):
        return self._attempt(
            lambda: super(ResilientRedisCache, self).has_key(key, version=version, **kwargs),
            on_failure=lambda: _unavailable(False),
        )

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None, **kwargs):
        # A lost add changed nothing in Redis, so there is nothing to forget on recovery.
        return self._attempt(
            lambda: super(ResilientRedisCache, self).add(
                key, value, timeout=timeout, version=version, **kwargs
            ),
            on_failure=lambda: _unavailable(False),
        )

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None, **kwargs):
        return self._attempt(
            lambda: super(ResilientRedisCache, self).set(
                key, value, timeout=timeout, version=version, **kwargs
            ),
            on_failure=lambda: _unavailable(False),
            written=[key],
            version=version,
        )

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None, **kwargs):
        return self._attempt(
            lambda: super(ResilientRedisCache, self).set_many(
                data, timeout=timeout, version=version, **kwargs
            ),
            on_failure=lambda: _unavailable(list(data)),
            written=list(data),
            version=version,
        )

    def delete(self, key, version=None, **kwargs):
        return self._attempt(
            lambda: super(ResilientRedisCache, self).delete(key, version=version, **kwargs),
            on_failure=lambda: _unavailable(False),
            written=[key],
            version=version,
        )

    def delete_many(self, keys, version=None, **kwargs):
        keys = list(keys)
        return self._attempt(
            lambda: super(ResilientRedisCache, self).delete_many(keys, version=version, **kwargs),
            on_failure=lambda: _unavailable(0),
            written=keys,
            version=version,
        )

    def incr(self, key, delta=1, version=None, **kwargs):
        return self._attempt(
            lambda: super(ResilientRedisCache, self).incr(
                key, delta=delta, version=version, **kwargs
            ),
            on_failure=lambda: _missing(key),
            written=[key],
            version=version,
        )

    def decr(self, key, delta=1, version=None, **kwargs):
        return self._attempt(
            lambda: super(ResilientRedisCache, self).decr(
                key, delta=delta, version=version, **kwargs
            ),
            on_failure=lambda: _missing(key),
            written=[key],
            version=version,
        )

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None, **kwargs):
        return self._attempt(
            lambda: super(ResilientRedisCache, self).touch(
                key, timeout=timeout, version=version, **kwargs
            ),
            on_failure=lambda: _unavailable(False),
        )

    def clear(self):
        return self._attempt(
            lambda: super(ResilientRedisCache, self).clear(),
            on_failure=lambda: _unavailable(False),
        )


def status(cache):
    """How ``cache`` is doing, for the health check: "ok", or "unavailable" when it could
    not be reached just now."""
    probe = getattr(cache, "probe", None)
    if probe is not None:
        return "ok" if probe() else "unavailable"
    try:
        cache.get("masthead:health-check")
    except Exception:
        logger.exception("Health check: the cache did not answer")
        return "unavailable"
    return "ok"


def is_available(cache):
    """False while ``cache`` is known to be unreachable (without asking it)."""
    breaker = getattr(cache, "breaker", None)
    return breaker is None or breaker.is_available


def shared_token(cache, key, known=None):
    """The random token kept under ``key`` in the shared ``cache`` (made there when
    missing, never expiring), as the page-cache generation and page tag versions are.

    While the cache cannot be reached, ``known`` (what this process read last) stands in,
    so the process goes on serving the pages it holds in memory; an edit made meanwhile on
    another process reaches it when its pages expire or the cache is back."""
    try:
        with strict():
            value = cache.get(key)
            if value is None:
                value = uuid.uuid4().hex
                if not cache.add(key, value, timeout=None):
                    value = cache.get(key, value)
    except CacheUnavailable:
        value = known or uuid.uuid4().hex
    return value
