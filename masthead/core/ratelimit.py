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
