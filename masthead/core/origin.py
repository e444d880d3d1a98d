"""Same-site checks for forms on pages cached whole (which carry no CSRF token)."""

from urllib.parse import urlsplit

from django.conf import settings


def origin_of(url):
    parts = urlsplit(url or "")
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def is_same_site(request):
    """Whether a POST came from a page of this site, judged by Origin, else Referer."""
    allowed = {origin_of(settings.SITE_URL), origin_of(request.build_absolute_uri("/"))}
    allowed.discard(None)
    sent = request.META.get("HTTP_ORIGIN") or request.META.get("HTTP_REFERER")
    return bool(sent) and origin_of(sent) in allowed
