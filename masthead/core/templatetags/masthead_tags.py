"""Template helpers for the reader-facing pages: embeds as link cards that play on a
click, safe links, share links, pagination links, the navigation's current section, the
places apps above fill (``{% slot %}``, ``masthead.core.slots``), and the rendered fragments
that every reader shares (``{% fragment %}``, ``{% page_fragment %}`` and their
``{% live %}`` holes)."""

import functools
import hashlib
import secrets
import sys
from datetime import datetime
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

from django import template
from django.conf import settings
from django.db.models import Model
from django.template.base import token_kwargs
from django.template.library import SimpleNode
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.timezone import get_current_timezone, template_localtime
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from wagtail.images.shortcuts import get_rendition_or_not_found
from wagtail.models import Page, Site

from masthead.core.cache import sees_the_database
from masthead.core.embeds import PLAYER_FEATURES, SANDBOX, player_for
from masthead.core.escaping import escape, format_html
from masthead.core.fragments import Share, fragment_seconds, rendered_fragment
from masthead.core.links import is_safe_link
from masthead.core.slots import slot_parts
from masthead.core.slots import slot_position as position_of_slot
from masthead.core.templatetags.masthead_images import img_tag, parsed_filter
from masthead.core.translated import translated

register = template.Library()


@register.filter
def host(url):
    """The host name of a URL without a leading "www.", for showing where a link goes."""
    hostname = urlsplit(str(url)).hostname or ""
    return hostname.removeprefix("www.")


# The months as django.utils.dates names them (the same messages, so the same translations).
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@register.simple_tag
def day(moment):
    """``moment`` as a ``<time>`` element showing its day ("4 December 2026"), in the
    current time zone: what ``<time datetime="{{ moment|date:'c' }}">{{ moment|date:"j F
    Y" }}</time>`` writes, without Django's date formatter, which cost a card a sixth of
    its time. Nothing for no moment.

    Remembered per moment (and its own zone: equal moments may be written in different
    ones), current time zone, language and ``USE_TZ``, which are what the element depends
    on: converting, formatting and escaping took about 20 µs, and every card shows one."""
    return day_html(moment)


def day_html(moment, language=None):
    """What ``{% day moment %}`` writes, in ``language`` when given (the active language,
    which the caller has looked up already)."""
    if not moment:
        return ""
    zone = get_current_timezone()
    language = language or get_language()
    return _day(moment, getattr(moment, "tzinfo", None), zone, language, settings.USE_TZ)


@functools.lru_cache(maxsize=8192)
def _day(moment, own_zone, zone, language, use_tz):
    local = template_localtime(moment)
    return format_html(
        '<time datetime="{}">{} {} {}</time>',
        local.isoformat(),
        local.day,
        translated(MONTH_NAMES[local.month - 1], language),
        f"{local.year:04d}",
    )


@register.filter
def safe_link(url):
    """``url`` when it is an absolute http(s) URL or a path on this site, otherwise "" (a
    link stored before links were checked, or written around the form, is left out)."""
    return url if is_safe_link(url) else ""


@register.simple_tag
def embed_or_link(value):
    """Render an embed block as a link card (title or host, the URL and the caption). When
    an allowed provider plays the link, the card also carries the player, which
    ``static/js/embeds.js`` loads in a sandboxed frame once the reader asks for it."""
    url = value.get("url") or ""
    context = {
        "url": url if is_safe_link(url) else "",
        "title": value.get("title") or "",
        "caption": value.get("caption"),
        "player": player_for(url),
        "sandbox": SANDBOX,
        "features": "; ".join(PLAYER_FEATURES),
    }
    return render_to_string("core/includes/embed_card.html", context)


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


@register.filter
def split_after_paragraphs(body, count):
    """Split a StreamField body after its ``count``-th paragraph block, for something placed
    inside an article (a slot, at its ``{% slot_position %}``). Returns (before, after);
    ``after`` is empty when the body has fewer paragraphs, or when ``count`` is 0 (place
    nothing)."""
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


@register.simple_tag(takes_context=True)
def nav_current(context):
    """Which navigation section the page is, and which it is in, as (section id or None,
    section id or None): the header's highlight, worked out from the pages' tree paths
    without a query, so the header can be reused for every page of a section."""
    page = context.get("page")
    if not isinstance(page, Page) or not page.path:
        return (None, None)
    sections = context.get("nav_sections") or ()
    is_section = page.pk if any(section.pk == page.pk for section in sections) else None
    parent_path = page.path[: -page.steplen]
    parents = [section.pk for section in sections if section.path == parent_path]
    return (is_section, parents[0] if parents else None)


# --- Slots -----------------------------------------------------------------------------------


def render_slot(name, context, values=None):
    """The templates apps registered for the slot ``name``, rendered one after the other as
    ``{% include %}`` would, with the page's context, each part's own context and
    ``values`` (the page's, winning); each template found once per render through the
    engine's cache. "" when no app fills it."""
    parts = slot_parts(name)
    if not parts:
        return ""
    templates = context.render_context.dicts[0].setdefault(_SLOT_TEMPLATES, {})
    output = []
    for part in parts:
        found = templates.get(part.template_name)
        if found is None:
            found = templates[part.template_name] = context.template.engine.get_template(
                part.template_name
            )
        with context.push(part.context), context.push(values or {}):
            output.append(found.render(context))
    return mark_safe("".join(output))  # noqa: S308 - rendered by the template engine


# Where a render keeps the slots' templates it found (its render context's first level).
_SLOT_TEMPLATES = "_masthead_slot_templates"


class SlotNode(template.Node):
    """``{% slot %}``: ``render_slot`` with the values the tag names."""

    def __init__(self, name, extra_context):
        self.name = name
        self.extra_context = extra_context

    def render(self, context):
        if not slot_parts(self.name):
            return ""
        values = {key: value.resolve(context) for key, value in self.extra_context.items()}
        return render_slot(self.name, context, values)


@register.tag
def slot(parser, token):
    """``{% slot "name" key=value ... %}``: the templates apps registered for the place
    ``name`` (``masthead.core.slots.register_slot``), with the page's context and the
    values given here; nothing when no app fills it."""
    bits = token.split_contents()
    if len(bits) < 2 or bits[1][0] not in "\"'" or bits[1][-1] != bits[1][0]:
        raise template.TemplateSyntaxError(f"{bits[0]} needs a quoted name.")
    remaining = bits[2:]
    extra_context = token_kwargs(remaining, parser)
    if remaining:
        raise template.TemplateSyntaxError(f"{bits[0]} takes only key=value pairs after its name.")
    return SlotNode(bits[1][1:-1], extra_context)


# --- The site's header and footer ------------------------------------------------------------
#
# Written here rather than in core/base.html: on a page rendered afresh (search, the shop,
# a first render after a publish) Django's template engine took about a millisecond for each,
# a tenth of a page, for a few dozen variables and loops. Both are still rendered fragments
# in the base template, so most requests reuse them; the apps' parts are still templates
# in their slots.


class _NoSettings:
    """What the header and footer show with no site settings in the context (a request
    for a host that is no site): what the template engine showed, empty values."""

    outlet_name = strapline = description = contact_email = ""
    newsletter_url = donate_url = ""
    logo = None

    @staticmethod
    def social_links():
        return ()


def _site_settings(context):
    return context.get("site_settings") or _NoSettings


def _social_list(links, css_class, label=""):
    """The outlet's social accounts as a list of links (``rel="me"``), nothing without any."""
    if not links:
        return ""
    labelled = f' aria-label="{escape(label)}"' if label else ""
    items = "".join(
        f'<li><a href="{escape(url)}" rel="me">{escape(name)}</a></li>' for _key, name, url in links
    )
    return f'<ul class="{css_class}"{labelled}>\n        {items}\n      </ul>'


def _logo(site_settings):
    logo = site_settings.logo
    if not logo:
        return f'<span class="brand__name">{escape(site_settings.outlet_name)}</span>'
    rendition = get_rendition_or_not_found(logo, parsed_filter("height-96"))
    return img_tag(rendition, {"class": "brand__logo", "alt": site_settings.outlet_name})


@register.simple_tag(takes_context=True)
def site_header(context, current):
    """The skip link and the site's header: the outlet's name or logo, strapline and social
    accounts, and the sections (``current``, from ``nav_current``, marks the one shown or
    the one it is in) followed by the ``nav`` slot. The ``body_start`` slot comes first."""
    request = context.get("request")
    site_settings = _site_settings(context)
    root = context.get("site_root")
    language = get_language()
    home = escape(root.get_url(request=request)) if root else "/"
    parts = [
        render_slot("body_start", context),
        '\n  <a class="skip-link" href="#main">',
        escape(translated("Skip to main content", language)),
        '</a>\n  <header class="site-header">\n    <div class="site-header__inner wrap">\n'
        f'      <a class="brand" href="{home}">\n        {_logo(site_settings)}\n      </a>\n',
    ]
    if site_settings.strapline:
        parts.append(f'      <p class="strapline">{escape(site_settings.strapline)}</p>\n')
    social = _social_list(
        site_settings.social_links(), "social social--header", translated("Follow us", language)
    )
    if social:
        parts.append(f"      {social}\n")
    parts.append(
        '    </div>\n    <nav class="site-nav" aria-label="'
        f'{escape(translated("Sections", language))}">\n      <ul class="site-nav__list wrap">\n'
    )
    shown, within = current or (None, None)
    for section in context.get("nav_sections") or ():
        if shown == section.pk:
            marked = ' aria-current="page"'
        elif within == section.pk:
            marked = ' aria-current="true"'
        else:
            marked = ""
        url = escape(section.get_url(request=request))
        parts.append(f'        <li><a href="{url}"{marked}>{escape(section.title)}</a></li>\n')
    parts.append(f"        {render_slot('nav', context)}\n      </ul>\n    </nav>\n  </header>")
    return mark_safe("".join(parts))  # noqa: S308 - every value escaped above or by its tag


@register.simple_tag(takes_context=True)
def site_footer_start(context):
    """The site's footer up to its sign-up form: the outlet's name, description and calls to
    act, the plain pages with the ``footer_links`` slot and the contact address, and the
    social accounts with the ``footer_follow`` slot. The sign-up form is the page's (a live
    block); ``site_footer_end`` closes the footer."""
    request = context.get("request")
    site_settings = _site_settings(context)
    language = get_language()
    name = escape(site_settings.outlet_name)
    parts = [
        '<footer class="site-footer">\n    <div class="wrap site-footer__inner">\n'
        '      <section class="site-footer__about" aria-labelledby="footer-outlet">\n'
        f'        <h2 id="footer-outlet" class="site-footer__name">{name}</h2>\n'
    ]
    if site_settings.description:
        parts.append(f"        <p>{escape(site_settings.description)}</p>\n")
    parts.append('        <ul class="footer-actions">\n')
    newsletter_link = safe_link(site_settings.newsletter_url)
    if newsletter_link:
        text = escape(translated("Get our newsletter", language))
        parts.append(
            f'          <li><a class="button" href="{escape(newsletter_link)}">{text}</a></li>\n'
        )
    donate_link = safe_link(site_settings.donate_url)
    if donate_link:
        text = escape(translated("Support us", language))
        parts.append(
            f'          <li><a class="button button--accent" href="{escape(donate_link)}">'
            f"{text}</a></li>\n"
        )
    about = escape(translated("About us", language))
    parts.append(
        "        </ul>\n      </section>\n"
        f'      <nav class="site-footer__links" aria-label="{about}">\n'
        f"        <h2>{about}</h2>\n        <ul>\n          "
    )
    for page in context.get("footer_pages") or ():
        url = escape(page.get_url(request=request))
        parts.append(f'<li><a href="{url}">{escape(page.title)}</a></li>')
    parts.append(f"\n          {render_slot('footer_links', context)}\n")
    email = site_settings.contact_email
    if email:
        contact = escape(translated("Contact", language))
        parts.append(
            f'          <li><a href="mailto:{escape(email)}">{contact}: {escape(email)}</a></li>\n'
        )
    follow = escape(translated("Follow us", language))
    parts.append(
        "        </ul>\n      </nav>\n"
        f'      <nav class="site-footer__social" aria-label="{follow}">\n'
        f"        <h2>{follow}</h2>\n"
    )
    social = _social_list(site_settings.social_links(), "social")
    if social:
        parts.append(f"        {social}\n")
    parts.append(
        f"        {render_slot('footer_follow', context)}\n      </nav>\n"
        '      <div class="site-footer__newsletter">\n        '
    )
    return mark_safe("".join(parts))  # noqa: S308 - every value escaped above or by its tag


@register.simple_tag(takes_context=True)
def site_footer_end(context):
    """The rest of the footer after its sign-up form: the ``footer_end`` slot and the
    copyright line (this year, in the current time zone)."""
    site_settings = _site_settings(context)
    year = datetime.now(tz=get_current_timezone() if settings.USE_TZ else None).year
    return mark_safe(  # noqa: S308 - every value escaped here or by its tag
        f"\n      </div>\n      {render_slot('footer_end', context)}\n    </div>\n"
        f'    <p class="wrap site-footer__legal">&copy; {year:04d} '
        f"{escape(site_settings.outlet_name)}</p>\n  </footer>"
    )


@register.simple_tag(takes_context=True)
def slot_position(context, name):
    """After how many paragraphs of a page's text the slot ``name`` goes (0: nowhere), as
    the apps filling it say."""
    return position_of_slot(name, context)


# --- Rendered fragments ----------------------------------------------------------------------

# While a fragment is rendered for the store, each {% live %} block inside it writes this
# marker instead of its content. Random per process, so no text an editor writes can match.
LIVE_MARKER = f"<!--live-{secrets.token_hex(8)}-->"
# The context variable that holds the live blocks met while a fragment is being stored.
CAPTURING = "_masthead_fragment_live_blocks"


def _key_part(value):
    """A model instance stands in a key for its table, its id and, for a page, when it was
    last published; anything else must be a plain value."""
    if isinstance(value, Model):
        changed = value.last_published_at if isinstance(value, Page) else None
        return (value._meta.label, value.pk, changed)
    if value is None or isinstance(value, (str, int, bool)):
        return value
    raise template.TemplateSyntaxError(f"A fragment cannot be keyed on {value!r}.")


def request_key(request):
    """What a fragment's links depend on in the request: its site (links to pages of
    another site are absolute) and the scheme and host absolute links are made from."""
    key = request.__dict__.get("_masthead_request_key")
    if key is None:  # worked out once per request: every card's byline asks
        site = Site.find_for_request(request)
        key = request._masthead_request_key = (
            site.pk if site else None,
            request.scheme,
            request.get_host(),
        )
    return key


def storing_request(context):
    """The request a fragment rendered with ``context`` is stored for, or None when this
    render must not use the store: no request (an email, the 500 page), an editor's
    preview, a visitor the page cache would not serve either (signed in, or with a flash
    message), or a fragment inside another (the outer one stores it)."""
    request = context.get("request")
    if request is None or getattr(request, "is_preview", False):
        return None
    if sees_the_database(request):
        return None
    if context.get(CAPTURING) is not None:
        return None
    return request


class LiveNode(template.Node):
    """``{% live %}...{% endlive %}`` inside a fragment: rendered for every request, with the
    page's own context (variables set inside the fragment, by ``with`` or ``for``, are not
    there). Outside a fragment it simply renders."""

    def __init__(self, nodelist):
        self.nodelist = nodelist

    def render(self, context):
        capturing = context.get(CAPTURING)
        if capturing is None:
            return self.nodelist.render(context)
        capturing.append(self)
        return LIVE_MARKER


class FragmentNode(template.Node):
    """Renders its content once per key and generation and reuses the HTML, filling in its
    ``{% live %}`` holes afresh each time."""

    child_nodelists = ("nodelist",)

    def __init__(self, name, keys, nodelist, per_page):
        self.name = name
        self.keys = keys
        self.nodelist = nodelist
        self.per_page = per_page

    def key(self, context):
        """The store key, or None when this render must not use the store (see
        ``storing_request``; and for a per-page fragment, no published page)."""
        request = storing_request(context)
        if request is None:
            return None
        parts = [_key_part(key.resolve(context)) for key in self.keys]
        if self.per_page:
            page = context.get("page")
            if not isinstance(page, Page) or page.pk is None:
                return None
            template_name = context.template.origin.template_name if context.template else ""
            parts = [template_name, _key_part(page), *parts]
        return ("masthead:fragment", self.name, request_key(request), *parts)

    def render(self, context):
        key = self.key(context) if fragment_seconds() > 0 else None
        if key is None:
            return self.nodelist.render(context)
        pieces, live_blocks = rendered_fragment(
            key, lambda: self.render_for_store(context), self.share()
        )
        output = [pieces[0]]
        for live, piece in zip(live_blocks, pieces[1:], strict=True):
            output.append(live.nodelist.render(context))
            output.append(piece)
        return mark_safe("".join(output))  # noqa: S308 - rendered by the template engine

    def share(self):
        """How this fragment goes through the shared cache: its text pieces, and its live
        blocks as their places among this fragment's own ``{% live %}`` nodes (the same in
        every process that parsed the same template and has the same modules for the tags
        written in Python inside it, which the version names)."""
        shared = getattr(self, "_share", None)
        if shared is None:
            lives = self.nodelist.get_nodes_by_type(LiveNode)
            places = {id(live): place for place, live in enumerate(lives)}
            source = ""
            origin = getattr(self, "origin", None)
            if origin is not None and origin.loader is not None:
                source = origin.loader.get_contents(origin)
            # What the tags written in Python inside it write (the header and the footer)
            # changes with their modules, not with the template.
            for module in sorted(
                {node.func.__module__ for node in self.nodelist.get_nodes_by_type(SimpleNode)}
            ):
                source += Path(sys.modules[module].__file__).read_text()
            version = hashlib.blake2b(source.encode(), digest_size=16).hexdigest()

            def dump(value):
                pieces, live_blocks = value
                if any(id(live) not in places for live in live_blocks):
                    return None  # a live block from an included template: not shared
                return pieces, tuple(places[id(live)] for live in live_blocks)

            def load(data):
                pieces, indices = data
                if any(index >= len(lives) for index in indices):
                    return None
                return pieces, tuple(lives[index] for index in indices)

            shared = self._share = Share(dump, load, f"{version}:{len(lives)}")
        return shared

    def render_for_store(self, context):
        """The fragment as (text pieces, live blocks between them); the live blocks are
        filled in by the caller, with the page's context, on this render as on later ones."""
        live_blocks = []
        with context.push({CAPTURING: live_blocks}):
            text = self.nodelist.render(context)
        pieces = tuple(text.split(LIVE_MARKER))
        if len(pieces) != len(live_blocks) + 1:
            raise template.TemplateSyntaxError(
                f"Fragment {self.name!r}: a {{% live %}} block's output was changed by a filter."
            )
        return pieces, tuple(live_blocks)


def _fragment_tag(parser, token, per_page):
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError(f"{bits[0]} needs a name.")
    name = bits[1].strip("\"'")
    keys = [parser.compile_filter(bit) for bit in bits[2:]]
    nodelist = parser.parse((f"end{bits[0]}",))
    parser.delete_first_token()
    return FragmentNode(name, keys, nodelist, per_page)


@register.tag
def fragment(parser, token):
    """``{% fragment "name" key ... %}...{% endfragment %}``: a part of the page that is the
    same for every reader of this site with the same keys (the header, the footer), rendered
    once per page-cache generation per process. Its ``{% live %}`` blocks are rendered for
    every request."""
    return _fragment_tag(parser, token, per_page=False)


@register.tag
def page_fragment(parser, token):
    """``{% page_fragment "name" key ... %}...{% endpage_fragment %}``: as ``fragment``, and
    keyed on the page being shown too (its id and when it was last published) and the
    template showing it. Where the context's ``page`` is no Wagtail page (search, the shop,
    error pages) it just renders."""
    return _fragment_tag(parser, token, per_page=True)


@register.tag
def live(parser, token):
    """``{% live %}...{% endlive %}``: inside a fragment, what must be rendered for every
    request (a sign-up form with its render time, the funding bar)."""
    nodelist = parser.parse(("endlive",))
    parser.delete_first_token()
    return LiveNode(nodelist)
