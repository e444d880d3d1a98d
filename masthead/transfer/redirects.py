"""Old addresses sent on to the pages they became, with Wagtail's redirects.

The interface the importers use::

    redirect_old_url(old, page, site=None) -> Redirect or None
    redirect_old_urls(olds, page, site, taken) -> None
    old_path(url) -> "/2020/01/15/a-post" or "/?p=123" or None

``redirect_old_urls`` is the importers' fast way for many pages: ``taken`` is a
``TakenPaths`` for the site, read once (every old path that has a redirect there), so a
path it does not hold is made without a look-up, and a page's new redirects are made in
one INSERT.

``old`` may be a full URL (``https://old.example/2020/01/a-post/``) or a path
(``/?p=123``): only its path and query are kept, normalised as Wagtail's redirects store
them. A redirect is permanent, made once per old path and site: a re-run (or a second
import naming the same old address) updates the one redirect to point at ``page``. Nothing
is made for an old address that is the site's root, or that is the page's own address now
(a loop).

Wagtail's ``RedirectMiddleware`` only looks at requests that end in a 404, and ``/?p=123``
is the home page, which answers 200; ``redirect_old_query_urls`` (a ``before_serve_page``
hook) therefore sends a request for any page whose query string names something other
than a listing's ``?page=`` to the redirect stored for that exact path and query, if
there is one. The page cache never answers such requests (``masthead.core.cache``), so the
hook always sees them.
"""

from urllib.parse import urlsplit

from django.http import HttpResponsePermanentRedirect, HttpResponseRedirect
from wagtail import hooks
from wagtail.contrib.redirects.middleware import get_redirect
from wagtail.contrib.redirects.models import Redirect
from wagtail.models import Site

# Query parameters that never name an old address: Masthead's own (pagination, the
# newsletter campaign of every link in a campaign email) and campaign tracking. A page
# asked with only these is served without a redirect look-up, so newsletter and UTM
# traffic costs no extra query.
OWN_PARAMETERS = frozenset(
    {
        "page",
        "mh_campaign",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "utm_term",
        "utm_content",
        "fbclid",
        "gclid",
    }
)


def old_path(url):
    """The normalised path and query of ``url`` (a full URL or a path), or None when it
    names no old address worth redirecting (empty, or the root itself)."""
    if not url or not str(url).strip():
        return None
    parts = urlsplit(str(url).strip())
    if parts.scheme and parts.scheme not in ("http", "https"):
        return None
    relative = parts.path or "/"
    if parts.query:
        relative = f"{relative}?{parts.query}"
    path = Redirect.normalise_path(relative)
    if path == "/" or len(path) > 255:
        return None
    return path


def redirect_old_url(old, page, site=None):
    """Make (or point again) the permanent redirect from ``old`` to ``page``; return it, or
    None when ``old`` names no address to redirect or is the page's own."""
    path = old_path(old)
    if path is None:
        return None
    site = site or page.get_site() or Site.objects.get(is_default_site=True)
    if _own_path(page, site) == path:
        return None
    redirect = Redirect.objects.filter(old_path=path, site=site).first()
    if redirect is None:
        return Redirect.objects.create(
            old_path=path, site=site, redirect_page=page, is_permanent=True
        )
    if redirect.redirect_page_id != page.pk or not redirect.is_permanent or redirect.redirect_link:
        redirect.redirect_page = page
        redirect.redirect_link = ""
        redirect.is_permanent = True
        redirect.save(update_fields=["redirect_page", "redirect_link", "is_permanent"])
    return redirect


class TakenPaths:
    """The old paths that have a redirect on ``site``, read once: a path not here has
    none (the import adds what it makes; what a failed item made stays here, which only
    costs a look-up)."""

    def __init__(self, site):
        self.site = site
        self.paths = set(Redirect.objects.filter(site=site).values_list("old_path", flat=True))


def redirect_old_urls(olds, page, site, taken):
    """``redirect_old_url`` for each of ``olds`` (to ``page`` on ``site``), the new ones
    made in one INSERT; ``taken`` is the site's ``TakenPaths``."""
    own = _own_path(page, site)
    new = {}
    for old in olds:
        path = old_path(old)
        if path is None or path == own or path in new:
            continue
        if path in taken.paths:
            redirect_old_url(path, page, site)
        else:
            new[path] = Redirect(old_path=path, site=site, redirect_page=page, is_permanent=True)
    Redirect.objects.bulk_create(new.values())
    taken.paths.update(new)


def _own_path(page, site):
    """The page's path on ``site``, normalised, or None when it is not under its root."""
    root = site.root_page.url_path
    if not page.url_path.startswith(root):
        return None
    return Redirect.normalise_path("/" + page.url_path[len(root) :])


@hooks.register("before_serve_page")
def redirect_old_query_urls(page, request, serve_args, serve_kwargs):
    """Send ``/?p=123`` and the like, which a live page would answer, to their redirect."""
    if not request.GET or set(request.GET) <= OWN_PARAMETERS:
        return None
    path = Redirect.normalise_path(request.get_full_path(), decode_unicode=False)
    redirect = get_redirect(request, path)
    if redirect is None or redirect.link is None:
        return None
    if redirect.is_permanent:
        return HttpResponsePermanentRedirect(redirect.link)
    return HttpResponseRedirect(redirect.link)
