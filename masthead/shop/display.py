"""What the reader-facing catalogue shows of a product: its price (or price range), its
"was" price, whether any of it can be bought, and its pictures, worked out once from the
product's prefetched variants and images so a listing costs a fixed number of queries.

Used by the catalogue views, the site search's "From the shop" group and the product
block in article bodies.

Which cached pages show a product, so that stock running out (or coming back) clears
only those: the pages that show availability name their tags (``masthead.core.page_tags``)
before reading it, and ``availability_changed`` renews them. The shop home names
CATALOGUE_TAG, a category page its category's tag, a product page and every product block
in an article body the product's tag; a product's availability changing renews all three.
Readers buying never empty the whole page cache (only editors' changes do).
"""

from dataclasses import dataclass, field

from django.db import models
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from wagtail.images import get_image_model

from masthead.core import page_tags
from masthead.shop.models import Product, ProductImage, Variant

# Square pictures on product cards (the grid, search results, the article block) and on the
# product page; the templates ask for exactly these, so the prefetch finds them.
CARD_RENDITIONS = ("fill-400x400|format-webp", "fill-800x800|format-webp")
PRODUCT_RENDITIONS = (
    "fill-600x600|format-webp",
    "fill-1000x1000|format-webp",
    "fill-1400x1400|format-webp",
)
THUMBNAIL_RENDITIONS = ("fill-160x160|format-webp", "fill-320x320|format-webp")
# Below this many units a variant says how many are left.
LOW_STOCK = 3
# Every page listing the whole catalogue (the shop home, a page at a time).
CATALOGUE_TAG = "shop:catalogue"


def product_tag(slug):
    """The tag of the pages that show the product with this slug."""
    return f"shop:product:{slug}"


def category_tag(slug):
    """The tag of the pages of the category with this slug."""
    return f"shop:category:{slug}"


def availability_changed(variant_ids):
    """Clear the cached pages that show these variants' products (their product pages,
    their categories' pages, the shop home and the articles with a block naming them),
    now and again after the commit: one of them sold out or came back."""
    variant_ids = list(variant_ids)
    if not variant_ids:
        return
    rows = (
        Product.objects.filter(variants__in=variant_ids)
        .values_list("slug", "category__slug")
        .distinct()
    )
    tags = {CATALOGUE_TAG}
    for slug, category_slug in rows:
        tags.update((product_tag(slug), category_tag(category_slug)))
    page_tags.invalidate(*sorted(tags))


class Availability(models.TextChoices):
    """Whether a variant can be bought, as the variant picker and search engines see it."""

    IN_STOCK = "in_stock", _("In stock")
    LOW_STOCK = "low_stock", _("Only a few left")
    SOLD_OUT = "sold_out", _("Sold out")


@dataclass
class ProductCard:
    """A product as a listing or the product page shows it.

    ``price`` is the lowest price of the variants that can be bought (of all variants when
    none can); ``from_price`` says whether other variants cost more; ``compare_at_price``
    is the "was" price of that cheapest variant, when it is higher than its price.
    """

    product: Product
    variants: list
    images: list = field(default_factory=list)
    price: int | None = None
    from_price: bool = False
    compare_at_price: int | None = None
    in_stock: bool = False

    @property
    def image(self):
        """The first picture (a ProductImage), or None."""
        return self.images[0] if self.images else None

    @property
    def sold_out(self):
        return bool(self.variants) and not self.in_stock

    @property
    def single_variant(self):
        """The only variant, when there is exactly one and it has no options to pick."""
        if len(self.variants) == 1 and not self.variants[0].label:
            return self.variants[0]
        return None


def product_card(product):
    """The ``ProductCard`` of ``product``, from its (ideally prefetched) variants and images."""
    variants = list(product.variants.all())
    images = list(product.images.all())
    buyable = [variant for variant in variants if variant.in_stock]
    priced = buyable or variants
    card = ProductCard(product=product, variants=variants, images=images)
    if priced:
        cheapest = min(priced, key=lambda variant: (variant.price, variant.sort_order or 0))
        card.price = cheapest.price
        card.from_price = any(variant.price != cheapest.price for variant in priced)
        if cheapest.compare_at_price and cheapest.compare_at_price > cheapest.price:
            card.compare_at_price = cheapest.compare_at_price
    card.in_stock = bool(buyable)
    return card


def with_card_data(products, renditions=CARD_RENDITIONS):
    """``products`` (a queryset) with their category, variants, images and those images'
    ``renditions`` fetched in a fixed number of queries."""
    pictures = get_image_model().objects.prefetch_renditions(*renditions)
    return products.select_related("category").prefetch_related(
        Prefetch("variants", queryset=Variant.objects.order_by("sort_order", "pk")),
        Prefetch(
            "images",
            queryset=ProductImage.objects.order_by("sort_order", "pk").prefetch_related(
                Prefetch("image", queryset=pictures)
            ),
        ),
    )


def live_products():
    """Every product on sale, in the editors' order."""
    return Product.objects.live().order_by("sort_order", "title", "pk")


def availability(variant):
    """The variant's Availability, for the variant picker and the structured data."""
    if not variant.track_stock:
        return Availability.IN_STOCK
    if variant.stock <= 0:
        return Availability.SOLD_OUT
    return Availability.LOW_STOCK if variant.stock <= LOW_STOCK else Availability.IN_STOCK
