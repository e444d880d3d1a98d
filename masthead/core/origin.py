"""Same-site checks for forms on pages cached whole (which carry no CSRF token)."""

import functools
from urllib.parse import urlsplit

from django.conf import settings


def origin_of(url):
    parts = urlsplit(url or "")
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


@functools.lru_cache(maxsize=64)
def _allowed_origins(site_url, scheme, host):
    return frozenset(filter(None, (origin_of(site_url), origin_of(f"{scheme}://{host}/"))))


def is_same_site(request, host=None):
    """Whether a POST came from a page of this site, judged by Origin, else Referer: the
    origin must be SITE_URL's or the one the request came to (``host``, when the caller
    already has ``request.get_host()``, which validates it against ALLOWED_HOSTS)."""
    sent = request.META.get("HTTP_ORIGIN") or request.META.get("HTTP_REFERER")
    return is_same_origin(sent, request.scheme, host or request.get_host())


def is_same_origin(sent, scheme, host):
    """Whether ``sent`` (an Origin or Referer) is SITE_URL's origin or ``scheme://host``'s,
    ``host`` being already validated against ALLOWED_HOSTS."""
    if not sent:
        return False
    return origin_of(sent) in _allowed_origins(settings.SITE_URL, scheme, host)
