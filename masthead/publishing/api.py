"""Wagtail API v2, read-only: pages and images.

Wagtail already answers most malformed parameters with a 400 and a message, and serves
only live, public pages and images outside restricted collections. What we add closes
the gaps where a bad parameter reached the database and came back as a server error:

- ``?search=`` is cleaned as the reader search cleans it (SQLite's full-text index reads
  a stray double quote as syntax) and capped at the same length; ``?search_operator=``
  must be ``and`` or ``or``;
- ``?offset=`` beyond any real result is a 400 (too big for the database's integers);
- ``find/?id=`` must be a whole number.
"""

import re

from django.utils.translation import gettext as _
from wagtail.api.v2.filters import SearchFilter
from wagtail.api.v2.pagination import WagtailPagination
from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.utils import BadRequestError
from wagtail.api.v2.views import PagesAPIViewSet
from wagtail.images.api.v2.views import ImagesAPIViewSet

from masthead.publishing.views import MAX_QUERY_LENGTH, clean_query

SEARCH_OPERATORS = ("and", "or")
# Also short enough for every database's integer column.
WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")
MAX_OFFSET = 1_000_000_000


class CleanSearchFilter(SearchFilter):
    """Wagtail's ``?search=`` with the query cleaned as the reader search cleans it, and
    refused with a 400 when it is longer than the reader search allows or names an
    operator the search backend does not know."""

    def filter_queryset(self, request, queryset, view):
        if "search" not in request.GET:
            return super().filter_queryset(request, queryset, view)
        query = clean_query(request.GET["search"])
        if len(query) > MAX_QUERY_LENGTH:
            raise BadRequestError(
                _("search queries can be at most %(limit)d characters long")
                % {"limit": MAX_QUERY_LENGTH}
            )
        operator = request.GET.get("search_operator")
        if operator is not None and operator.lower() not in SEARCH_OPERATORS:
            raise BadRequestError(_("search_operator must be 'and' or 'or'"))
        # The filter reads the query from request.GET, so it gets a copy with the clean one.
        parameters = request.GET.copy()
        parameters["search"] = query
        request._request.GET = parameters
        return super().filter_queryset(request, queryset, view)


def _with_clean_search(filter_backends):
    return [
        CleanSearchFilter if backend is SearchFilter else backend for backend in filter_backends
    ]


class BoundedPagination(WagtailPagination):
    """Wagtail's ``?offset=``/``?limit=`` paging, with an offset past any possible result
    refused with a 400 (the database would otherwise fail on a number too big for it)."""

    def paginate_queryset(self, queryset, request, view=None):
        offset = request.GET.get("offset", "0")
        if offset.isascii() and offset.isdigit() and int(offset) > MAX_OFFSET:
            raise BadRequestError(
                _("offset cannot be higher than %(limit)d") % {"limit": MAX_OFFSET}
            )
        return super().paginate_queryset(queryset, request, view)


class CheckedFindMixin:
    """``find/?id=`` answers a 400 for an id that is not a whole number (Wagtail's own
    lookup would fail with a server error)."""

    def find_object(self, queryset, request):
        if "id" in request.GET and not WHOLE_NUMBER.fullmatch(request.GET["id"]):
            raise BadRequestError(_("id must be a positive integer"))
        return super().find_object(queryset, request)


class PublicationPagesAPIViewSet(CheckedFindMixin, PagesAPIViewSet):
    """Live, public pages of the site the request is for; read-only."""

    filter_backends = _with_clean_search(PagesAPIViewSet.filter_backends)
    pagination_class = BoundedPagination


class PublicationImagesAPIViewSet(CheckedFindMixin, ImagesAPIViewSet):
    """Images outside restricted collections; read-only."""

    filter_backends = _with_clean_search(ImagesAPIViewSet.filter_backends)
    pagination_class = BoundedPagination


api_router = WagtailAPIRouter("wagtailapi")
api_router.register_endpoint("pages", PublicationPagesAPIViewSet)
api_router.register_endpoint("images", PublicationImagesAPIViewSet)
