"""Middleware that guards every view at once, and the health check that goes around it."""

import logging

from django.conf import settings
from django.http import HttpResponseBadRequest, JsonResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation

from masthead.core import ratelimit, views

logger = logging.getLogger(__name__)


class NulBytesMiddleware:
    """Keep NUL bytes out of every view.

    No page or slug of ours contains one, and PostgreSQL refuses to store or even compare
    text holding it, so a junk request would otherwise become an error page deep inside a
    view. A path with a NUL byte is answered 400; in query parameters NUL bytes are dropped
    and the rest is kept, as a reader's search for "quay\\x00wall" still means "quaywall".
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path:
            return HttpResponseBadRequest(
                "The address contains a NUL byte.", content_type="text/plain; charset=utf-8"
            )
        if "%00" in request.META.get("QUERY_STRING", ""):
            cleaned = QueryDict(mutable=True)
            for key, values in request.GET.lists():
                cleaned.setlist(key.replace("\x00", ""), [v.replace("\x00", "") for v in values])
            cleaned._mutable = False
            request.GET = cleaned
        return self.get_response(request)


class HealthCheckMiddleware:
    """Answer the health check before anything that could refuse or redirect it.

    A load balancer probes gunicorn directly: by its address (not a name in ALLOWED_HOSTS)
    and over plain HTTP. Further down, Django's host validation would answer it 400 and the
    HTTPS redirect 301, so the probe would take a healthy server for a dead one. The check
    reveals nothing but whether the database and the cache answer, so it needs neither. Its
    answer is never reported to the admins by email either, even a 503 or a crash: a load
    balancer asks every few seconds, and one email per probe during an outage helps nobody
    (the failure is logged).
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.path = reverse("health")

    def __call__(self, request):
        if request.path_info != self.path:
            return self.get_response(request)
        try:
            response = views.health(request)
        except Exception:
            logger.exception("Health check failed")
            response = JsonResponse({"status": "unavailable"}, status=503)
        # Django's request logger (whose errors are emailed to ADMINS) skips a response
        # marked as already logged.
        response._has_been_logged = True
        return response


class LimitsUnavailableMiddleware:
    """Answer 503, "try again in a few minutes", when a view was refused because a limit
    that must hold (sign-in, payments, emails to typed addresses) could not be checked:
    the shared cache that counts attempts is unreachable (``core.ratelimit``). Anything
    else a reader does carries on meanwhile."""

    RETRY_AFTER_SECONDS = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, ratelimit.LimitsUnavailable):
            return None
        response = render(request, "core/paused.html", status=503)
        response["Retry-After"] = str(self.RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        # Expected while Redis is down, and already logged once per refusal: no email.
        response._has_been_logged = True
        return response


class DefaultLanguageAndZoneMiddleware:
    """Make the outlet's language and time zone (``LANGUAGE_CODE``, ``TIME_ZONE``) the active
    ones while a view runs and its page renders: the ones Django uses anyway while none is
    active, so nothing a reader sees changes.

    Django looks the active language and time zone up in context-local storage for every
    translated word, reversed URL and shown date, and while none is active each look-up
    raises and catches an exception before it falls back to the settings: 2.5 µs instead of
    1 µs, some two hundred times on a page rendered afresh. Placed inside the page cache,
    whose hits need neither. Whatever a view activates itself (the admin, an editor's own
    language and zone) it activates over these, as before."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        translation.activate(settings.LANGUAGE_CODE)
        timezone.activate(timezone.get_default_timezone())
        try:
            return self.get_response(request)
        finally:
            translation.deactivate()
            timezone.deactivate()
