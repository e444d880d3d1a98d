"""The shop's block for article bodies, added to core's body from the shop's wiring."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.snippets.blocks import SnippetChooserBlock


class ProductBlock(blocks.StructBlock):
    """A product from the outlet's shop, shown as a card with its price and a link.

    A product taken off sale shows only a quiet note, and a deleted one nothing.
    """

    # Named by string, as the body's definition in publishing's migrations names it.
    product = SnippetChooserBlock("shop.Product")
    note = blocks.CharBlock(
        required=False,
        max_length=200,
        help_text=_("Optional line beside the product, e.g. why it fits this story."),
    )

    class Meta:
        icon = "tag"
        template = "shop/blocks/product_block.html"
