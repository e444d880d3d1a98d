"""Which Wagtail Site a request is for, and that site's settings, found once per process.

Wagtail finds the Site of every request with a query (matching host name, port and the
default site) before it can route the request to a page, and each site setting (the
outlet's name, the sign-up form's wording) with another; it keeps the answers on the request
only. They depend on nothing but the host, the port and rows that only editors change, and
saving a Site or a setting starts a new page-cache generation
(``masthead.core.cache_invalidation``), so each process remembers them until the generation
changes (the site for at most a second, the settings for at most a minute). The outlet as
emails and other work outside a request see it (the default site, its name, absolute links)
is here too, and SITE_URL as the one place its address is set: the demo gives the default
Site SITE_URL's host and port, and ``check --deploy`` warns when the two disagree
(``masthead.core.checks``).
"""

import contextlib
import copy
import functools
import time
from functools import partial
from urllib.parse import urlsplit

from django.conf import settings
from django.db import DatabaseError
from django.http.request import split_domain_port
from django.utils.functional import SimpleLazyObject
from wagtail.contrib.settings.models import BaseSiteSetting
from wagtail.contrib.settings.registry import registry as settings_registry
from wagtail.images import get_image_model
from wagtail.models import Site

from masthead.core import fragments
from masthead.core.cache import LocalPages, current_generation
from masthead.core.models import SiteSettings
from masthead.core.page_urls import remember_site_root_paths

# A few hosts per process at most (made-up Host headers only push out the oldest).
_sites = LocalPages(64)


def _copy(site, root):
    """A copy of a remembered Site (and of its root page, and of that page's specific page,
    remembered in ``root``) for one request, so that what a request caches on them (a page's
    URL, a related row) stays with that request."""
    if site is None:
        return None
    clone = copy.copy(site)
    clone.root_page = copy.copy(site.root_page)
    # What Wagtail routes every request through (``root_page.specific.route()``): looked up
    # by the first request that needs it and remembered with the site, instead of a query
    # per request.
    clone.root_page.__dict__["specific"] = SimpleLazyObject(partial(_root_specific, site, root))
    return clone


def _root_specific(site, root):
    """A copy, for one request, of the site's remembered specific root page (``root`` is
    where it is remembered, with the site)."""
    if "page" not in root:
        root["page"] = copy.copy(site.root_page).specific
    return copy.copy(root["page"])


def find_site(request):
    """The Site Wagtail's ``Site.find_for_request`` would find for ``request``."""
    key = (split_domain_port(request._get_raw_host())[0], request.get_port())
    generation = current_generation()
    entry = _sites.get(generation, key)
    if entry is None:
        entry = (time.time() + fragments.FRAGMENT_SECONDS, Site._find_for_request(request), {})
        _sites.put(generation, key, entry)
    return _copy(entry[1], entry[2])


def site_settings(model, site, request):
    """A copy, for this request, of ``model``'s settings for ``site`` as Wagtail's
    ``for_request`` would give them, remembered per process."""
    remembered = fragments.site_fragment(
        ("core:site-settings", model._meta.label, site.pk),
        lambda: _with_pictures(model.for_site(site)),
        only_editors_change=True,
    )
    clone = copy.copy(remembered)
    # Whatever the request looks up through it (a page's URL, a related row) stays its own;
    # its pictures (the logo, on every page) come as copies of the remembered ones.
    clone._state.fields_cache = {
        name: copy.copy(related) if related is not None else None
        for name, related in remembered._state.fields_cache.items()
        if name in _picture_fields(model)
    }
    clone._page_url_cache = {}
    clone._request = request
    return clone


@functools.cache
def _picture_fields(model):
    """The names of ``model``'s foreign keys to pictures (worked out once per model: every
    request's copy of the settings asks)."""
    image_model = get_image_model()
    return {
        field.name
        for field in model._meta.concrete_fields
        if field.many_to_one and issubclass(field.related_model, image_model)
    }


def _with_pictures(setting):
    """``setting`` with its pictures read, so that they are remembered with it. Saving a
    picture starts a new generation, as saving a setting does."""
    for name in _picture_fields(type(setting)):
        getattr(setting, name)
    return setting


def _prime_site_settings(request, site):
    """Where Wagtail's ``for_request`` looks first, a lazy copy of each site setting: a
    request that never shows a setting pays nothing for it."""
    for model in settings_registry:
        if issubclass(model, BaseSiteSetting):
            lookup = partial(site_settings, model, site, request)
            setattr(request, model.get_cache_attr_name(), SimpleLazyObject(lookup))


class SiteMiddleware:
    """Give each request its Site and site settings the way Wagtail keeps them on the request
    (``request._wagtail_site``, ``BaseSiteSetting.for_request``), from the per-process
    answers, so routing and rendering the request start without those queries."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not hasattr(request, "_wagtail_site"):
            # With the database down the site is left to Wagtail, for the views that need
            # one, and the health check still answers that the database is down.
            with contextlib.suppress(DatabaseError):
                request._wagtail_site = find_site(request)
                if request._wagtail_site is not None:
                    _prime_site_settings(request, request._wagtail_site)
                    remember_site_root_paths(request)
        return self.get_response(request)


def default_site():
    """The site marked default, else the first one (None before any site exists)."""
    return Site.objects.filter(is_default_site=True).first() or Site.objects.first()


def outlet_name():
    """The outlet's name from the default site's settings (WAGTAIL_SITE_NAME until set)."""
    site = default_site()
    if site is None:
        return settings.WAGTAIL_SITE_NAME
    return SiteSettings.for_site(site).outlet_name or settings.WAGTAIL_SITE_NAME


def absolute_url(path):
    """``path`` (site-relative, starting with /) as a full address under SITE_URL."""
    return settings.SITE_URL.rstrip("/") + path


def site_url_host_and_port():
    """The host name and port SITE_URL names (the port from its scheme when it names
    none)."""
    parts = urlsplit(settings.SITE_URL)
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)


def default_site_matches_site_url():
    """Whether the default Site's host name and port are SITE_URL's (Wagtail builds
    canonical links, the sitemap and feeds from the Site, so the two must agree)."""
    site = default_site()
    return site is not None and (site.hostname, site.port) == site_url_host_and_port()


def use_site_url_for_default_site():
    """Give the default Site SITE_URL's host name and port, so SITE_URL is the one place
    the outlet's address is set; answers a line for the console."""
    site = default_site()
    if site is None:
        return "There is no site to give SITE_URL's address to."
    site.hostname, site.port = site_url_host_and_port()
    site.save(update_fields=["hostname", "port"])
    return f"The default site answers at {settings.SITE_URL}/ (SITE_URL)."
