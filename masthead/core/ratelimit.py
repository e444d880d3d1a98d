"""Small fixed-window rate limits kept in Django's cache, shared by every web process."""

import hashlib
import ipaddress
import time

from django.conf import settings
from django.core.cache import cache


def allow(key, limit, window_seconds):
    """Count one attempt under ``key``; False once more than ``limit`` were made this window."""
    if limit <= 0:
        return True
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
    proxies = settings.TRUSTED_PROXY_COUNT
    address = request.META.get("REMOTE_ADDR") or ""
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None
