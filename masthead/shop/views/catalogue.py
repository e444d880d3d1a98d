"""The shop's reader pages: the shop home, a category's products and a product's page.

They are the same for every visitor, so the page cache keeps them whole: nothing here may
depend on who is looking (no cart count, no CSRF token; the add-to-cart form posts without
one and the cart view defends itself). Only products on sale are shown; anything else, and
any category or product that does not exist, is a 404.

Each names its page-cache tag before reading any stock (``display``), so an item selling
out or coming back clears only the pages that show it.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _

from masthead.core import page_tags
from masthead.publishing.models import paginate
from masthead.shop.display import (
    CATALOGUE_TAG,
    PRODUCT_RENDITIONS,
    THUMBNAIL_RENDITIONS,
    Availability,
    availability,
    category_tag,
    live_products,
    product_card,
    product_tag,
    with_card_data,
)
from masthead.shop.models import Category, Product, ShopSettings

PRODUCTS_PER_PAGE = 24
FEATURED_LIMIT = 4
SCHEMA_AVAILABILITY = {
    Availability.IN_STOCK: "https://schema.org/InStock",
    Availability.LOW_STOCK: "https://schema.org/LimitedAvailability",
    Availability.SOLD_OUT: "https://schema.org/OutOfStock",
}


def _shop_settings(request):
    settings = ShopSettings.for_request(request)
    if settings is None:
        raise Http404(_("There is no site at this address."))
    return settings


def _cards(products):
    return [product_card(product) for product in products]


def shop_home(request):
    """The shop's front: its categories, the featured products and every product on sale,
    a page at a time. When the shop is closed the catalogue stays visible with a notice."""
    page_tags.tag(CATALOGUE_TAG)
    shop = _shop_settings(request)
    products = paginate(request, with_card_data(live_products()), per_page=PRODUCTS_PER_PAGE)
    featured = []
    if products.number == 1:
        featured = _cards(with_card_data(live_products().filter(featured=True))[:FEATURED_LIMIT])
    categories = (
        Category.objects.filter(products__live=True).distinct().order_by("sort_order", "name")
    )
    context = {
        "shop": shop,
        "categories": categories,
        "featured": featured,
        "products": products,
        "cards": _cards(products),
        "meta_title": _("Shop"),
        "meta_description": _("Merchandise whose profits help fund our journalism."),
    }
    return render(request, "shop/home.html", context)


def category(request, slug):
    """The products on sale in one category, a page at a time."""
    page_tags.tag(category_tag(slug))
    shop = _shop_settings(request)
    found = get_object_or_404(Category, slug=slug)
    products = paginate(
        request,
        with_card_data(live_products().filter(category=found)),
        per_page=PRODUCTS_PER_PAGE,
    )
    context = {
        "shop": shop,
        "category": found,
        "categories": Category.objects.filter(products__live=True)
        .distinct()
        .order_by("sort_order", "name"),
        "products": products,
        "cards": _cards(products),
        "meta_title": found.name,
        "meta_description": found.description
        or _("%(category)s from our shop.") % {"category": found.name},
    }
    return render(request, "shop/category.html", context)


def product(request, slug):
    """A product's page: pictures, price, description and the variant picker, which posts to
    the cart without JavaScript."""
    page_tags.tag(product_tag(slug))
    shop = _shop_settings(request)
    renditions = (*PRODUCT_RENDITIONS, *THUMBNAIL_RENDITIONS)
    found = get_object_or_404(with_card_data(Product.objects.live(), renditions), slug=slug)
    card = product_card(found)
    choices = [(variant, availability(variant)) for variant in card.variants]
    context = {
        "shop": shop,
        "product": found,
        "card": card,
        "choices": choices,
        "Availability": Availability,
        "option_legend": " / ".join(found.option_names) or _("Choose one"),
        "can_buy": shop.is_open and card.in_stock,
        "structured_data": _product_json_ld(request, found, card, shop),
        "meta_title": found.title,
        "meta_description": found.summary or strip_tags(found.description),
    }
    return render(request, "shop/product.html", context)


def _decimal(amount):
    """Minor units as the decimal string schema.org expects ("18.00")."""
    return f"{amount // 100}.{amount % 100:02d}"


def _product_json_ld(request, product, card, shop):
    """schema.org ``Product`` with one ``Offer`` per variant, for search engines."""
    url = request.build_absolute_uri(product.get_absolute_url())
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.title,
        "url": url,
        "category": product.category.name,
        "description": product.summary or strip_tags(product.description),
        "offers": [
            {
                "@type": "Offer",
                "sku": variant.sku,
                "name": variant.label or product.title,
                "price": _decimal(variant.price),
                "priceCurrency": shop.currency,
                "availability": SCHEMA_AVAILABILITY[availability(variant)],
                "url": url,
            }
            for variant in card.variants
        ],
    }
    if card.image is not None:
        rendition = card.image.image.get_rendition(PRODUCT_RENDITIONS[1])
        data["image"] = request.build_absolute_uri(rendition.url)
    return data
