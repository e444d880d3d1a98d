"""Ghost's Lexical body (Ghost 5 and 6: the ``lexical`` field of a post, a JSON document)
rendered to plain HTML, which ``transfer.html.to_blocks`` then makes into blocks.

The document is ``{"root": {"children": [...]}}``; each node has a ``type``:

- element nodes with ``children``: ``paragraph``, ``heading`` / ``extended-heading``
  (``tag`` h1 to h6), ``quote`` / ``extended-quote``, ``aside`` (Ghost's alternative quote
  style, kept as a quotation), ``list`` (``listType`` bullet, number or check; ``tag``),
  ``listitem``, ``link`` / ``autolink`` (``url``);
- text nodes: ``text`` / ``extended-text`` with ``format`` bits (1 bold, 2 italic, 4
  strikethrough, 8 underline, 16 code, 32 subscript, 64 superscript, 128 highlight),
  ``linebreak``, ``tab``;
- Ghost's cards: ``image`` (src, alt, caption, title), ``gallery`` (images), ``horizontalrule``,
  ``codeblock`` (code, language, caption), ``embed`` (url, html, caption), ``bookmark``
  (url, metadata.title/description, caption), ``callout`` (calloutText, calloutEmoji),
  ``html`` (html), ``markdown`` (markdown), ``toggle`` (heading, content), ``button``
  (buttonText, buttonUrl), ``video`` / ``audio`` / ``file`` (src), ``header``
  (header, subheader), ``paywall`` (the members-only divider), and the cards that only make
  sense inside Ghost (``signup``, ``email``, ``email-cta``, ``call-to-action``,
  ``product``, ``transistor``, ``collection``), which are left out.

Every card left out or approximated is named in the notes returned, for the import
report. The HTML is not trusted: ``to_blocks`` sanitises it.
"""

import json
from html import escape

from markdown_it import MarkdownIt

BOLD, ITALIC, STRIKETHROUGH, UNDERLINE, CODE, SUBSCRIPT, SUPERSCRIPT, HIGHLIGHT = (
    1,
    2,
    4,
    8,
    16,
    32,
    64,
    128,
)
# Outermost first, so the tags nest the same way every time.
FORMAT_TAGS = (
    (BOLD, "strong"),
    (ITALIC, "em"),
    (UNDERLINE, "u"),
    (STRIKETHROUGH, "s"),
    (CODE, "code"),
    (SUBSCRIPT, "sub"),
    (SUPERSCRIPT, "sup"),
    (HIGHLIGHT, "mark"),
)
# Cards that only mean something on a Ghost site (sign-up forms, email-only content...).
GHOST_ONLY_CARDS = frozenset(
    {"signup", "email", "email-cta", "call-to-action", "product", "transistor", "collection"}
)
MAX_DEPTH = 64


class LexicalError(ValueError):
    """The ``lexical`` field is not a Lexical document."""


def markdown_to_html(text):
    """Markdown (a Ghost markdown card) as HTML; raw HTML inside it is escaped."""
    return MarkdownIt("commonmark", {"html": False}).render(text or "")


def attribute(value):
    return escape(str(value or ""), quote=True)


def figure(inner, caption=""):
    caption = f"<figcaption>{caption}</figcaption>" if caption else ""
    return f"<figure>{inner}{caption}</figure>"


def image_html(src, alt="", caption="", title=""):
    if not src:
        return ""
    title = f' title="{attribute(title)}"' if title else ""
    return figure(f'<img src="{attribute(src)}" alt="{attribute(alt)}"{title}>', caption)


def embed_html(url, caption=""):
    """An embed in the shape ``to_blocks`` makes into an embed block."""
    caption = f"<figcaption>{caption}</figcaption>" if caption else ""
    return (
        '<figure class="wp-block-embed"><div class="wp-block-embed__wrapper">'
        f"{escape(url)}</div>{caption}</figure>"
    )


def link_paragraph(url, text=""):
    return f'<p><a href="{attribute(url)}">{escape(text or url)}</a></p>'


def render(document):
    """(html, notes) for a Lexical document (a JSON string or the parsed dict)."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError as error:
            raise LexicalError(f"the lexical field is not JSON ({error})") from None
        except RecursionError:
            raise LexicalError("the lexical field is nested too deeply") from None
    root = document.get("root") if isinstance(document, dict) else None
    if not isinstance(root, dict) or not isinstance(root.get("children", []), list):
        raise LexicalError("the lexical field has no root with children")
    renderer = CardRenderer()
    return renderer.children(root, 0), renderer.notes


class CardRenderer:
    def __init__(self):
        self.notes = []

    def note(self, text):
        if text not in self.notes:
            self.notes.append(text)

    def children(self, node, depth):
        if depth > MAX_DEPTH:
            raise LexicalError("the lexical document is nested too deeply")
        children = node.get("children") or []
        if not isinstance(children, list):
            return ""
        return "".join(self.node(child, depth + 1) for child in children if isinstance(child, dict))

    def node(self, node, depth):
        kind = str(node.get("type", ""))
        method = getattr(self, "node_" + kind.replace("-", "_"), None)
        if method is not None:
            return method(node, depth)
        if kind in GHOST_ONLY_CARDS:
            self.note(f"a Ghost {kind} card was left out: it only works on a Ghost site")
            return ""
        self.note(f"an unknown {kind or 'untyped'} card was left out")
        return ""

    # -- text --------------------------------------------------------------------------------

    def node_text(self, node, depth):
        text = escape(str(node.get("text", "")))
        format_bits = node.get("format", 0)
        if not isinstance(format_bits, int):
            format_bits = 0
        for bit, tag in reversed(FORMAT_TAGS):
            if format_bits & bit:
                text = f"<{tag}>{text}</{tag}>"
        return text

    node_extended_text = node_text

    def node_linebreak(self, node, depth):
        return "<br>"

    def node_tab(self, node, depth):
        return "\t"

    def node_link(self, node, depth):
        return f'<a href="{attribute(node.get("url"))}">{self.children(node, depth)}</a>'

    node_autolink = node_link
    node_at_link = node_link

    # -- elements ----------------------------------------------------------------------------

    def node_paragraph(self, node, depth):
        inner = self.children(node, depth)
        return f"<p>{inner}</p>" if inner.strip() else ""

    def node_heading(self, node, depth):
        tag = str(node.get("tag", "h2")).lower()
        if tag not in ("h1", "h2", "h3", "h4", "h5", "h6"):
            tag = "h2"
        return f"<{tag}>{self.children(node, depth)}</{tag}>"

    node_extended_heading = node_heading

    def node_quote(self, node, depth):
        return f"<blockquote><p>{self.children(node, depth)}</p></blockquote>"

    node_extended_quote = node_quote

    def node_aside(self, node, depth):
        self.note("an aside (Ghost's alternative quote style) became a quotation")
        return self.node_quote(node, depth)

    def node_list(self, node, depth):
        tag = "ol" if node.get("listType") == "number" or node.get("tag") == "ol" else "ul"
        if node.get("listType") == "check":
            self.note("a checklist became a bulleted list")
        return f"<{tag}>{self.children(node, depth)}</{tag}>"

    def node_listitem(self, node, depth):
        return f"<li>{self.children(node, depth)}</li>"

    # -- cards -------------------------------------------------------------------------------

    def node_image(self, node, depth):
        return image_html(
            node.get("src"), node.get("alt", ""), node.get("caption", ""), node.get("title", "")
        )

    def node_gallery(self, node, depth):
        images = node.get("images") or []
        caption = node.get("caption", "")
        self.note("a gallery became its images one after another")
        html = "".join(
            image_html(image.get("src"), image.get("alt", ""), image.get("caption", ""))
            for image in images
            if isinstance(image, dict)
        )
        return html + (f"<p>{caption}</p>" if caption else "")

    def node_horizontalrule(self, node, depth):
        return "<hr>"

    def node_codeblock(self, node, depth):
        caption = node.get("caption", "")
        code = f"<pre><code>{escape(str(node.get('code', '')))}</code></pre>"
        return code + (f"<p>{caption}</p>" if caption else "")

    def node_embed(self, node, depth):
        url = node.get("url") or ""
        if not url:
            self.note("an embed without an address was left out")
            return ""
        return embed_html(url, node.get("caption", ""))

    def node_bookmark(self, node, depth):
        url = node.get("url") or ""
        if not url:
            return ""
        metadata = node.get("metadata") or {}
        self.note("a bookmark card became a link")
        html = link_paragraph(url, metadata.get("title") or url)
        caption = node.get("caption", "")
        return html + (f"<p>{caption}</p>" if caption else "")

    def node_callout(self, node, depth):
        text = str(node.get("calloutText", ""))
        emoji = escape(str(node.get("calloutEmoji", "") or ""))
        self.note("a callout became an ordinary paragraph")
        if not text.lstrip().startswith("<"):
            text = f"<p>{text}</p>"
        return text.replace("<p>", f"<p>{emoji} ", 1) if emoji else text

    def node_html(self, node, depth):
        self.note("an HTML card was kept as far as the article's blocks allow")
        return str(node.get("html", ""))

    def node_markdown(self, node, depth):
        return markdown_to_html(str(node.get("markdown", "")))

    def node_toggle(self, node, depth):
        self.note("a toggle became its heading and its text")
        heading = str(node.get("heading", ""))
        content = str(node.get("content", ""))
        return f"<h3>{heading}</h3>{content}" if heading else content

    def node_button(self, node, depth):
        url = node.get("buttonUrl") or ""
        if not url:
            return ""
        self.note("a button became a link")
        return link_paragraph(url, node.get("buttonText") or url)

    def node_header(self, node, depth):
        self.note("a header card became a heading and a paragraph")
        header = str(node.get("header", "") or "")
        subheader = str(node.get("subheader", "") or "")
        return (f"<h2>{header}</h2>" if header else "") + (
            f"<p>{subheader}</p>" if subheader else ""
        )

    def _media(self, node, kind):
        src = node.get("src") or ""
        if not src:
            return ""
        self.note(f"a {kind} card became a link to its file (the file was not imported)")
        title = node.get("title") or node.get("fileTitle") or node.get("fileName") or src
        return link_paragraph(src, title)

    def node_video(self, node, depth):
        return self._media(node, "video")

    def node_audio(self, node, depth):
        return self._media(node, "audio")

    def node_file(self, node, depth):
        return self._media(node, "file")

    def node_paywall(self, node, depth):
        self.note("the members-only divider was dropped: the whole article is public here")
        return ""
