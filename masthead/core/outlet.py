"""The outlet as emails, packing slips and other work outside a request see it: the default
site, its name, and absolute links to it."""

from django.conf import settings
from wagtail.models import Site


def default_site():
    """The site marked default, else the first one (None before any site exists)."""
    return Site.objects.filter(is_default_site=True).first() or Site.objects.first()


def outlet_name():
    """The outlet's name from the default site's settings (WAGTAIL_SITE_NAME until set)."""
    from masthead.core.models import SiteSettings

    site = default_site()
    if site is None:
        return settings.WAGTAIL_SITE_NAME
    return SiteSettings.for_site(site).outlet_name or settings.WAGTAIL_SITE_NAME


def absolute_url(path):
    """``path`` (site-relative, starting with /) as a full address under SITE_URL."""
    return settings.SITE_URL.rstrip("/") + path
