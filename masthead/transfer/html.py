"""Imported HTML made into the article's StreamField blocks (see ``masthead.core.blocks``).

The interface every importer uses::

    cleaned = sanitise(html)
    blocks, notes = to_blocks(html, images=resolver)

``sanitise`` keeps only what the article's paragraph editor allows (Wagtail's editor-HTML
whitelister with ``PARAGRAPH_FEATURES``), after removing whole the elements whose content
is not text to read (scripts, styles, iframes, forms, SVG...), so no script survives even
as text; event handlers, styles and ``javascript:`` links never do.

``to_blocks`` returns ``blocks``, a list of ``(block_type, value)`` pairs ready for a
``StreamField(BodyBlock)``, and ``notes``, the list of what was approximated or left out,
in words for the import's report. ``images`` is a callable ``(src, alt) -> Image or None``
that finds or imports an image named in the body; ``src`` is the image's address, or
``"attachment:<id>"`` for a WordPress ``[gallery ids="..."]`` shortcode (a resolver that
does not know attachments returns None). Without ``images``, images are left out (noted).

What it reads:

- WordPress's block editor markup (``<!-- wp:paragraph -->`` and friends): the comments
  only delimit the blocks, so their HTML is read like any other, with the classes the
  blocks print (``wp-block-pullquote``, ``wp-block-embed``, ``wp-block-gallery``,
  ``wp-block-table``) telling them apart;
- classic HTML, where a blank line separates paragraphs and a single newline is a line
  break (what WordPress's ``wpautop`` does when it shows a post), and a line that is just
  the address of a video or post becomes an embed (WordPress's auto-embeds);
- shortcodes: ``[caption]`` becomes the image's caption, ``[gallery]`` its images,
  ``[embed]``, ``[video]``, ``[audio]`` and ``[youtube]`` an embed; any other is kept as text
  and named in the notes.

What each element becomes: paragraphs and lists a ``paragraph`` block (consecutive ones
together), ``h1``/``h2`` a ``heading`` at level h2 and ``h3``-``h6`` one at h3, an image (with
its figure's caption) an ``image`` block, a pull quote a ``pull_quote``, a quotation with
a ``cite`` a ``block_quote`` (without one, there is no one to attribute it to, so it is
kept as italic paragraphs, noted), tweets, YouTube/Vimeo iframes and embed figures an
``embed``. No block holds raw HTML, so a table becomes a paragraph per row with its cells
separated by " | " (header cells in bold), noted; a separator is dropped, noted.
"""

import re
import warnings
from functools import cache
from urllib.parse import urlsplit

from bs4 import (
    BeautifulSoup,
    Comment,
    Declaration,
    Doctype,
    MarkupResemblesLocatorWarning,
    NavigableString,
    ProcessingInstruction,
    Tag,
    XMLParsedAsHTMLWarning,
)
from wagtail.admin.rich_text.converters.editor_html import EditorHTMLConverter

from masthead.core.blocks import PARAGRAPH_FEATURES

# Elements whose content is not text a reader reads: removed whole, before the whitelist
# (which would keep their text).
REMOVED_WHOLE = frozenset(
    {
        "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet",
        "noscript", "template", "svg", "math", "form", "input", "button", "select",
        "textarea", "title", "head", "meta", "link", "base", "canvas", "audio", "video",
        "source", "track", "map", "dialog", "portal",
    }
)  # fmt: skip
BLOCK_TAGS = frozenset(
    {
        "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "blockquote", "figure", "table",
        "div", "section", "article", "aside", "header", "footer", "main", "pre", "hr",
        "iframe", "dl", "address", "details", "nav", "center", "video", "audio",
    }
)  # fmt: skip
CONTAINER_TAGS = frozenset(
    {"div", "section", "article", "aside", "header", "footer", "main", "center", "details", "nav"}
)
HEADING_MAX = 200
CAPTION_MAX = 300
ALT_MAX = 250
PULL_QUOTE_MAX = 400
ATTRIBUTION_MAX = 150
# Sites whose addresses WordPress embeds when they stand alone on a line.
EMBED_HOSTS = (
    "youtube.com", "youtu.be", "vimeo.com", "twitter.com", "x.com", "instagram.com",
    "facebook.com", "soundcloud.com", "spotify.com", "flickr.com", "tiktok.com",
    "dailymotion.com", "ted.com", "bsky.app", "mastodon.social", "reddit.com",
    "slideshare.net", "scribd.com", "imgur.com", "tumblr.com", "wordpress.tv",
)  # fmt: skip
EMBED_SHORTCODES = frozenset({"embed", "video", "audio", "youtube", "vimeo", "tweet"})

_SHORTCODE = re.compile(r"\[(\[?)([a-zA-Z][\w-]*)((?:\s[^\]]*)?)\](?:(.*?)\[/\2\])?(\]?)", re.S)
_ATTRIBUTE = re.compile(r"""([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|(\S+))""")
_BLANK_LINE = re.compile(r"\n\s*\n")
_SPACE = re.compile(r"\s+")
_URL_LINE = re.compile(r"^\s*(https?://\S+)\s*$")
_TAGS = re.compile(r"<[^>]*>")
# What must be removed before the whitelist can only be there if the markup has one of these
# element names just after a "<" (any case; a longer name matches too, which is only
# cautious), or a comment, declaration or processing instruction ("<!", "<?"): markup with
# none of them goes to the whitelist without being parsed and written out once more.
_MAYBE_HOSTILE = re.compile(
    "<(?:[!?]|" + "|".join(sorted(REMOVED_WHOLE, key=len, reverse=True)) + ")", re.IGNORECASE
)

# A body that is just an address is text to convert, not a file name given by mistake.
warnings.filterwarnings("ignore", category=MarkupResemblesLocatorWarning)


def _strip_hostile(soup):
    for element in soup.find_all(REMOVED_WHOLE):
        element.decompose()
    for comment in soup.find_all(string=lambda text: isinstance(text, Comment)):
        comment.extract()


@cache
def _paragraph_converter():
    return EditorHTMLConverter(features=PARAGRAPH_FEATURES)


def sanitise(html):
    """Keep only what the article's paragraph editor allows."""
    html = html or ""
    if _MAYBE_HOSTILE.search(html):
        soup = BeautifulSoup(html, "html.parser")
        _strip_hostile(soup)
        html = str(soup)
    return _paragraph_converter().to_database_format(html)


def _text(node):
    if node is None:
        return ""
    text = node if isinstance(node, str) else node.get_text(" ")
    return _SPACE.sub(" ", text).strip()


def _cut(text, limit):
    if len(text) <= limit:
        return text, False
    return text[: limit - 1].rsplit(" ", 1)[0] + "…", True


def shortcode_attributes(text):
    return {m[1].lower(): m[2] or m[3] or m[4] or "" for m in _ATTRIBUTE.finditer(text or "")}


def embed_url(url):
    """The address to embed for ``url`` (an iframe's player address becomes the video's
    page), or None when it is not on a site WordPress embeds."""
    url = (url or "").strip()
    parts = urlsplit(url if "://" in url else f"https:{url}" if url.startswith("//") else url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower().removeprefix("www.").removeprefix("m.")
    if host in ("youtube.com", "youtube-nocookie.com") and parts.path.startswith("/embed/"):
        return f"https://www.youtube.com/watch?v={parts.path.split('/')[2]}"
    if host == "player.vimeo.com" and parts.path.startswith("/video/"):
        return f"https://vimeo.com/{parts.path.split('/')[2]}"
    if any(host == known or host.endswith(f".{known}") for known in EMBED_HOSTS):
        return parts._replace(scheme="https").geturl()
    return None


class _Converter:
    def __init__(self, images):
        self.images = images
        self.blocks = []
        self.notes = []
        self.inline = []  # rich text waiting to be a paragraph
        self.rich = []  # paragraphs and lists waiting to be one paragraph block

    # -- output ---------------------------------------------------------------------------

    def note(self, text):
        if text not in self.notes:
            self.notes.append(text)

    def flush_inline(self):
        markup = "".join(self.inline).strip()
        self.inline = []
        if not markup:
            return
        chunks = [chunk.strip() for chunk in _BLANK_LINE.split(markup)]
        for chunk in chunks:
            if chunk:
                self.paragraph_html(chunk.replace("\n", "<br>"))

    def paragraph_html(self, inner, tag="p"):
        url = _URL_LINE.match(_TAGS.sub("", inner))
        if url and tag == "p" and "<img" not in inner and embed_url(url[1]):
            self.embed(url[1])
            return
        self.rich.append(f"<{tag}>{inner}</{tag}>")

    def flush(self):
        """Make what is waiting one paragraph block, sanitised once as a whole."""
        self.flush_inline()
        if self.rich:
            cleaned = sanitise("".join(self.rich)).strip()
            self.rich = []
            if _TAGS.sub("", cleaned).strip():
                self.blocks.append(("paragraph", cleaned))

    def add(self, block_type, value):
        self.flush()
        self.blocks.append((block_type, value))

    def embed(self, url, caption=""):
        target = embed_url(url) or url
        if urlsplit(target).scheme not in ("http", "https"):
            self.note(f"an embed of {url!r} was left out: it is not a web address")
            return
        caption, cut = _cut(caption, CAPTION_MAX)
        if cut:
            self.note("an embed's caption was cut to 300 characters")
        self.add("embed", {"url": target, "title": "", "caption": caption})

    def image(self, src, alt="", caption=""):
        src = (src or "").strip()
        if not src:
            return
        found = self.images(src, alt) if self.images else None
        if found is None:
            self.note(f"the image {src} was left out: it could not be imported")
            return
        alt, _ = _cut(_SPACE.sub(" ", alt or "").strip(), ALT_MAX)
        caption, cut = _cut(caption, CAPTION_MAX)
        if cut:
            self.note(f"the caption of {src} was cut to 300 characters")
        self.add("image", {"image": found, "alt_text": alt, "caption": caption, "credit": ""})

    # -- reading --------------------------------------------------------------------------

    def walk(self, nodes):
        for node in list(nodes):
            if isinstance(node, (Comment, Declaration, Doctype, ProcessingInstruction)):
                continue
            if isinstance(node, NavigableString):
                self.inline.append(_escape(str(node)))
                continue
            if not isinstance(node, Tag):
                continue
            name = node.name
            if name in BLOCK_TAGS or (node.find(BLOCK_TAGS) is not None and name != "a"):
                self.flush_inline()
                self.block(node)
            elif name == "img":
                self.flush()
                self.image(node.get("src"), node.get("alt", ""))
            elif name == "a" and node.find("img") is not None:
                for image in node.find_all("img"):
                    self.flush()
                    self.image(image.get("src"), image.get("alt", ""))
                    image.decompose()
                if _text(node):
                    self.inline.append(str(node))
            elif name == "br":
                self.inline.append("\n")
            else:
                self.inline.append(str(node))

    def block(self, node):
        name = node.name
        classes = set(node.get("class") or ())
        if name == "p":
            self.paragraph(node)
        elif name in ("ul", "ol"):
            self.rich_list(node)
        elif name in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.heading(node)
        elif name == "blockquote" or "wp-block-pullquote" in classes:
            self.quote(node)
        elif name == "figure":
            self.figure(node)
        elif name == "table":
            self.table(node)
        elif name == "hr":
            self.note("a separator (horizontal rule) was left out: no block draws one")
        elif name == "iframe":
            self.iframe(node)
        elif name == "pre":
            lines = [_escape(line) for line in node.get_text().splitlines()]
            self.paragraph_html("<br>".join(lines))
            self.note("preformatted text became a plain paragraph")
        elif "gallery" in classes or "wp-block-gallery" in classes or "tiled-gallery" in classes:
            self.gallery(node)
        elif {"wp-block-embed", "wp-block-embed__wrapper"} & classes:
            self.figure(node)
        else:
            self.walk(node.children)

    def paragraph(self, node):
        for iframe in node.find_all("iframe"):
            self.flush()
            self.iframe(iframe)
            iframe.decompose()
        for image in node.find_all("img"):
            holder = image.parent if image.parent.name == "a" else image
            self.flush()
            self.image(image.get("src"), image.get("alt", ""))
            holder.extract() if holder is not image else image.decompose()
        inner = node.decode_contents()
        self.inline.append(inner)
        self.flush_inline()

    def rich_list(self, node):
        self.flush_inline()
        for image in node.find_all("img"):
            self.image(image.get("src"), image.get("alt", ""))
            image.decompose()
        self.rich.append(str(node))

    def heading(self, node):
        text = _text(node)
        if not text:
            return
        text, cut = _cut(text, HEADING_MAX)
        if cut:
            self.note("a heading was cut to 200 characters")
        level = "h2" if node.name in ("h1", "h2") else "h3"
        self.add("heading", {"text": text, "level": level})

    def quote(self, node):
        classes = set(node.get("class") or ())
        if "twitter-tweet" in classes or "instagram-media" in classes:
            links = [a.get("href", "") for a in node.find_all("a")]
            status = [link for link in links if "/status/" in link or "instagram.com/p/" in link]
            if status or links:
                self.embed((status or links)[-1].split("?")[0])
                return
        cite = node.find(["cite", "footer"])
        attribution = _text(cite)
        if cite is not None:
            cite.extract()
        paragraphs = [_text(p) for p in node.find_all("p")] or [_text(node)]
        paragraphs = [text for text in paragraphs if text]
        if not paragraphs:
            return
        quote = "\n\n".join(paragraphs)
        pull = "wp-block-pullquote" in classes or (
            node.parent is not None and "wp-block-pullquote" in (node.parent.get("class") or ())
        )
        if pull:
            text, cut = _cut(quote, PULL_QUOTE_MAX)
            if cut:
                self.note("a pull quote was cut to 400 characters")
            self.add("pull_quote", {"text": text})
        elif attribution:
            attribution, cut = _cut(attribution.lstrip("\u2014\u2013- "), ATTRIBUTION_MAX)
            if cut:
                self.note("a quotation's attribution was cut to 150 characters")
            self.add(
                "block_quote",
                {"quote": quote, "attribution": attribution, "role": "", "source_url": ""},
            )
        else:
            self.flush()
            for text in paragraphs:
                self.rich.append(f"<p><i>{_escape(text)}</i></p>")
            self.flush()
            self.note(
                "a quotation without an attribution was kept as italic text (a quotation "
                "block needs to say who said it)"
            )

    def figure(self, node):
        classes = set(node.get("class") or ())
        caption_node = node.find("figcaption", recursive=False)
        caption = _text(caption_node)
        if caption_node is not None:
            caption_node.extract()
        if "wp-block-pullquote" in classes or node.find("blockquote") is not None:
            quote = node.find("blockquote") or node
            if "wp-block-pullquote" in classes:
                quote["class"] = [*quote.get("class", []), "wp-block-pullquote"]
            self.quote(quote)
            return
        if "wp-block-gallery" in classes or len(node.find_all("img")) > 1:
            self.gallery(node)
            return
        if "wp-block-embed" in classes or "wp-block-embed__wrapper" in classes:
            url = _text(node.find(class_="wp-block-embed__wrapper") or node)
            iframe = node.find("iframe")
            if not url and iframe is not None:
                url = iframe.get("src", "")
            self.embed(url, caption)
            return
        if node.find("table") is not None:
            self.table(node.find("table"))
            return
        image = node.find("img")
        if image is not None:
            self.image(image.get("src"), image.get("alt", ""), caption)
            return
        iframe = node.find("iframe")
        if iframe is not None:
            self.iframe(iframe, caption)
            return
        self.walk(node.children)

    def gallery(self, node):
        images = node.find_all("img")
        for image in images:
            holder = image.find_parent(["figure", "li", "dl"])
            caption = ""
            if holder is not None and holder is not node:
                caption = _text(holder.find(["figcaption", "dd"]))
            self.image(image.get("src"), image.get("alt", ""), caption)
        if images:
            self.note("a gallery became one image block per picture")

    def iframe(self, node, caption=""):
        url = embed_url(node.get("src", ""))
        if url:
            self.embed(url, caption)
        else:
            self.note(f"an iframe of {node.get('src', '')!r} was left out")

    def table(self, node):
        self.flush()
        for row in node.find_all("tr"):
            cells = []
            for cell in row.find_all(["th", "td"]):
                text = _escape(_text(cell))
                cells.append(f"<b>{text}</b>" if cell.name == "th" else text)
            if any(cells):
                self.rich.append(f"<p>{' | '.join(cells)}</p>")
        caption = _text(node.find("caption"))
        if caption:
            self.rich.insert(0, f"<p><b>{_escape(caption)}</b></p>")
        self.flush()
        self.note(
            "a table became a paragraph per row, its cells separated by ' | ' (no block "
            "holds a table)"
        )


def _escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _shortcodes(html, notes):
    """Shortcodes made into the HTML they stand for; unknown ones kept as text, named."""

    def replace(match):
        if match[1] and match[5]:  # [[escaped]] prints as [escaped]
            return match[0][1:-1]
        name = match[2].lower()
        attributes = shortcode_attributes(match[3])
        content = match[4] or ""
        if name in ("caption", "wp_caption"):
            caption = attributes.get("caption", "")
            inner = BeautifulSoup(content, "html.parser")
            image = inner.find("img")
            if image is not None:
                holder = image.parent if image.parent and image.parent.name == "a" else image
                holder.extract()
                caption = caption or inner.get_text(" ").strip()
                return (
                    f"\n\n<figure>{image}<figcaption>{_escape(caption)}</figcaption></figure>\n\n"
                )
            return content
        if name == "gallery":
            ids = [part.strip() for part in attributes.get("ids", "").split(",") if part.strip()]
            if not ids:
                notes.append("a [gallery] without ids (the post's attached images) was left out")
                return ""
            figures = "".join(f'<img src="attachment:{_escape(i)}" alt="">' for i in ids)
            return f'\n\n<figure class="wp-block-gallery">{figures}</figure>\n\n'
        if name in EMBED_SHORTCODES:
            url = (
                content.strip()
                or attributes.get("url", "")
                or attributes.get("src", "")
                or attributes.get("mp4", "")
                or attributes.get("id", "")
            )
            if name == "youtube" and url and "://" not in url:
                url = f"https://www.youtube.com/watch?v={url}"
            wrapper = '<div class="wp-block-embed__wrapper">'
            return f'\n\n<figure class="wp-block-embed">{wrapper}{_escape(url)}</div></figure>\n\n'
        notes.append(f"the shortcode [{match[2]}] was kept as text: nothing here does what it did")
        return match[0]

    return _SHORTCODE.sub(replace, html)


def is_block_markup(html):
    return "<!-- wp:" in (html or "")


def to_blocks(html, images=None):
    """``(blocks, notes)`` for ``html``, classic or block editor markup."""
    notes = []
    html = _shortcodes(html or "", notes)
    with warnings.catch_warnings():  # a body that looks like XML or an address is still a body
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(html, "html.parser")
    for comment in soup.find_all(string=lambda text: isinstance(text, Comment)):
        _read_block_comment(comment, notes)
        comment.extract()
    for element in soup.find_all(REMOVED_WHOLE - {"iframe"}):
        element.decompose()
    converter = _Converter(images)
    converter.notes = notes
    converter.walk(soup.children)
    converter.flush()
    # the same note once, in the order first met
    return converter.blocks, list(dict.fromkeys(converter.notes))


def _read_block_comment(comment, notes):
    """Note block editor blocks that carry no HTML of their own (latest posts, ...)."""
    text = str(comment).strip()
    if not text.startswith("wp:") or not text.endswith("/"):
        return
    name = text[3:].split(None, 1)[0].rstrip("/")
    if name not in ("more", "nextpage", "separator", "spacer"):
        notes.append(f"the dynamic block wp:{name} was left out: its content is made by WordPress")


__all__ = ["embed_url", "is_block_markup", "sanitise", "to_blocks"]
