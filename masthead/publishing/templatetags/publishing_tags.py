"""Template tags for the publication's parts of reader pages: the metadata in ``<head>``,
JSON-LD structured data, the header's current section and the footer's corrections link."""

import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.safestring import mark_safe
from wagtail.models import Page

from masthead.core.fragments import site_fragment
from masthead.publishing.models import CorrectionsPage
from masthead.publishing.structured_data import page_meta as build_page_meta

register = template.Library()

# Written as JSON escapes, these characters can never close the <script> element, open a
# comment or start an entity, whatever text an editor or reader put in the data.
JSON_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def json_ld_script(data):
    """``data`` as a ``<script type="application/ld+json">`` element that is safe in HTML."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
    return mark_safe(  # noqa: S308 - every character that could break out is escaped above
        f'<script type="application/ld+json">{text.translate(JSON_SCRIPT_ESCAPES)}</script>'
    )


@register.simple_tag
def json_ld(data):
    """Render ``data`` (a dict or list) as a JSON-LD script element."""
    return json_ld_script(data)


@register.simple_tag(takes_context=True)
def page_meta(context):
    """The ``PageMeta`` of the page being rendered, or None where there is no request.

    Wagtail pages come as ``page``; other views may set ``meta_title``,
    ``meta_description`` and ``meta_noindex`` in their context.
    """
    request = context.get("request")
    if request is None:
        return None
    page = context.get("page")
    return build_page_meta(
        request,
        page=page if isinstance(page, Page) else None,
        title=context.get("meta_title", ""),
        description=context.get("meta_description", ""),
        indexable=not context.get("meta_noindex", False),
    )


@register.simple_tag(takes_context=True)
def corrections_page(context):
    """The site's live corrections page, if it has one, for the footer link."""
    root = context.get("site_root")
    if root is None:
        return None
    # On every page and the same for every reader: looked up once a second per process.
    return site_fragment(
        ("publishing:corrections-page", root.pk),
        lambda: CorrectionsPage.objects.live().public().child_of(root).first(),
    )
