"""Page URLs without resolving Wagtail's URL pattern for every link.

A page's URL (``{% pageurl %}``, ``page.url``, ``get_full_url``) is its path below its
site's root, passed through ``reverse("wagtail_serve", ...)``, which walks Django's URL
resolver every time: a home page links some fifty pages, and that walk was about a
twentieth of its cold render. ``ServedUrlMixin`` gives pages Wagtail's own
``get_url_parts`` with that one step remembered per path, URL configuration and script
prefix (the rest, which site the page is on, is Wagtail's, read as it reads it). Outlets
with Wagtail's internationalisation on, and pages on more than one site, go Wagtail's way.
"""

import functools

from django.conf import settings
from django.core.signals import setting_changed
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from wagtail.models import Site

from masthead.core.fragments import site_fragment


class _Changed(Exception):
    """What resolving depends on is no longer what the request started with."""


@functools.lru_cache(maxsize=16_384)
def _served_path(path, urlconf, root_urlconf, script_prefix):
    """``reverse("wagtail_serve", args=(path,))`` for this URL configuration and prefix
    (the last three arguments are the key: ``reverse`` reads them itself). Raises
    ``_Changed``, and so remembers nothing, when they are not what ``reverse`` would read
    now (a request's, read when it started, changed since)."""
    if (get_urlconf(), settings.ROOT_URLCONF, get_script_prefix()) != (
        urlconf,
        root_urlconf,
        script_prefix,
    ):
        raise _Changed
    return reverse("wagtail_serve", args=(path,), urlconf=urlconf)


def _forget_served_paths(setting, **kwargs):
    if setting in {"ROOT_URLCONF", "FORCE_SCRIPT_NAME", "WAGTAIL_APPEND_SLASH"}:
        _served_path.cache_clear()


setting_changed.connect(_forget_served_paths)


def _resolving(request):
    """What ``reverse()`` depends on besides its arguments: the URL configuration (the
    request's own, if any, and the project's) and the script prefix. Django sets them when
    a request starts, so they are read once per request (a page links some fifty pages,
    and each read goes through Django's context-local state, a few µs); should they change
    during the request, ``_served_path`` notices when it works a path out, and remembers
    nothing under the request's stale values."""
    if request is None:
        return (get_urlconf(), settings.ROOT_URLCONF, get_script_prefix())
    found = request.__dict__.get("_masthead_resolving")
    if found is None:
        found = request._masthead_resolving = (
            get_urlconf(),
            settings.ROOT_URLCONF,
            get_script_prefix(),
        )
    return found


def site_root_paths():
    """Wagtail's ``Site.get_site_root_paths()``, kept per process until the generation
    changes (every change to a site or a page's place makes a new one): Wagtail reads them
    from the shared cache once per request, a file read or a round trip to Redis."""
    return site_fragment("core:site-root-paths", Site.get_site_root_paths, only_editors_change=True)


def remember_site_root_paths(request):
    """Give ``request`` the sites' root paths as Wagtail keeps them on a request, so that
    every page's URL on it, Wagtail's own way too (a page that is not of its specific
    type, such as the site's root in the header), reads the kept ones."""
    request._wagtail_cached_site_root_paths = site_root_paths()


class ServedUrlMixin:
    """Wagtail's ``Page.get_url_parts``, its ``reverse()`` remembered (see above), and the
    sites' root paths kept per process until the generation changes (Wagtail reads them
    from the shared cache once per request: a file read, or a round trip to Redis)."""

    def _get_site_root_paths(self, cache_object=None):
        cache_object = cache_object or self
        try:
            return cache_object._wagtail_cached_site_root_paths
        except AttributeError:
            paths = cache_object._wagtail_cached_site_root_paths = site_root_paths()
            return paths

    def get_url_parts(self, request=None):
        if settings.WAGTAIL_I18N_ENABLED:
            return super().get_url_parts(request=request)
        possible_sites = self._get_relevant_site_root_paths(request)
        if not possible_sites:
            return None
        if len({values[0] for values in possible_sites}) > 1:
            return super().get_url_parts(request=request)
        site_id, root_path, root_url, _language_code = possible_sites[0]
        path = self.url_path[len(root_path) :]
        try:
            try:
                page_path = _served_path(path, *_resolving(request))
            except _Changed:
                page_path = reverse("wagtail_serve", args=(path,))
        except NoReverseMatch:
            return (site_id, None, None)
        if not settings.WAGTAIL_APPEND_SLASH and page_path != "/":
            page_path = page_path.rstrip("/")
        return (site_id, root_url, page_path)
