"""Small fixed-window rate limits kept in Django's cache, shared by every web process.

When the shared cache (Redis) cannot be reached nothing can be counted, and each caller
says what that means for it (``when_unavailable``):

- ``ALLOW`` (fail open) where the limit only spares the site some work and refusing would
  stop readers reading or browsing: adding to a basket.
- ``REFUSE`` (fail closed) where the limit is what stands between a stranger and harm:
  signing in (password guessing), starting a payment (card testing), and anything that
  emails an address someone typed (sign-in links, password resets, newsletter
  confirmations, which could otherwise flood a stranger's inbox). ``allow`` then raises
  ``LimitsUnavailable``, which ``masthead.core.middleware.LimitsUnavailableMiddleware``
  answers with a 503 page asking the reader to try again in a few minutes.
"""

import functools
import hashlib
import ipaddress
import logging
import time

from django.conf import settings
from django.core.cache import cache

from masthead.core import resilient_cache

logger = logging.getLogger(__name__)

ALLOW = "allow"
REFUSE = "refuse"


class LimitsUnavailable(Exception):
    """A limit that must hold could not be checked: the shared cache is unreachable."""


def refuse_unchecked(what):
    """Raise ``LimitsUnavailable`` for ``what`` (a limit's name), logging it."""
    logger.warning("Refused %s: the shared cache that counts attempts is unreachable", what)
    raise LimitsUnavailable(f"{what} cannot be checked while the shared cache is unreachable.")


def allow(key, limit, window_seconds, *, when_unavailable):
    """Count one attempt under ``key``; False once more than ``limit`` were made this window.

    While the shared cache is unreachable: True if ``when_unavailable`` is ``ALLOW``, and
    ``LimitsUnavailable`` if it is ``REFUSE``."""
    if when_unavailable not in (ALLOW, REFUSE):
        raise ValueError(f"when_unavailable must be ALLOW or REFUSE, not {when_unavailable!r}")
    if limit <= 0:
        return True
    try:
        with resilient_cache.strict():
            return _count(key, limit, window_seconds)
    except resilient_cache.CacheUnavailable:
        if when_unavailable == ALLOW:
            return True
        refuse_unchecked(f"rate limit {key.split(':', 1)[0]!r}")


def _count(key, limit, window_seconds):
    window = int(time.time() // window_seconds)
    cache_key = f"ratelimit:{key}:{window}"
    # add() is atomic on every backend we use, incr() too, so concurrent workers count right.
    if cache.add(cache_key, 1, timeout=window_seconds + 1):
        return True
    try:
        count = cache.incr(cache_key)
    except ValueError:
        # The entry expired between add() and incr(): this is the first attempt again.
        cache.add(cache_key, 1, timeout=window_seconds + 1)
        return True
    return count <= limit


def hashed(value):
    """A short digest used in cache keys, so raw addresses are never stored in the cache."""
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def client_ip(request):
    """The reader's IP address.

    Behind ``TRUSTED_PROXY_COUNT`` reverse proxies (e.g. 1 for nginx in front of gunicorn)
    it is the address that many hops from the right of X-Forwarded-For, which the proxies
    appended themselves and a client cannot forge; otherwise REMOTE_ADDR.
    """
    return address_from(
        request.META.get("REMOTE_ADDR") or "", request.META.get("HTTP_X_FORWARDED_FOR", "")
    )


def address_from(remote_address, forwarded_for):
    """``client_ip`` from the connection's address and the X-Forwarded-For header, for
    servers that have no Django request (the audience's hit listener)."""
    proxies = settings.TRUSTED_PROXY_COUNT
    address = remote_address
    if proxies > 0:
        forwarded = [part.strip() for part in forwarded_for.split(",") if part.strip()]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    return _normalised(address)


@functools.lru_cache(maxsize=4096)
def _normalised(address):
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


# Providers that deliver "j.o.e@" to "joe@": dots in the local part mean nothing there.
DOTLESS_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def mailbox(address):
    """The mailbox ``address`` reaches, for counting what is sent to one person: lower-cased,
    without a ``+tag`` (which most providers deliver to the same mailbox), and without dots
    where the provider ignores them. Only for limits: the address itself is kept as given."""
    local, _at, domain = (address or "").strip().lower().rpartition("@")
    if not local:
        return domain
    local = local.split("+", 1)[0]
    if domain in DOTLESS_DOMAINS:
        domain = DOTLESS_DOMAINS[domain]
        local = local.replace(".", "")
    return f"{local}@{domain}"


def network(address):
    """What one client controls, for per-IP limits: the address itself for IPv4, its /64
    for IPv6 (a single household or server is handed a whole /64 and can use any address in
    it). None when ``address`` is none."""
    if not address:
        return None
    ip = ipaddress.ip_address(address)
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))


def client_network(request):
    """The reader's network for rate limits (see ``network``)."""
    return network(client_ip(request))
