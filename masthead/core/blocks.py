"""StreamField blocks shared by every page with a body: the article's building blocks."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock
from wagtail.snippets.blocks import SnippetChooserBlock

# Rich text offers only what the outlet's house style allows; anything else pasted in
# is stripped by Wagtail's whitelist.
PARAGRAPH_FEATURES = ["bold", "italic", "link", "ol", "ul"]


class HeadingBlock(blocks.StructBlock):
    """A subheading inside an article body (h2 or h3)."""

    text = blocks.CharBlock(max_length=200)
    level = blocks.ChoiceBlock(
        choices=[("h2", _("Heading")), ("h3", _("Subheading"))], default="h2"
    )

    class Meta:
        icon = "title"
        template = "blocks/heading_block.html"
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
        template = "blocks/image_block.html"


class PullQuoteBlock(blocks.StructBlock):
    """A line from the article itself, set large to draw the eye."""

    text = blocks.TextBlock(max_length=400)

    class Meta:
        icon = "openquote"
        template = "blocks/pull_quote_block.html"
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
        template = "blocks/block_quote_block.html"
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
        template = "blocks/embed_block.html"


class StatisticBlock(blocks.StructBlock):
    """A single figure set large, with what it measures and where it comes from."""

    figure = blocks.CharBlock(max_length=40, help_text=_("For example 42%, £1.2m or 3,400."))
    label = blocks.CharBlock(max_length=200, help_text=_("What the figure measures."))
    source_title = blocks.CharBlock(max_length=200)
    source_url = blocks.URLBlock(required=False)

    class Meta:
        icon = "order"
        template = "blocks/statistic_block.html"
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
        template = "blocks/callout_block.html"


class ProductBlock(blocks.StructBlock):
    """A product from the outlet's shop, shown as a card with its price and a link.

    The product is named by string so core does not import the shop; a product taken off
    sale shows only a quiet note, and a deleted one nothing.
    """

    product = SnippetChooserBlock("shop.Product")
    note = blocks.CharBlock(
        required=False,
        max_length=200,
        help_text=_("Optional line beside the product, e.g. why it fits this story."),
    )

    class Meta:
        icon = "tag"
        template = "blocks/product_block.html"


class BodyBlock(blocks.StreamBlock):
    """Everything an article, or any page with a body, can be made of."""

    paragraph = blocks.RichTextBlock(
        features=PARAGRAPH_FEATURES, icon="pilcrow", template="blocks/paragraph_block.html"
    )
    heading = HeadingBlock()
    image = ImageBlock()
    pull_quote = PullQuoteBlock()
    block_quote = BlockQuoteBlock()
    embed = EmbedBlock()
    statistic = StatisticBlock()
    callout = CalloutBlock()
    product = ProductBlock()
