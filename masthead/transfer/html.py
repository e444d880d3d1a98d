"""Imported HTML made into the article's StreamField blocks (see ``masthead.core.blocks``).

The interface every importer uses::

    blocks, notes = to_blocks(html, images=resolver)

``blocks`` is a list of ``(block_type, value)`` pairs ready for ``StreamField``;
``notes`` lists what was approximated (an unmapped shortcode kept as text, a table kept as
HTML) for the report. ``images`` is a callable ``(src, alt) -> Image or None`` that finds or
imports an image named in the body. Everything goes through the sanitiser that guards
rich text: scripts, styles and event handlers never survive.

First version: the whole body sanitised into paragraphs. The block-by-block conversion
replaces it.
"""

from wagtail.admin.rich_text.converters.editor_html import EditorHTMLConverter

from masthead.core.blocks import PARAGRAPH_FEATURES


def sanitise(html):
    """Keep only what the article's paragraph editor allows."""
    return EditorHTMLConverter(features=PARAGRAPH_FEATURES).to_database_format(html or "")


def to_blocks(html, images=None):
    cleaned = sanitise(html)
    return ([("paragraph", cleaned)] if cleaned.strip() else []), []
