"""Ghost's Mobiledoc body (Ghost 1 to 4, and older posts in later exports: the ``mobiledoc``
field, a JSON document of Mobiledoc 0.3) rendered to plain HTML for
``transfer.html.to_blocks``.

A document is ``{"version": "0.3.x", "atoms": [...], "cards": [...], "markups": [...],
"sections": [...]}``:

- ``markups``: ``[tagName, [attrName, attrValue, ...]]`` (a, b, strong, i, em, u, s, code,
  sub, sup...);
- ``atoms``: ``[name, text, payload]``; Ghost's ``soft-return`` is a line break;
- ``cards``: ``[name, payload]``, rendered like the Lexical cards of the same names
  (``transfer.lexical``); ``card-markdown`` and ``markdown`` are Markdown; ``hr``; ``code``;
  ``image``; ``gallery``; ``embed``; ``bookmark``; ``html``; ...;
- ``sections``: ``[1, tagName, markers]`` a markup section (p, h1 to h6, blockquote, aside,
  pull-quote), ``[2, src]`` an image, ``[3, tagName, [markers, ...]]`` a list, ``[10,
  cardIndex]`` a card;
- ``markers``: ``[type, openMarkupIndexes, closedCount, value]``, type 0 text, 1 an atom.

Markups open and close in a stack as the markers say. Anything left out or approximated is
named in the notes.
"""

import json
from html import escape

from masthead.transfer import lexical

ALLOWED_SECTION_TAGS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "aside", "pull-quote"}
)
ALLOWED_MARKUPS = frozenset(
    {"a", "b", "strong", "i", "em", "u", "s", "strike", "del", "code", "sub", "sup", "mark"}
)


class MobiledocError(ValueError):
    """The ``mobiledoc`` field is not a Mobiledoc document."""


# Mobiledoc card names mapped to the Lexical node renderer with the same payload keys.
_CARD_AS_LEXICAL = {
    "image": "image",
    "gallery": "gallery",
    "hr": "horizontalrule",
    "embed": "embed",
    "bookmark": "bookmark",
    "callout": "callout",
    "html": "html",
    "toggle": "toggle",
    "button": "button",
    "video": "video",
    "audio": "audio",
    "file": "file",
    "header": "header",
    "paywall": "paywall",
    "signup": "signup",
    "email": "email",
    "email-cta": "email-cta",
    "product": "product",
}


def render(document, ghost_html=""):
    """(html, notes) for a Mobiledoc document (a JSON string or the parsed dict).

    ``ghost_html`` is the post's ``html`` field: a Markdown card is taken from it (Ghost
    wraps each card's output in ``<!--kg-card-begin: markdown-->`` comments) so it reads
    exactly as it did on Ghost; only when it cannot be found is the Markdown rendered here.
    """
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError as error:
            raise MobiledocError(f"the mobiledoc field is not JSON ({error})") from None
        except RecursionError:
            raise MobiledocError("the mobiledoc field is nested too deeply") from None
    if not isinstance(document, dict) or not isinstance(document.get("sections"), list):
        raise MobiledocError("the mobiledoc field has no sections")
    renderer = _Renderer(document, ghost_html)
    html = "".join(renderer.section(section) for section in document["sections"])
    return html, renderer.notes


def _ghost_card_outputs(ghost_html, name):
    """Each ``<!--kg-card-begin: name-->...<!--kg-card-end: name-->`` in Ghost's HTML."""
    outputs = []
    begin, end = f"<!--kg-card-begin: {name}-->", f"<!--kg-card-end: {name}-->"
    position = 0
    while True:
        start = ghost_html.find(begin, position)
        if start < 0:
            return outputs
        stop = ghost_html.find(end, start)
        if stop < 0:
            return outputs
        outputs.append(ghost_html[start + len(begin) : stop])
        position = stop + len(end)


class _Renderer:
    def __init__(self, document, ghost_html):
        self.atoms = document.get("atoms") or []
        self.cards = document.get("cards") or []
        self.markups = document.get("markups") or []
        self.lexical = lexical.CardRenderer()
        self.notes = self.lexical.notes
        self.markdown_outputs = _ghost_card_outputs(ghost_html or "", "markdown")
        self.markdown_seen = 0

    def note(self, text):
        self.lexical.note(text)

    # -- sections ----------------------------------------------------------------------------

    def section(self, section):
        if not isinstance(section, list) or not section:
            return ""
        kind = section[0]
        if kind == 1 and len(section) >= 3:
            return self.markup_section(str(section[1]).lower(), section[2])
        if kind == 2 and len(section) >= 2:
            return lexical.image_html(section[1])
        if kind == 3 and len(section) >= 3:
            tag = "ol" if str(section[1]).lower() == "ol" else "ul"
            items = "".join(
                f"<li>{self.markers(item)}</li>" for item in section[2] if isinstance(item, list)
            )
            return f"<{tag}>{items}</{tag}>"
        if kind == 10 and len(section) >= 2:
            return self.card(section[1])
        self.note(f"a section of unknown type {kind!r} was left out")
        return ""

    def markup_section(self, tag, markers):
        if tag not in ALLOWED_SECTION_TAGS:
            tag = "p"
        inner = self.markers(markers)
        if tag in ("blockquote", "aside", "pull-quote"):
            if tag != "blockquote":
                self.note(f"a {tag} section became a quotation")
            return f"<blockquote><p>{inner}</p></blockquote>"
        if tag == "p" and not inner.strip():
            return ""
        return f"<{tag}>{inner}</{tag}>"

    def markers(self, markers):
        if not isinstance(markers, list):
            return ""
        out, stack = [], []
        for marker in markers:
            if not isinstance(marker, list) or len(marker) < 4:
                continue
            kind, opens, closes, value = marker[:4]
            for index in opens if isinstance(opens, list) else []:
                tag, attributes = self.markup(index)
                stack.append(tag)
                out.append(f"<{tag}{attributes}>")
            if kind == 1:
                out.append(self.atom(value))
            else:
                out.append(escape(str(value)))
            for _ in range(min(int(closes or 0), len(stack))):
                out.append(f"</{stack.pop()}>")
        out.extend(f"</{tag}>" for tag in reversed(stack))
        return "".join(out)

    def markup(self, index):
        try:
            markup = self.markups[index]
            tag = str(markup[0]).lower()
        except (IndexError, TypeError):
            return "span", ""
        if tag not in ALLOWED_MARKUPS:
            return "span", ""
        attributes = markup[1] if len(markup) > 1 and isinstance(markup[1], list) else []
        pairs = dict(zip(attributes[::2], attributes[1::2], strict=False))
        if tag == "a" and pairs.get("href"):
            return tag, f' href="{lexical.attribute(pairs["href"])}"'
        return tag, ""

    def atom(self, index):
        try:
            name, text = self.atoms[index][0], self.atoms[index][1]
        except (IndexError, TypeError):
            return ""
        if name == "soft-return":
            return "<br>"
        return escape(str(text or ""))

    # -- cards -------------------------------------------------------------------------------

    def card(self, index):
        try:
            name, payload = self.cards[index][0], self.cards[index][1]
        except (IndexError, TypeError):
            self.note("a section named a card the document does not have")
            return ""
        payload = payload if isinstance(payload, dict) else {}
        if name in ("markdown", "card-markdown"):
            return self.markdown(payload)
        if name == "code":
            return self.lexical.node_codeblock(payload, 0)
        lexical_type = _CARD_AS_LEXICAL.get(name, name)
        return self.lexical.node({**payload, "type": lexical_type}, 0)

    def markdown(self, payload):
        number = self.markdown_seen
        self.markdown_seen += 1
        if number < len(self.markdown_outputs):
            return self.markdown_outputs[number]
        return lexical.markdown_to_html(str(payload.get("markdown", "")))
