"""A reader signed in on a browser: a random key in the ``reader_session`` cookie, its
SHA-256 in ``ReaderSession``.

Cached pages stay cached for signed-in readers. The cookies are named so that neither the
page cache (which skips requests with Django's session cookie) nor nginx's micro-cache
(which skips ``sessionid``, ``messages`` and ``masthead_*``) treats them as personal, and no
cached page reads them: only views that call ``current_reader`` do, and ``ReaderMiddleware``
makes every such response private, so no cache can keep it. The header learns whether to
say "Sign in" or "Account" from ``reader_hint=1``, a cookie script can read that holds no
identity.
"""

import hashlib
import re
import secrets
from datetime import timedelta
from functools import wraps
from urllib.parse import quote

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_vary_headers

from masthead.readers.models import ReaderSession

SESSION_COOKIE = "reader_session"
HINT_COOKIE = "reader_hint"
LAST_SEEN_RESOLUTION = timedelta(minutes=5)


def _hash(key):
    return hashlib.sha256(key.encode()).hexdigest()


def current_reader(request):
    """The Reader signed in on this browser, or None; marks the response personal."""
    request._reader_looked_up = True
    if hasattr(request, "_reader"):
        return request._reader
    request._reader = None
    key = request.COOKIES.get(SESSION_COOKIE)
    if key:
        now = timezone.now()
        session = (
            ReaderSession.objects.select_related("reader")
            .filter(key_hash=_hash(key), expires_at__gt=now)
            .first()
        )
        if session is not None:
            if now - session.last_seen_at > LAST_SEEN_RESOLUTION:
                ReaderSession.objects.filter(pk=session.pk).update(last_seen_at=now)
            request._reader = session.reader
            request._reader_session = session
    return request._reader


def reader_required(view):
    """A view for signed-in readers only; others go to sign in and come back."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if current_reader(request) is None:
            return redirect(f"{reverse('readers:sign_in')}?next={quote(request.get_full_path())}")
        return view(request, *args, **kwargs)

    return wrapped


# (pattern in the User-Agent, name shown to the reader), first match wins: Edge and Opera
# say "Chrome" too, and Chrome says "Safari".
BROWSERS = (
    (r"Edg(?:e|A|iOS)?/", "Edge"),
    (r"OPR/|Opera", "Opera"),
    (r"SamsungBrowser/", "Samsung Internet"),
    (r"Firefox/|FxiOS/", "Firefox"),
    (r"Chrome/|CriOS/|Chromium/", "Chrome"),
    (r"Safari/", "Safari"),
)
SYSTEMS = (
    (r"iPhone|iPad|iPod", "iOS"),
    (r"Android", "Android"),
    (r"Windows", "Windows"),
    (r"Mac OS X|Macintosh", "macOS"),
    (r"CrOS", "ChromeOS"),
    (r"Linux", "Linux"),
)


def describe_browser(user_agent):
    """A short description of a browser for the reader's list of signed-in browsers
    ("Firefox on Linux"), not the whole User-Agent: enough to recognise it, and no more
    than that is kept."""

    def first(table):
        return next((name for pattern, name in table if re.search(pattern, user_agent)), "")

    user_agent = user_agent or ""
    browser, system = first(BROWSERS), first(SYSTEMS)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown browser"


def _browser(request):
    return describe_browser(request.META.get("HTTP_USER_AGENT", ""))[:200]


def sign_in(request, response, reader):
    """Sign ``reader`` in on this browser (a new session; any old one on it ends)."""
    old = request.COOKIES.get(SESSION_COOKIE)
    if old:
        ReaderSession.objects.filter(key_hash=_hash(old)).delete()
    key = secrets.token_urlsafe(32)
    age = settings.READERS_SESSION_DAYS * 86400
    ReaderSession.objects.create(
        reader=reader,
        key_hash=_hash(key),
        browser=_browser(request),
        expires_at=timezone.now() + timedelta(seconds=age),
    )
    reader.last_signed_in_at = timezone.now()
    reader.save(update_fields=["last_signed_in_at"])
    secure = settings.SESSION_COOKIE_SECURE
    response.set_cookie(
        SESSION_COOKIE, key, max_age=age, secure=secure, httponly=True, samesite="Lax"
    )
    response.set_cookie(
        HINT_COOKIE, "1", max_age=age, secure=secure, httponly=False, samesite="Lax"
    )
    request._reader = reader
    return response


def sign_out(request, response, *, everywhere=False):
    """End this browser's session (or, ``everywhere``, every session of its reader)."""
    key = request.COOKIES.get(SESSION_COOKIE)
    reader = current_reader(request)
    if everywhere and reader is not None:
        ReaderSession.objects.filter(reader=reader).delete()
    elif key:
        ReaderSession.objects.filter(key_hash=_hash(key)).delete()
    response.delete_cookie(SESSION_COOKIE, samesite="Lax")
    response.delete_cookie(HINT_COOKIE, samesite="Lax")
    request._reader = None
    return response


def current_session(request):
    """This browser's ReaderSession, or None (looks the reader up)."""
    return getattr(request, "_reader_session", None) if current_reader(request) else None


def end_other_session(reader, session_id):
    """Sign ``reader`` out of one of their browsers; True if there was such a session."""
    deleted, _rows = ReaderSession.objects.filter(reader=reader, pk=session_id).delete()
    return bool(deleted)


class ReaderMiddleware:
    """Makes private every response whose view looked up the signed-in reader, so neither
    the page cache nor a proxy keeps a page made for one reader. Sits inside the page
    cache's middleware, so it acts on a response before the cache sees it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "_reader_looked_up", False):
            add_never_cache_headers(response)
            patch_vary_headers(response, ["Cookie"])
            if (
                request._reader is None
                and HINT_COOKIE in request.COOKIES
                and HINT_COOKIE not in response.cookies
            ):
                # The session ended (expired, or signed out on another browser): the header
                # should say "Sign in" again.
                response.delete_cookie(SESSION_COOKIE, samesite="Lax")
                response.delete_cookie(HINT_COOKIE, samesite="Lax")
        return response
