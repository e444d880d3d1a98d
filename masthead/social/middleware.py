"""Content negotiation for pages: a fediverse server that asks for an article's or an
author's page with ``Accept: application/activity+json`` (how a URL pasted into Mastodon's
search is resolved) gets the ActivityPub object instead of the HTML.

It runs before the page cache, whose key ignores Accept, so a cached HTML page is never
answered to such a request and JSON is never cached in place of the page.
"""

from django.http import Http404

from masthead.core.sites import find_site
from masthead.publishing.models import ArticlePage, AuthorPage
from masthead.social import actors, documents
from masthead.social.models import LocalActor
from masthead.social.views import activity_response

ACTIVITY_TYPES = ("application/activity+json", "application/ld+json")


def wants_activity_json(request):
    # META, not request.headers: this runs for every request, and building request.headers
    # costs more than a whole answer from the page cache does.
    if request.method not in ("GET", "HEAD"):
        return False
    accept = request.META.get("HTTP_ACCEPT", "")
    return any(kind in accept for kind in ACTIVITY_TYPES)


class ActivityJsonMiddleware:
    """Answer ActivityPub requests for article and author pages (see the module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if wants_activity_json(request) and not request.path.startswith(("/social/", "/admin/")):
            response = self.negotiate(request)
            if response is not None:
                return response
        return self.get_response(request)

    def negotiate(self, request):
        site = find_site(request)
        if site is None:
            return None
        components = [part for part in request.path.split("/") if part]
        try:
            page = site.root_page.specific.route(request, components).page
        except Http404:
            return None
        if not page.live or page.get_view_restrictions():
            return None
        page = page.specific
        if isinstance(page, ArticlePage):
            document = documents.article_object(page, actors.outlet_actor())
            return activity_response({"@context": documents.CONTEXT, **document})
        if isinstance(page, AuthorPage):
            actor = LocalActor.objects.filter(author_page=page, federated=True).first()
            if actor is not None:
                return activity_response(documents.actor_document(actor))
        return None
