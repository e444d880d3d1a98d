"""Template tags for the publication's parts of reader pages: the metadata in ``<head>``,
JSON-LD structured data, the header's current section, the footer's corrections link, and
the byline and type label every article card shows.

The byline and the type label are tags, not included templates, because a listing shows
them on every card: an ``{% include %}`` of a few lines cost more than the whole card's
headline and picture (about a sixth of a home page's cold render for 33 cards)."""

import functools
import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from wagtail.models import Page

from masthead.core.cache import sees_the_database
from masthead.core.fragments import site_fragment
from masthead.core.templatetags.masthead_tags import request_key
from masthead.core.translated import translated
from masthead.publishing.models import ArticlePage, CorrectionsPage
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
def byline(context, authors):
    """ "By A, B and C": each author linked to their page while it is live (as ``pageurl``
    links it: relative on the request's own site). Nothing when there are no authors."""
    if not authors:
        return ""
    request = context.get("request")
    kept = _author_names(request)
    names = [_author_name(author, request, kept) for author in authors]
    if len(names) == 1:
        listed = names[0]
    else:
        others = format_html_join(", ", "{}", ((name,) for name in names[:-1]))
        listed = format_html("{} {} {}", others, translated("and"), names[-1])
    return format_html('<span class="byline">{} {}</span>', translated("By"), listed)


def _author_names(request):
    """The bylines' author names (linked or not) this process has written for the request's
    site and address, by author: until any change (a new generation, see
    ``site_fragment``) and at most a minute. An author's page URL took a card as long as its
    headline. Nothing is kept for a render that sees the database (an editor's, or a preview)."""
    if request is None:
        return None
    if "_masthead_author_names" not in request.__dict__:  # once per request, not per card
        kept = None
        if not getattr(request, "is_preview", False) and not sees_the_database(request):
            kept = site_fragment(
                ("publishing:author-names", *request_key(request)), dict, only_editors_change=True
            )
        request._masthead_author_names = kept
    return request._masthead_author_names


def _author_name(author, request, names):
    # Keyed on what the name shows, so an author whose page differs from the one kept
    # (a preview's) is written afresh.
    key = (author.pk, author.title, author.live, author.url_path)
    name = names.get(key) if names is not None else None
    if name is None:
        if author.live:
            url = author.get_url(request=request)
            name = format_html('<a href="{}" rel="author">{}</a>', url, author.title)
        else:
            name = format_html("{}", author.title)
        if names is not None:
            names[key] = name
    return name


@register.simple_tag
def type_label(article):
    """The article's type (Opinion, Analysis...) as a label; nothing for plain news."""
    if article.article_type == ArticlePage.ArticleType.NEWS:
        return ""
    # The choice's label directly: get_article_type_display() builds a dict of every
    # choice, translating each label to hash it, on every call.
    message = _type_messages().get(article.article_type)
    # A value no longer among the choices shows as it is.
    label = translated(message) if message is not None else article.article_type
    return format_html('<p class="type-label type-label--{}">{}</p>', article.article_type, label)


@functools.cache
def _type_messages():
    """``{article type: its label's message}``, untranslated (``translated`` translates)."""
    with translation.override(None):
        return {kind.value: str(kind.label) for kind in ArticlePage.ArticleType}


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
    # On every page and the same for every reader: looked up once per generation per process.
    return site_fragment(
        ("publishing:corrections-page", root.pk),
        lambda: CorrectionsPage.objects.live().public().child_of(root).first(),
        only_editors_change=True,
    )
