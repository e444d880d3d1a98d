"""Template tags that let pages outside the shop (article bodies) show a product."""

from django import template

from masthead.core import page_tags
from masthead.shop.display import product_card as build_product_card
from masthead.shop.display import product_tag

register = template.Library()


@register.simple_tag
def product_card(product):
    """The ``ProductCard`` (price, "was" price, first picture, stock) of ``product``, or
    None when there is no product or it is not on sale. The page (or the article text)
    showing it is tagged with the product, before its stock is read, so it is rendered
    afresh when the product sells out or comes back."""
    if product is None or not product.live:
        return None
    page_tags.tag(product_tag(product.slug))
    return build_product_card(product)
