"""Site-wide views: robots.txt, security.txt, the health check, and the error pages."""

import datetime
import logging

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_safe

from masthead.core import resilient_cache
from masthead.core.models import SiteSettings

# security.txt must say when it stops being valid (RFC 9116 asks for less than a year ahead);
# computed at each request, so it never lapses while the settings stay the same.
SECURITY_TXT_VALID_FOR = datetime.timedelta(days=365)

logger = logging.getLogger(__name__)


@require_safe
@cache_control(max_age=3600, public=True)
def robots_txt(request):
    """Let crawlers read the publication, keep them out of the admin and search results,
    and point them to the sitemap."""
    lines = [
        "User-agent: *",
        f"Disallow: {reverse('wagtailadmin_home')}",
        f"Disallow: {reverse('search')}",
        "",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@require_safe
def security_txt(request):
    """/.well-known/security.txt (RFC 9116): how to report a security problem, from the site
    settings' security contact; 404 while no contact is set."""
    site_settings = SiteSettings.for_request(request)
    contacts = []
    if site_settings.security_contact_email:
        contacts.append(f"mailto:{site_settings.security_contact_email}")
    if site_settings.security_contact_url:
        contacts.append(site_settings.security_contact_url)
    if not contacts:
        raise Http404("No security contact is set.")
    expires = timezone.now().astimezone(datetime.UTC) + SECURITY_TXT_VALID_FOR
    lines = [f"Contact: {contact}" for contact in contacts]
    lines += [
        f"Expires: {expires.strftime('%Y-%m-%dT%H:%M:%SZ')}",
        f"Preferred-Languages: {settings.LANGUAGE_CODE.split('-')[0]}",
        f"Canonical: {request.build_absolute_uri(reverse('security_txt'))}",
    ]
    if site_settings.security_policy_url:
        lines.append(f"Policy: {site_settings.security_policy_url}")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@require_safe
@never_cache
def health(request):
    """For load balancers and monitoring, as JSON: what answers and what does not.

    ``{"status": "ok", "database": "ok", "cache": "ok"}`` with 200 when all is well;
    ``"status": "degraded"`` still with 200 when only the shared cache (Redis) is down, as
    the site then serves readers without it (a load balancer must keep sending them);
    ``"status": "unavailable"`` with 503 when the database does not answer, as nothing
    works without it.
    """
    checks = {"database": "ok", "cache": resilient_cache.status(cache)}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        logger.exception("Health check: the database did not answer")
        checks["database"] = "unavailable"
    if checks["database"] != "ok":
        return JsonResponse({"status": "unavailable", **checks}, status=503)
    status = "ok" if checks["cache"] == "ok" else "degraded"
    return JsonResponse({"status": status, **checks})


def page_not_found(request, exception):
    """The reader-facing 404 page, kept out of search engines."""
    return render(request, "404.html", {"meta_noindex": True}, status=404)


def server_error(request):
    """The 500 page, rendered without a request context: the database may be what failed."""
    return render(None, "500.html", status=500)
