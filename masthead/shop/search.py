"""The shop's group in the site search: a few products on sale that match the query,
registered with core's search sources from the shop's wiring."""

import functools

from wagtail.search.backends import get_search_backend

from masthead.shop.display import product_card, with_card_data
from masthead.shop.models import Product

# The shop's matches are a short group beside the articles.
SEARCH_RESULTS = 4
SEARCH_TEMPLATE = "shop/includes/search_results.html"
SEARCH_STYLESHEETS = ("shop/shop.css",)


def search_products(query, limit=SEARCH_RESULTS):
    """Up to ``limit`` cards of products on sale matching ``query``, best match first."""
    # The matches are read with what their cards show, in the search's own page query.
    results = get_search_backend().search(query, _products_on_sale()._chain())
    return [product_card(product) for product in results[:limit]]


@functools.cache
def _products_on_sale():
    """The products on sale with what their cards show, as a queryset built once per
    process and copied for each search (as a class-based view copies its ``queryset``):
    building it, with its prefetches, was a fiftieth of a search page. Never run."""
    return with_card_data(Product.objects.live())
