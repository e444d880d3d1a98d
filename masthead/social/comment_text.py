"""The text of a comment: what is accepted, how a fediverse reply's HTML becomes text, and
how text is shown.

A comment is plain text, stored as typed. Nothing a commenter writes is ever HTML: it is
escaped when shown, and the only markup added is a paragraph per blank line, a line break
per newline, and a link for each ``http(s)://`` address, with ``rel="nofollow ugc"`` (so
that search engines give spammers nothing) and no other attribute. The checks refuse, each
with its own message, what has no business in a comment and would otherwise be shown
quietly defused: HTML tags, links with another scheme (``javascript:``, ``data:``...),
control characters (including the ones that reverse the direction of text), and bodies
over ``MAX_CHARS``.
"""

import re
import unicodedata
from html.parser import HTMLParser

from django.core.exceptions import ValidationError
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

MAX_CHARS = 5000
MAX_NAME_CHARS = 60
# Enough for a fediverse reply, which may be long: longer ones are cut, with an ellipsis.
MAX_REPLY_CHARS = MAX_CHARS

# A start or end tag, a comment or a declaration, as a browser would read one: "<" then a
# letter, "/" or "!". "<3" and "a < b" are not tags.
_TAG = re.compile(r"<\s*[/!?]?\s*[a-zA-Z][^>]*>|<!--")
_OTHER_SCHEME = re.compile(
    r"\b(?:java\s*script|vb\s*script|data|file|livescript|mocha)\s*:", re.IGNORECASE
)
# Direction overrides and isolates ("Trojan source"): they make text read differently from
# what it is. Zero-width joiners are left alone: emoji need them.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_KEPT_CONTROLS = frozenset("\n\t")
_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
# Punctuation that ends a sentence more often than it ends an address.
_TRAILING = ".,;:!?)]}'\""
_BLANK_LINE = re.compile(r"\n\s*\n")


def _is_refused_control(char):
    if char in _KEPT_CONTROLS:
        return False
    return char in _BIDI_CONTROLS or unicodedata.category(char) == "Cc"


def _has_control_characters(text):
    return any(_is_refused_control(char) for char in text)


def clean_text(value, *, max_chars, what):
    """``value`` with its line endings made ``\\n`` and its ends trimmed, or a
    ValidationError saying what is wrong with it. ``what`` names the field in messages."""
    text = (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if _has_control_characters(text):
        raise ValidationError(
            _("Your %(what)s contains invisible control characters: please type it again."),
            code="control_characters",
            params={"what": what},
        )
    if len(text) > max_chars:
        raise ValidationError(
            _(
                "Your %(what)s is %(length)s characters long: the most is %(most)s. Please "
                "shorten it."
            ),
            code="too_long",
            params={"what": what, "length": f"{len(text):,}", "most": f"{max_chars:,}"},
        )
    if _TAG.search(text):
        raise ValidationError(
            _(
                "Your %(what)s contains HTML tags such as <script> or <a>. Comments are "
                "plain text: write links as addresses (https://...) and they become links."
            ),
            code="markup",
            params={"what": what},
        )
    if _OTHER_SCHEME.search(text):
        raise ValidationError(
            _(
                "Your %(what)s contains a link that does not start with http:// or "
                "https:// (such as javascript:). Only web addresses are allowed."
            ),
            code="scheme",
            params={"what": what},
        )
    return text


def clean_body(value):
    """A comment's text, checked (see ``clean_text``); it must not be empty."""
    text = clean_text(value, max_chars=MAX_CHARS, what=_("comment"))
    if not text:
        raise ValidationError(_("Write your comment first."), code="empty")
    return text


def clean_name(value):
    """The name a commenter wants shown, checked, on one line; may be empty."""
    name = clean_text(value, max_chars=MAX_NAME_CHARS, what=_("name"))
    if "\n" in name or "\t" in name:
        raise ValidationError(_("Your name must fit on one line."), code="lines")
    return name


def _link(match):
    url = match.group(0)
    trailing = ""
    while url and url[-1] in _TRAILING:
        # An address ending in ")" keeps it when it opened one: Wikipedia's do.
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        trailing = url[-1] + trailing
        url = url[:-1]
    if len(url) <= len("https://"):
        return escape(match.group(0))
    return f'<a href="{escape(url)}" rel="nofollow ugc">{escape(url)}</a>{escape(trailing)}'


def _linked_line(line):
    parts = []
    position = 0
    for match in _URL.finditer(line):
        parts.append(escape(line[position : match.start()]))
        parts.append(_link(match))
        position = match.end()
    parts.append(escape(line[position:]))
    return "".join(parts)


def render(text):
    """Safe HTML for a comment's text: escaped, paragraphs and line breaks kept, addresses
    linked with ``rel="nofollow ugc"``."""
    paragraphs = [part.strip("\n") for part in _BLANK_LINE.split(text or "") if part.strip()]
    html = "".join(
        "<p>" + "<br>".join(_linked_line(line) for line in paragraph.split("\n")) + "</p>"
        for paragraph in paragraphs
    )
    return mark_safe(html)  # noqa: S308 - every piece of the text is escaped above


class _TextOfHTML(HTMLParser):
    """The text a reader sees in a fediverse post's HTML: paragraphs become blank lines,
    ``<br>`` a newline; scripts, styles and the like are dropped whole."""

    DROPPED = frozenset({"script", "style", "template", "iframe", "object", "svg", "math"})
    BLOCKS = frozenset({"p", "div", "blockquote", "li", "pre", "h1", "h2", "h3", "h4", "h5"})

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self.dropping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.DROPPED:
            self.dropping += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag):
        if tag in self.DROPPED:
            self.dropping = max(0, self.dropping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data):
        if not self.dropping:
            self.parts.append(data)


def text_of_html(html):
    """A fediverse reply's HTML as the plain text of a comment: tags gone, control
    characters and direction overrides removed, cut to ``MAX_REPLY_CHARS``. Nothing is
    refused: the reply was already sent; what it shows is only ever text."""
    parser = _TextOfHTML()
    parser.feed(html or "")
    parser.close()
    text = "".join(parser.parts).replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(char for char in text if not _is_refused_control(char))
    text = _BLANK_LINE.sub("\n\n", "\n".join(line.strip() for line in text.split("\n")))
    text = text.strip()
    if len(text) > MAX_REPLY_CHARS:
        text = text[: MAX_REPLY_CHARS - 1].rstrip() + "…"
    return text


def one_line(value, max_chars):
    """A name from elsewhere (a fediverse account's) made fit to show: one line, no
    control characters, at most ``max_chars``."""
    text = "".join(" " if _is_refused_control(char) else char for char in value or "")
    return " ".join(text.split())[:max_chars]
