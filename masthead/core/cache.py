"""Whole-page caching for anonymous readers, invalidated whenever the site changes.

Every cached page is stored under the current *generation*. Publishing, unpublishing,
moving or deleting a page, or saving a setting or snippet, starts a new generation, so
everything cached before is ignored at once. Each process re-reads the generation from the
shared cache at most every ``GENERATION_CHECK_SECONDS``, so an editor's change reaches
readers on every worker within a second, without a cache lookup per request to find out.
"""

import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse

GENERATION_KEY = "masthead:page-cache-generation"
GENERATION_CHECK_SECONDS = 0.5
CACHEABLE_QUERY_PARAMETERS = {"page"}
UNCACHED_PREFIXES = ("/admin/", "/django-admin/", "/search/", "/health/")
NOT_STORED_HEADERS = {"set-cookie", "vary"}

_generation = {"value": None, "checked_at": 0.0}


def current_generation():
    """The generation pages are cached under, re-read from the shared cache when stale."""
    now = time.monotonic()
    if _generation["value"] is None or now - _generation["checked_at"] > GENERATION_CHECK_SECONDS:
        value = cache.get(GENERATION_KEY)
        if value is None:
            value = uuid.uuid4().hex
            if not cache.add(GENERATION_KEY, value, timeout=None):
                value = cache.get(GENERATION_KEY, value)
        _generation["value"] = value
        _generation["checked_at"] = now
    return _generation["value"]


def invalidate_pages():
    """Forget every cached page: the next request for each page renders it afresh."""
    value = uuid.uuid4().hex
    cache.set(GENERATION_KEY, value, timeout=None)
    _generation["value"] = value
    _generation["checked_at"] = time.monotonic()


def _is_cacheable_request(request):
    if request.method not in ("GET", "HEAD"):
        return False
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        # Signed-in editors (and anyone with a session) see pages made for them.
        return False
    if request.path.startswith(UNCACHED_PREFIXES):
        return False
    return all(key in CACHEABLE_QUERY_PARAMETERS for key in request.GET)


def _is_cacheable_response(response):
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    cache_control = response.get("Cache-Control", "")
    return not any(word in cache_control for word in ("private", "no-cache", "no-store"))


class AnonymousPageCacheMiddleware:
    """Serve anonymous readers whole pages from the cache, before any other middleware runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _is_cacheable_request(request):
            return self.get_response(request)

        key = f"page:{current_generation()}:{request.get_host()}:{request.get_full_path()}"
        stored = cache.get(key)
        if stored is not None:
            headers, content = stored
            response = HttpResponse(content, headers=headers)
            response["X-Cache"] = "hit"
            return response

        response = self.get_response(request)
        if request.method == "GET" and _is_cacheable_response(response):
            headers = {
                name: value
                for name, value in response.items()
                if name.lower() not in NOT_STORED_HEADERS
            }
            cache.set(key, (headers, response.content), timeout=settings.PAGE_CACHE_SECONDS)
            response["X-Cache"] = "miss"
        return response
