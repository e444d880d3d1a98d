"""Template tags that let pages outside the shop (article bodies) show a product."""

from django import template

from masthead.shop.display import product_card as build_product_card

register = template.Library()


@register.simple_tag
def product_card(product):
    """The ``ProductCard`` (price, "was" price, first picture, stock) of ``product``, or
    None when there is no product or it is not on sale."""
    if product is None or not product.live:
        return None
    return build_product_card(product)
