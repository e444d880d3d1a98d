"""The shop's block for article bodies, added to core's body from the shop's wiring."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.snippets.blocks import SnippetChooserBlock

from masthead.shop.display import live_products


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
        description = _("A product from the shop: its picture, price and a link to it.")
        preview_value = {"note": "Printed by the volunteers in this story."}

    def get_preview_value(self):
        """The preview's note beside the first product on sale (none when nothing is)."""
        return self.normalize({**self.meta.preview_value, "product": live_products().first()})
