"""StreamField blocks shared by every page with a body: the article's building blocks.

Other apps add blocks of their own to every body (the shop its product card) with
``register_body_block()`` from their wiring, so core names none of them. A body is a
``StreamField(BodyBlock)``: given the class, Wagtail builds the stream block the first time
it is needed, which is after every app's ``ready()`` has run, so the body holds every
registered block. ``BodyBlock`` refuses to be built earlier, and ``register_body_block``
to register later, so a block can never be silently missing from one body.
"""

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images import get_image_model
from wagtail.images.blocks import ImageChooserBlock

# Rich text offers only what the outlet's house style allows; anything else pasted in
# is stripped by Wagtail's whitelist.
PARAGRAPH_FEATURES = ["bold", "italic", "link", "ol", "ul"]


class ParagraphBlock(blocks.RichTextBlock):
    """The article's text: one or more paragraphs with the house style's formatting."""

    class Meta:
        icon = "pilcrow"
        template = "core/blocks/paragraph_block.html"
        description = _("Text: paragraphs with bold, italics, links and lists.")
        preview_value = (
            "<p>The council will publish the <b>full figures</b> before it meets on Thursday, "
            "its leader said.</p>"
        )


class HeadingBlock(blocks.StructBlock):
    """A subheading inside an article body (h2 or h3)."""

    text = blocks.CharBlock(max_length=200)
    level = blocks.ChoiceBlock(
        choices=[("h2", _("Heading")), ("h3", _("Subheading"))], default="h2"
    )

    class Meta:
        icon = "title"
        template = "core/blocks/heading_block.html"
        description = _("A subheading that breaks a long article into parts.")
        preview_value = {"text": "What happens next", "level": "h2"}


class ImageBlock(blocks.StructBlock):
    """An image with its caption and credit, shown at the body's width."""

    image = ImageChooserBlock()
    alt_text = blocks.CharBlock(
        required=False,
        max_length=250,
        help_text=_("Describe the image for readers who cannot see it; defaults to its title."),
    )
    caption = blocks.CharBlock(required=False, max_length=300)
    credit = blocks.CharBlock(required=False, max_length=120)

    class Meta:
        icon = "image"
        template = "core/blocks/image_block.html"
        description = _("A picture at the width of the text, with its caption and credit.")
        preview_value = {
            "alt_text": "Readers at long tables in a bright reading room",
            "caption": "The reading room after its refit.",
            "credit": "Photograph: Masthead",
        }

    def get_preview_value(self):
        """The preview's caption and credit under the newest image in the library (an empty
        library previews nothing)."""
        newest = get_image_model().objects.order_by("-created_at", "-pk").first()
        return self.normalize({**self.meta.preview_value, "image": newest})


class PullQuoteBlock(blocks.StructBlock):
    """A line from the article itself, set large to draw the eye."""

    text = blocks.TextBlock(max_length=400)

    class Meta:
        icon = "openquote"
        template = "core/blocks/pull_quote_block.html"
        description = _("A line from the article itself, set large to draw the eye.")
        preview_value = {"text": "The library is the last warm room on the high street."}


class BlockQuoteBlock(blocks.StructBlock):
    """A statement by a person or organisation, quoted at length with its attribution."""

    quote = blocks.TextBlock()
    attribution = blocks.CharBlock(max_length=150, help_text=_("Who said or wrote it."))
    role = blocks.CharBlock(
        required=False, max_length=150, help_text=_("Their role or organisation.")
    )
    source_url = blocks.URLBlock(required=False, help_text=_("Where the statement was made."))

    class Meta:
        icon = "openquote"
        template = "core/blocks/block_quote_block.html"
        description = _("Someone's words quoted at length, with who said them and where.")
        preview_value = {
            "quote": "We will publish the full figures before the council meets.",
            "attribution": "A spokesperson",
            "role": "Riverside District Council",
        }


class EmbedBlock(blocks.StructBlock):
    """A post or video from another site, embedded through Wagtail's embed finders.

    When the provider cannot be reached (or is not one Wagtail knows), readers get a plain
    link card instead: an embed never breaks the article.
    """

    url = blocks.URLBlock(help_text=_("Link to the post or video."))
    title = blocks.CharBlock(
        required=False,
        max_length=200,
        help_text=_("Shown on the link card if the embed cannot be loaded."),
    )
    caption = blocks.CharBlock(required=False, max_length=300)

    class Meta:
        icon = "media"
        template = "core/blocks/embed_block.html"
        description = _(
            "A post or video from another site; readers get a plain link if it cannot be loaded."
        )
        # No embed finder knows this address, so the preview is the link card, with no
        # request to another site.
        preview_value = {
            "url": "https://www.example.org/council-meeting-video",
            "title": "Video of the council meeting",
            "caption": "The vote, filmed by the council.",
        }


class StatisticBlock(blocks.StructBlock):
    """A single figure set large, with what it measures and where it comes from."""

    figure = blocks.CharBlock(max_length=40, help_text=_("For example 42%, £1.2m or 3,400."))
    label = blocks.CharBlock(max_length=200, help_text=_("What the figure measures."))
    source_title = blocks.CharBlock(max_length=200)
    source_url = blocks.URLBlock(required=False)

    class Meta:
        icon = "order"
        template = "core/blocks/statistic_block.html"
        description = _("One figure set large, with what it measures and its source.")
        preview_value = {
            "figure": "38%",
            "label": "of bus routes in the county run less than hourly",
            "source_title": "County transport survey",
        }


class CalloutBlock(blocks.StructBlock):
    """A boxed aside: background, a key fact, or where to get help."""

    title = blocks.CharBlock(max_length=120)
    body = blocks.RichTextBlock(features=PARAGRAPH_FEATURES)
    tone = blocks.ChoiceBlock(
        choices=[("info", _("Background")), ("help", _("Where to get help")), ("key", _("Key"))],
        default="info",
    )

    class Meta:
        icon = "help"
        template = "core/blocks/callout_block.html"
        description = _("A boxed aside: background, a key fact, or where to get help.")
        preview_value = {
            "title": "Where to get help",
            "body": "<p>The county's advice line is open every day from 8am to 8pm.</p>",
            "tone": "help",
        }


# Blocks other apps add to every body, by name, in the order they were registered.
_contributed_blocks = {}


def register_body_block(name, block):
    """Offer ``block`` as ``name`` in every body, after core's own blocks.

    Called from an app's wiring in ``AppConfig.ready()``. Its name, options and place in
    the order are part of the body's definition in migrations, like core's own blocks.
    """
    if apps.ready:
        raise ImproperlyConfigured(
            f"Body block {name!r} registered after the apps were ready; register it from "
            "the app's wiring in AppConfig.ready()."
        )
    _contributed_blocks[name] = block


class BodyBlock(blocks.StreamBlock):
    """Everything an article, or any page with a body, can be made of: core's blocks, then
    those other apps registered with ``register_body_block()``."""

    paragraph = ParagraphBlock(features=PARAGRAPH_FEATURES)
    heading = HeadingBlock()
    image = ImageBlock()
    pull_quote = PullQuoteBlock()
    block_quote = BlockQuoteBlock()
    embed = EmbedBlock()
    statistic = StatisticBlock()
    callout = CalloutBlock()

    def __init__(self, local_blocks=None, **kwargs):
        if not apps.ready:
            raise ImproperlyConfigured(
                "The body was built before every app registered its blocks; give StreamField "
                "the BodyBlock class, not an instance, so Wagtail builds it when first needed."
            )
        super().__init__([*_contributed_blocks.items(), *(local_blocks or ())], **kwargs)
