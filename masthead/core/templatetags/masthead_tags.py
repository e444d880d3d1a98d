"""Template helpers for the reader-facing pages: embeds that never break a page, share
links, pagination links and the corrections page link."""

import logging
from urllib.parse import quote, urlencode, urlsplit

from django import template
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from wagtail.embeds import embeds

from masthead.core.fragments import site_fragment

register = template.Library()
logger = logging.getLogger("masthead.embeds")

# A provider that failed is not asked again for a while, so an uncached page that holds a
# dead embed does not wait on the network at every render.
EMBED_FAILURE_SECONDS = 15 * 60


def _embed_failure_key(url):
    return f"masthead:embed-failed:{embeds.get_embed_hash(url)}"


@register.filter
def host(url):
    """The host name of a URL without a leading "www.", for showing where a link goes."""
    hostname = urlsplit(str(url)).hostname or ""
    return hostname.removeprefix("www.")


@register.simple_tag
def embed_or_link(value):
    """Render an embed block: the provider's embed when it can be had, otherwise a plain
    link card (title or host, the URL and the caption), never an error."""
    url = value.get("url") or ""
    context = {"url": url, "title": value.get("title") or "", "caption": value.get("caption")}
    if url and cache.get(_embed_failure_key(url)) is None:
        try:
            embed = embeds.get_embed(url)
        except Exception:
            # Unknown provider, refused connection, timeout, bad response: readers get the link.
            logger.warning("Embed for %s could not be loaded; showing a link instead.", url)
            cache.set(_embed_failure_key(url), True, timeout=EMBED_FAILURE_SECONDS)
        else:
            if embed.html:
                context["embed"] = embed
                return render_to_string("includes/embed.html", context)
    return render_to_string("includes/embed_card.html", context)


@register.simple_tag(takes_context=True)
def share_links(context, page):
    """Plain share links for a page (no scripts, no trackers): a list of
    (network key, label, URL) to the networks' own share pages and to email."""
    request = context.get("request")
    url = page.get_full_url(request) or ""
    title = page.title
    text_and_url = f"{title} {url}"
    return [
        ("x", "X", "https://x.com/intent/post?" + urlencode({"url": url, "text": title})),
        (
            "facebook",
            "Facebook",
            "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": url}),
        ),
        ("whatsapp", "WhatsApp", "https://wa.me/?" + urlencode({"text": text_and_url})),
        (
            "bluesky",
            "Bluesky",
            "https://bsky.app/intent/compose?" + urlencode({"text": text_and_url}),
        ),
        (
            "email",
            _("Email"),
            f"mailto:?subject={quote(title, safe='')}&body={quote(url, safe='')}",
        ),
    ]


@register.simple_tag(takes_context=True)
def page_url(context, number):
    """The query string for page ``number`` of a listing, keeping the other parameters
    (such as a search's ``q``)."""
    request = context.get("request")
    if request is None:
        return f"?page={number}"
    query = request.GET.copy()
    query["page"] = number
    return "?" + query.urlencode()


@register.simple_tag(takes_context=True)
def corrections_page(context):
    """The site's live corrections page, if it has one, for the footer link."""
    from masthead.publishing.models import CorrectionsPage

    root = context.get("site_root")
    if root is None:
        return None
    # On every page and the same for every reader: looked up once a second per process.
    return site_fragment(
        ("publishing:corrections-page", root.pk),
        lambda: CorrectionsPage.objects.live().public().child_of(root).first(),
    )


@register.filter
def split_after_paragraphs(body, count):
    """Split a StreamField body after its ``count``-th paragraph block, for something (the
    newsletter sign-up) placed inside an article. Returns (before, after); ``after`` is
    empty when the body has fewer paragraphs, or when ``count`` is 0 (place nothing)."""
    blocks = list(body)
    try:
        count = int(count)
    except (TypeError, ValueError):
        count = 0
    if count <= 0:
        return blocks, []
    seen = 0
    for position, block in enumerate(blocks):
        if block.block_type == "paragraph":
            seen += 1
            if seen == count:
                return blocks[: position + 1], blocks[position + 1 :]
    return blocks, []
