"""Whole-page caching for anonymous readers, invalidated whenever the site changes.

Every cached page is stored under the current *generation*. Publishing, unpublishing,
moving or deleting a page, or saving a setting, snippet or image, starts a new generation
(see ``masthead.core.cache_invalidation``), so everything cached before is ignored at once. Each
process re-reads the generation from the shared cache at most every
``GENERATION_CHECK_SECONDS``, so an editor's change reaches readers on every worker within
a second, without a shared-cache lookup per request to find out.

In front of the shared cache each process keeps its own small LRU of the pages it served
most recently, for the same generation only: a hit then costs one dictionary lookup.

What readers' own activity changes (an item selling out) does not start a new generation:
a page that shows such a thing is stored with its tags (``masthead.core.page_tags``), and
served only while none of them has changed since.

What is never cached: anything but GET and HEAD, requests that carry a session or a
flash-message cookie (signed-in editors, readers mid-form), query strings other than
``?page=``, the admin, search, health, documents, static and media files, and any response
that is not a plain 200 or that sets a cookie, is private, or varies on more than the cookie.

What this cache stores, shared caches in front may keep too (nginx's micro-cache in
deploy/nginx-masthead.conf, a CDN): such pages say ``Cache-Control: public, max-age=...,
s-maxage=EDGE_CACHE_SECONDS`` (1 s by default, so a publication shows there within it),
with ``CDN_CACHE_SECONDS`` for a CDN that Wagtail purges on publish (Surrogate-Control and
CDN-Cache-Control, which nginx ignores), and name their purge keys in ``Surrogate-Key``
(Fastly) and ``Cache-Tag`` (Cloudflare): ``masthead`` on every page, ``masthead-page-<id>``
on a Wagtail page, and the page's tags. Nothing else carries them, so nothing personal is
ever marked shareable.
"""

import hashlib
import threading
import time
import uuid
from collections import OrderedDict

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpResponse
from django.utils.cache import patch_cache_control

from masthead.core import page_tags, resilient_cache

GENERATION_KEY = "masthead:page-cache-generation"
GENERATION_CHECK_SECONDS = 0.5
CACHEABLE_QUERY_PARAMETERS = frozenset({"page"})
UNCACHED_PREFIXES = ("/admin/", "/django-admin/", "/search/", "/health/", "/documents/")
# A visitor carrying one of these sees a page made for them (signed in, or a flash message).
PERSONAL_COOKIES = ("messages",)
NOT_STORED_HEADERS = frozenset({"set-cookie"})
PRIVATE_CACHE_CONTROL_WORDS = ("private", "no-cache", "no-store")
# The purge key every shared page carries: purging it empties a CDN of Masthead's pages.
SITE_SURROGATE_KEY = "masthead"

_generation = {"value": None, "checked_at": 0.0}


def current_generation():
    """The generation pages are cached under, re-read from the shared cache when stale."""
    now = time.monotonic()
    if _generation["value"] is None or now - _generation["checked_at"] > GENERATION_CHECK_SECONDS:
        # With Redis down, the generation this process knows (see shared_token).
        value = resilient_cache.shared_token(cache, GENERATION_KEY, _generation["value"])
        _generation["value"] = value
        _generation["checked_at"] = now
    return _generation["value"]


def invalidate_pages():
    """Forget every cached page: the next request for each page renders it afresh."""
    value = uuid.uuid4().hex
    cache.set(GENERATION_KEY, value, timeout=None)
    _generation["value"] = value
    _generation["checked_at"] = time.monotonic()


class LocalPages:
    """The pages this process served most recently, for one generation only.

    Entries are (expires_at, ...), the rest as the store's user keeps them. A new
    generation empties it at once, so it can never serve anything the shared cache would
    not.
    """

    def __init__(self, max_entries):
        self.max_entries = max_entries
        self.generation = None
        self.entries = OrderedDict()
        self.lock = threading.Lock()

    def get(self, generation, url):
        with self.lock:
            if generation != self.generation:
                return None
            entry = self.entries.get(url)
            if entry is None:
                return None
            if entry[0] < time.time():
                del self.entries[url]
                return None
            self.entries.move_to_end(url)
            return entry

    def put(self, generation, url, entry):
        if self.max_entries <= 0:
            return
        with self.lock:
            if generation != self.generation:
                self.generation = generation
                self.entries.clear()
            self.entries[url] = entry
            self.entries.move_to_end(url)
            while len(self.entries) > self.max_entries:
                self.entries.popitem(last=False)

    def clear(self):
        with self.lock:
            self.generation = None
            self.entries.clear()


local_pages = LocalPages(settings.PAGE_CACHE_LOCAL_ENTRIES)


def has_personal_cookie(request):
    """Whether the visitor may be shown a page made for them (signed in, a flash message)."""
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME in cookies or any(
        name in cookies for name in PERSONAL_COOKIES
    )


def sees_the_database(request):
    """Whether this request is a signed-in user's, who is shown what the database holds now:
    no kept fragment (``{% fragment %}``) and no kept article row (publishing's routing), so
    an editor sees their change at once whichever process serves them. The user is looked up
    only when the request carries a personal cookie; a visitor who only has a session (a
    shopper at the checkout) is served what every reader is."""
    if not has_personal_cookie(request):
        return False
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated


def _uncached_prefixes():
    prefixes = [*UNCACHED_PREFIXES, settings.STATIC_URL]
    if settings.MEDIA_URL.startswith("/"):
        prefixes.append(settings.MEDIA_URL)
    return tuple(prefix for prefix in prefixes if prefix and prefix != "/")


def _is_cacheable_request(request, uncached_prefixes):
    if request.method not in ("GET", "HEAD"):
        return False
    if has_personal_cookie(request):
        return False
    if request.path.startswith(uncached_prefixes):
        return False
    return all(key in CACHEABLE_QUERY_PARAMETERS for key in request.GET)


def _is_cacheable_response(response):
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    cache_control = response.get("Cache-Control", "").lower()
    if any(word in cache_control for word in PRIVATE_CACHE_CONTROL_WORDS):
        return False
    # The key knows only that the visitor has no session, so a page that differs by any
    # other request header (language, encoding) cannot be shared.
    varies_on = {name.strip().lower() for name in response.get("Vary", "").split(",")}
    return varies_on <= {"", "cookie"}


def _page_url(request):
    return f"{request.scheme}://{request.get_host()}{request.get_full_path()}"


def _shared_key(generation, url):
    digest = hashlib.blake2b(url.encode(), digest_size=16).hexdigest()
    return f"masthead:page:{generation}:{digest}"


def _entry_tags(entry):
    # Entries are (expires_at, headers, content, tags); one stored by a version before
    # tags (still in a shared cache during a deployment) has none.
    return entry[3] if len(entry) > 3 else {}


def _surrogate_keys(response, tags):
    keys = [SITE_SURROGATE_KEY]
    page = (getattr(response, "context_data", None) or {}).get("page")
    if getattr(page, "pk", None) is not None:
        keys.append(f"masthead-page-{page.pk}")
    # Keys are separated by spaces (Surrogate-Key) or commas (Cache-Tag).
    keys += sorted({"".join(c if c.isalnum() or c in "_.:-" else "-" for c in t) for t in tags})
    return keys


def mark_for_shared_caches(response, tags, edge_seconds, cdn_seconds):
    """Let nginx's micro-cache and a CDN keep a page this cache stores, briefly (s-maxage),
    and name the keys to purge it by."""
    if "s-maxage" not in response.get("Cache-Control", ""):
        patch_cache_control(response, s_maxage=edge_seconds)
    if cdn_seconds > 0:
        response["Surrogate-Control"] = f"max-age={cdn_seconds}"
        response["CDN-Cache-Control"] = f"max-age={cdn_seconds}"
    keys = _surrogate_keys(response, tags)
    response["Surrogate-Key"] = " ".join(keys)
    response["Cache-Tag"] = ",".join(keys)


def _response_from(entry):
    response = HttpResponse(entry[2], headers=entry[1])
    response["X-Cache"] = "hit"
    return response


class AnonymousPageCacheMiddleware:
    """Serve anonymous readers whole pages from the cache, before any other middleware runs.

    It must be first in MIDDLEWARE, so that a hit skips everything else, and so that what
    it stores already carries the headers the other middleware add.
    """

    def __init__(self, get_response):
        if settings.PAGE_CACHE_SECONDS <= 0:
            # PAGE_CACHE_SECONDS=0 turns page caching off: every request renders its page.
            raise MiddlewareNotUsed
        self.get_response = get_response
        self.uncached_prefixes = _uncached_prefixes()
        self.timeout = settings.PAGE_CACHE_SECONDS
        self.max_age = settings.PAGE_CACHE_MAX_AGE
        self.edge_seconds = settings.EDGE_CACHE_SECONDS
        self.cdn_seconds = settings.CDN_CACHE_SECONDS

    def __call__(self, request):
        if not _is_cacheable_request(request, self.uncached_prefixes):
            response = self.get_response(request)
            if has_personal_cookie(request) and "Cache-Control" not in response:
                # Made for this visitor (an editor sees unpublished changes, a userbar):
                # no browser or CDN may keep it and show it to anyone, or show it later.
                patch_cache_control(response, private=True, no_cache=True)
            return response

        url = _page_url(request)
        generation = current_generation()
        entry = local_pages.get(generation, url)
        if entry is None:
            entry = cache.get(_shared_key(generation, url))
            if entry is not None:
                local_pages.put(generation, url, entry)
        if entry is not None and page_tags.are_current(_entry_tags(entry)):
            return _response_from(entry)

        with page_tags.collecting() as tags:
            response = self.get_response(request)
        if request.method == "GET" and _is_cacheable_response(response):
            self._store(generation, url, response, tags)
        return response

    def _store(self, generation, url, response, tags):
        if "Cache-Control" not in response:
            # Short, so a browser shows an edited page within a minute.
            patch_cache_control(response, public=True, max_age=self.max_age)
        mark_for_shared_caches(response, tags, self.edge_seconds, self.cdn_seconds)
        headers = {
            name: value
            for name, value in response.items()
            if name.lower() not in NOT_STORED_HEADERS
        }
        # Wall-clock time, because the entry travels to other processes and machines.
        entry = (time.time() + self.timeout, headers, response.content, tags)
        cache.set(_shared_key(generation, url), entry, timeout=self.timeout)
        local_pages.put(generation, url, entry)
        response["X-Cache"] = "miss"
