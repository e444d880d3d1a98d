"""Wagtail API v2, read-only: pages and images.

Wagtail serves only live, public pages. Its image endpoint would list every image in the
library with a link to its original file, photos uploaded for drafts and embargoed stories
included, so ours lists only the images readers can already see: those the live, public
pages use (hero images, pictures in a body, author photos; found through Wagtail's
reference index) and the site's logo. The endpoint stays because a page's body gives its
pictures by id only, and this is where a reader of the API turns that id into a picture.
Instead of the original (which the web server does not serve) each image has a rendition
no wider than the site's own pages show. Image tags are the newsroom's filing, not for
readers, and are left out.

Wagtail already answers most malformed parameters with a 400 and a message. What we add
closes the gaps where a bad parameter reached the database and came back as a server error:

- ``?search=`` is cleaned as the reader search cleans it (SQLite's full-text index reads
  a stray double quote as syntax) and capped at the same length; ``?search_operator=``
  must be ``and`` or ``or``;
- ``?offset=`` beyond any real result is a 400 (too big for the database's integers);
- ``find/?id=`` must be a whole number.
"""

import re

from django.contrib.contenttypes.models import ContentType
from django.db.models import BigIntegerField, CharField, Q
from django.db.models.functions import Cast
from django.utils.translation import gettext as _
from wagtail.api.v2.filters import SearchFilter
from wagtail.api.v2.pagination import WagtailPagination
from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.utils import BadRequestError
from wagtail.api.v2.views import BaseAPIViewSet, PagesAPIViewSet
from wagtail.images import get_image_model
from wagtail.images.api.fields import ImageRenditionField
from wagtail.images.api.v2.serializers import ImageSerializer
from wagtail.images.api.v2.views import ImagesAPIViewSet
from wagtail.models import Page, ReferenceIndex

from masthead.core.models import SiteSettings
from masthead.publishing.views import MAX_QUERY_LENGTH, clean_query

SEARCH_OPERATORS = ("and", "or")
# The widest picture the site's own pages show (an article's hero image).
IMAGE_RENDITION_SPEC = "max-1600x1600"
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


def images_readers_can_see():
    """A filter for the images that live, public pages use and for the site's logo."""
    public_pages = (
        Page.objects.live().public().annotate(text_id=Cast("pk", CharField())).values("text_id")
    )
    used_by_public_pages = ReferenceIndex.objects.filter(
        base_content_type=ContentType.objects.get_for_model(Page),
        object_id__in=public_pages,
        to_content_type=ContentType.objects.get_for_model(get_image_model()),
    ).values(image_id=Cast("to_object_id", BigIntegerField()))
    logos = SiteSettings.objects.exclude(logo=None).values("logo_id")
    return Q(pk__in=used_by_public_pages) | Q(pk__in=logos)


class PublicImageSerializer(ImageSerializer):
    """An image as the API shows it: a rendition in place of the original file."""

    rendition = ImageRenditionField(IMAGE_RENDITION_SPEC, source="*", read_only=True)


class PublicationImagesAPIViewSet(CheckedFindMixin, ImagesAPIViewSet):
    """Images readers can already see on live, public pages (and the logo), outside
    restricted collections, each with a rendition and no link to its original; read-only."""

    base_serializer_class = PublicImageSerializer
    filter_backends = _with_clean_search(ImagesAPIViewSet.filter_backends)
    pagination_class = BoundedPagination
    body_fields = [*BaseAPIViewSet.body_fields, "title", "width", "height", "rendition"]
    meta_fields = list(BaseAPIViewSet.meta_fields)
    listing_default_fields = [*BaseAPIViewSet.listing_default_fields, "title", "rendition"]
    nested_default_fields = [*BaseAPIViewSet.nested_default_fields, "title", "rendition"]

    def get_queryset(self):
        return super().get_queryset().filter(images_readers_can_see())


api_router = WagtailAPIRouter("wagtailapi")
api_router.register_endpoint("pages", PublicationPagesAPIViewSet)
api_router.register_endpoint("images", PublicationImagesAPIViewSet)
