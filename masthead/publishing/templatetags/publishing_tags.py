"""Template tags for the publication's parts of reader pages: the metadata in ``<head>``,
JSON-LD structured data, the header's current section, the footer's corrections link, and
the byline and type label every article card shows.

The card, the byline and the type label are tags, not included templates, because a
listing shows them on every card: an ``{% include %}`` of a few lines cost more than the whole
card's headline and picture (about a sixth of a home page's cold render for 33 cards), and the
card's own template, included 34 times, was a further tenth of it."""

import functools
import hashlib
import json
from pathlib import Path

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from wagtail.models import Page

from masthead.core.cache import sees_the_database
from masthead.core.escaping import escape, format_html
from masthead.core.fragments import Share, fragment_seconds, rendered_fragment, site_fragment
from masthead.core.templatetags.masthead_images import srcset_img
from masthead.core.templatetags.masthead_tags import day_html, request_key, storing_request
from masthead.core.templatetags.masthead_urls import remembered_reverse
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


# A card's picture: what ``{% srcset_image article.card_image fill-{400x267,800x533}
# format-webp sizes=... alt="" loading="lazy" %}`` would write.
CARD_PICTURE = ("fill-{400x267,800x533}", "format-webp")
CARD_PICTURE_SIZES = "(min-width: 64em) 20rem, (min-width: 40em) 45vw, 100vw"
# Cards rendered by another version of this module are not taken from the shared cache.
_CARD_SHARE = Share(
    dump=str,
    load=lambda data: mark_safe(data) if isinstance(data, str) else None,  # noqa: S308
    version=hashlib.blake2b(Path(__file__).read_bytes(), digest_size=16).hexdigest(),
)


@register.simple_tag(takes_context=True)
def article_card(context, article, heading="h3", compact=False):
    """An article's card in a listing: its picture (unless ``compact``), type, headline (an
    ``h3``, or an ``h2`` for any other ``heading``), standfirst (unless ``compact``), byline
    and day. The same wherever the article is listed with the same heading and size, so it
    is kept as a fragment (``masthead.core.fragments``): search results and listings reuse
    it. Written here rather than in an included template, which cost a tenth of a home page
    rendered afresh."""
    compact = bool(compact)
    request = context.get("request")
    storing = storing_request(context) if fragment_seconds() > 0 else None
    if storing is None:
        return _card(article, heading, compact, request)
    key = ("masthead:fragment", "card", request_key(storing), article.pk, heading, compact)
    return rendered_fragment(key, lambda: _card(article, heading, compact, request), _CARD_SHARE)


def _card(article, heading, compact, request):
    parts = ['<article class="card card--compact">' if compact else '<article class="card">']
    if not compact:
        picture = article.card_image
        if picture:
            attrs = {"sizes": CARD_PICTURE_SIZES, "alt": "", "loading": "lazy"}
            img = srcset_img(picture, CARD_PICTURE, attrs)
            parts.append(f'\n  <div class="card__image">{img}</div>')
    parts.append('\n  <div class="card__text">')
    # Looked up once for the card's words (its type, "By", "and", the month).
    language = get_language()
    label = type_label_html(article, language)
    if label:
        parts.append(f"\n    {label}")
    level = "h3" if heading == "h3" else "h2"
    url = escape(article.get_url(request=request))
    title = escape(article.title)
    parts.append(f'\n    <{level} class="card__headline"><a href="{url}">{title}</a></{level}>')
    if not compact:
        standfirst = escape(article.standfirst)
        parts.append(f'\n    <p class="card__standfirst">{standfirst}</p>')
    meta = byline_html(article.author_list, request, language)
    if article.first_published_at:
        meta = f"{meta} {day_html(article.first_published_at, language)}"
    parts.append(f'\n    <p class="card__meta">{meta}</p>\n  </div>\n</article>')
    return mark_safe("".join(parts))  # noqa: S308 - every value escaped above or by its tag


@register.simple_tag(takes_context=True)
def byline(context, authors):
    """ "By A, B and C": each author linked to their page while it is live (as ``pageurl``
    links it: relative on the request's own site). Nothing when there are no authors."""
    return byline_html(authors, context.get("request"))


def byline_html(authors, request, language=None):
    """The byline of ``authors`` for ``request`` (see ``byline``), in ``language`` when
    given (the active language, looked up by the caller)."""
    if not authors:
        return ""
    kept = _author_names(request)
    names = [_author_name(author, request, kept) for author in authors]
    if len(names) == 1:
        listed = names[0]
    else:
        others = SafeString(", ".join(map(escape, names[:-1])))
        listed = format_html("{} {} {}", others, translated("and", language), names[-1])
    return format_html('<span class="byline">{} {}</span>', translated("By", language), listed)


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
    return type_label_html(article)


def type_label_html(article, language=None):
    """What ``{% type_label article %}`` writes, in ``language`` when given."""
    if article.article_type == ArticlePage.ArticleType.NEWS:
        return ""
    # The choice's label directly: get_article_type_display() builds a dict of every
    # choice, translating each label to hash it, on every call.
    message = _type_messages().get(article.article_type)
    # A value no longer among the choices shows as it is.
    label = translated(message, language) if message is not None else article.article_type
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
def page_meta_tags(context):
    """The ``<meta>`` and ``<link>`` elements and the JSON-LD of the page being rendered
    (its ``PageMeta``, see ``page_meta``), for the ``head`` slot: the description, the
    canonical URL, Open Graph's and X's cards, an article's times, authors, section and
    topics, the feeds (the home page also offers the Atom feed) and the structured data.
    Written here rather than in a template, as a listing's cards are: about thirty template
    variables on every page rendered afresh."""
    meta = page_meta(context)
    if not meta:
        return ""
    description = escape(meta.description)
    canonical = escape(meta.canonical_url)
    title = escape(meta.title)
    tags = [
        f'<meta name="description" content="{description}">',
        f'<link rel="canonical" href="{canonical}">',
    ]
    if not meta.indexable:
        tags.append('<meta name="robots" content="noindex">')
    tags += [
        f'<meta property="og:type" content="{escape(meta.og_type)}">',
        f'<meta property="og:site_name" content="{escape(meta.site_name)}">',
        f'<meta property="og:title" content="{title}">',
        f'<meta property="og:description" content="{description}">',
        f'<meta property="og:url" content="{canonical}">',
        '<meta property="og:locale" content="en_GB">',
    ]
    if meta.image_url:
        tags.append(f'<meta property="og:image" content="{escape(meta.image_url)}">')
        if meta.image_alt:
            tags.append(f'<meta property="og:image:alt" content="{escape(meta.image_alt)}">')
    if meta.published_time:
        tags += [
            f'<meta property="article:published_time" content="{escape(meta.published_time)}">',
            f'<meta property="article:modified_time" content="{escape(meta.modified_time)}">',
        ]
    tags += [
        f'<meta property="article:author" content="{escape(url)}">' for url in meta.author_urls
    ]
    if meta.section:
        tags.append(f'<meta property="article:section" content="{escape(meta.section)}">')
    tags += [f'<meta property="article:tag" content="{escape(tag)}">' for tag in meta.tags]
    tags += [
        f'<meta name="twitter:card" content="{escape(meta.twitter_card)}">',
        f'<meta name="twitter:title" content="{title}">',
        f'<meta name="twitter:description" content="{description}">',
    ]
    if meta.image_url:
        tags.append(f'<meta name="twitter:image" content="{escape(meta.image_url)}">')
    page, root = context.get("page"), context.get("site_root")
    on_home = bool(page) and root is not None and page.pk == root.pk
    for position, feed in enumerate(meta.feeds):
        feed_title = escape(feed["title"])
        tags.append(
            f'<link rel="alternate" type="application/rss+xml" title="{feed_title}" '
            f'href="{escape(feed["url"])}">'
        )
        if position == 0 and on_home:
            tags.append(
                f'<link rel="alternate" type="application/atom+xml" title="{feed_title}" '
                f'href="{escape(remembered_reverse("feed_atom"))}">'
            )
    tags += [json_ld_script(document) for document in meta.json_ld]
    return SafeString("\n  " + "\n  ".join(tags) + "\n")


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
