"""The shop's share of the demo outlet: The Riverside Ledger's merch shop.

Seven categories, ten products with pictures drawn by Pillow (a silhouette of the item in
the outlet's colours, with its words on it), variants by size and colour with SKUs, costs
and weights (some nearly or wholly sold out, one printed on demand), shipping zones for the
UK, Europe and the rest of the world, two discount codes, the shop settings (VAT-registered
at 20%, order numbers starting "RL"), and a product block in two demo articles.

The catalogue itself is data, in ``content/catalogue.toml``; this module builds it.

The "Demo shop" image collection marks the demo as built. Removing it deletes orders for
its products first, then the products, their pictures, the zones and codes it made, and
the product blocks it put in articles; an editor's own products and categories stay.
"""

import io
import math
import tomllib
from datetime import timedelta
from functools import cache
from pathlib import Path

from django.db import transaction
from django.db.models import Q
from PIL import Image, ImageDraw, ImageFont
from wagtail.images import get_image_model
from wagtail.models import Collection, Revision, Site

from masthead.core.models import SiteSettings
from masthead.publishing.demo import images as publishing_images
from masthead.publishing.demo.builder import save_image
from masthead.publishing.models import ArticlePage
from masthead.shop.models import (
    Category,
    DiscountCode,
    Order,
    Product,
    ProductImage,
    ShippingRate,
    ShippingZone,
    ShopSettings,
    Variant,
)

DEMO_COLLECTION_NAME = "Demo shop"
PICTURE_SIZE = (1000, 1000)
INK = (22, 48, 74)
RIVER = (60, 140, 190)
CREAM = (246, 242, 234)
WHITE = (255, 255, 255)
CATALOGUE_PATH = Path(__file__).resolve().parent / "content" / "catalogue.toml"


@cache
def catalogue():
    """The demo catalogue (``content/catalogue.toml``): colours, categories, products,
    shipping zones, discount codes, the articles that plug a product, the returns policy."""
    with CATALOGUE_PATH.open("rb") as file:
        return tomllib.load(file)


def demo_is_present():
    return Collection.objects.filter(name=DEMO_COLLECTION_NAME).exists()


def _demo_slugs():
    return [product["slug"] for product in catalogue()["products"]]


def _sku(spec, values):
    """e.g. RL-LEDGER-LOGO-TEE-M-NAVY."""
    parts = ["RL", spec["slug"].upper()[:18], *(value.upper().replace(" ", "") for value in values)]
    return "-".join(parts)


def _demo_skus():
    return [
        _sku(spec, variant["options"])
        for spec in catalogue()["products"]
        for variant in spec["variants"]
    ]


def build_demo_part():
    """Build the shop's share of the demo and say what was built, in one line."""
    products, images, variants = build_demo()
    data = catalogue()
    return (
        f"Built the demo shop: {len(data['categories'])} categories, {products} products, "
        f"{variants} variants, {images} pictures, {len(data['zones'])} shipping zones, "
        f"{len(data['codes'])} discount codes."
    )


@transaction.atomic
def build_demo():
    """Build the demo shop; returns (products, pictures, variants) made."""
    collection = Collection.get_first_root_node().add_child(name=DEMO_COLLECTION_NAME)
    data = catalogue()
    _configure_shop()
    categories = {}
    for position, category in enumerate(data["categories"]):
        categories[category["slug"]], _created = Category.objects.update_or_create(
            slug=category["slug"],
            defaults={
                "name": category["title"],
                "description": category["description"],
                "sort_order": position,
            },
        )
    pictures = variants = 0
    made = {}
    for position, spec in enumerate(data["products"]):
        product, made_pictures, made_variants = _create_product(
            spec, position, categories[spec["category"]], collection
        )
        made[spec["slug"]] = product
        pictures += made_pictures
        variants += made_variants
    for position, zone in enumerate(data["zones"]):
        _create_zone(zone, position)
    for code in data["codes"]:
        DiscountCode.objects.update_or_create(code=code["code"], defaults=code)
    for plug in data["article_products"]:
        _set_product_block(plug["article"], made[plug["product"]], plug["note"])
    return len(made), pictures, variants


@transaction.atomic
def remove_demo():
    """Delete the demo shop: orders for its products first, then everything it made."""
    data = catalogue()
    slugs = _demo_slugs()
    Order.objects.filter(
        Q(lines__variant__product__slug__in=slugs) | Q(lines__sku__in=_demo_skus())
    ).distinct().delete()
    demo_products = Product.objects.filter(slug__in=slugs)
    for plug in data["article_products"]:
        _set_product_block(plug["article"], None, "", remove_products=set(demo_products))
    demo_products.delete()
    Category.objects.filter(
        slug__in=[category["slug"] for category in data["categories"]], products__isnull=True
    ).delete()
    ShippingZone.objects.filter(name__in=[zone["name"] for zone in data["zones"]]).delete()
    DiscountCode.objects.filter(code__in=[code["code"] for code in data["codes"]]).delete()
    for collection in Collection.objects.filter(name=DEMO_COLLECTION_NAME):
        get_image_model().objects.filter(collection=collection).delete()
        collection.delete()


def _configure_shop():
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        return
    shop = ShopSettings.for_site(site)
    shop.is_open = True
    shop.currency = "GBP"
    shop.vat_registered = True
    shop.vat_rate_basis_points = 2000
    shop.vat_number = "GB 123 4567 89"
    shop.order_prefix = "RL"
    shop.dispatch_note = (
        "Orders are packed by our volunteers in Wennmouth and usually dispatched within "
        "3 working days."
    )
    shop.returns_policy = catalogue()["returns_policy"]
    shop.save()
    outlet = SiteSettings.for_site(site)
    outlet.shop_url = "/shop/"
    outlet.save(update_fields=["shop_url"])


def _create_product(spec, position, category, collection):
    options = spec["options"]
    product = Product.objects.create(
        title=spec["title"],
        slug=spec["slug"],
        category=category,
        summary=spec["summary"],
        description=spec["description"],
        option1_name=options[0] if len(options) > 0 else "",
        option2_name=options[1] if len(options) > 1 else "",
        option3_name=options[2] if len(options) > 2 else "",
        featured=spec.get("featured", False),
        sort_order=position,
    )
    colours = catalogue()["colours"]
    for index, picture in enumerate(spec["pictures"]):
        data = product_picture(
            picture["shape"],
            tuple(colours[picture["colour"]]),
            picture["words"],
            seed=f"{spec['slug']}-{index}",
        )
        alt_text = picture["alt"]
        image = save_image(collection, alt_text, data, f"shop-{spec['slug']}-{index + 1}.jpg")
        ProductImage.objects.create(
            product=product, image=image, alt_text=alt_text, sort_order=index
        )
    print_on_demand = spec.get("print_on_demand", False)
    for index, variant in enumerate(spec["variants"]):
        values, stock = variant["options"], variant.get("stock")
        Variant.objects.create(
            product=product,
            sku=_sku(spec, values),
            option1=values[0] if len(values) > 0 else "",
            option2=values[1] if len(values) > 1 else "",
            option3=values[2] if len(values) > 2 else "",
            price=variant["price"],
            compare_at_price=variant.get("was"),
            cost=variant["cost"],
            weight_grams=variant["grams"],
            track_stock=stock is not None,
            stock=stock or 0,
            fulfilment=Variant.Fulfilment.PRINTFUL
            if print_on_demand
            else Variant.Fulfilment.OUTLET,
            external_variant_id=f"demo-pf-{4010 + index}" if print_on_demand else "",
            sort_order=index,
        )
    return product, len(spec["pictures"]), len(spec["variants"])


def _create_zone(spec, position):
    zone = ShippingZone.objects.create(
        name=spec["name"],
        countries=spec["countries"],
        free_shipping_threshold=spec.get("free_over"),
        sort_order=position,
    )
    for index, rate in enumerate(spec["rates"]):
        ShippingRate.objects.create(
            zone=zone,
            name=rate["name"],
            basis=rate["basis"],
            minimum=rate["minimum"],
            maximum=rate.get("maximum"),
            price=rate["price"],
            delivery_estimate=rate["estimate"],
            sort_order=index,
        )


def _set_product_block(article_slug, product, note, remove_products=()):
    """Give a demo article a product block for ``product`` at the end of its body (or take
    out blocks for ``remove_products``), through a new published revision that
    keeps the article's publication dates. A missing article is left alone."""
    article = ArticlePage.objects.filter(slug=article_slug).first()
    if article is None or not article.live:
        return
    removed_pks = {item.pk for item in remove_products}
    blocks = [
        block
        for block in article.body.raw_data
        if not (
            block["type"] == "product"
            and (block["value"] or {}).get("product")
            in removed_pks | {getattr(product, "pk", None)}
        )
    ]
    if product is not None:
        blocks.append({"type": "product", "value": {"product": product.pk, "note": note}})
    if blocks == list(article.body.raw_data):
        return
    last_published_at = article.last_published_at
    article.body = blocks
    revision = article.save_revision()
    # The demo is built by the system, not by a signed-in editor: no permission to check.
    revision.publish(skip_permission_checks=True)
    if last_published_at is not None:
        # A shop plug is not news: the article keeps the dates it was published with.
        ArticlePage.objects.filter(pk=article.pk).update(
            last_published_at=last_published_at,
            latest_revision_created_at=last_published_at + timedelta(minutes=1),
        )
        Revision.objects.filter(pk=revision.pk).update(
            created_at=last_published_at + timedelta(minutes=1)
        )


# --- Pictures -------------------------------------------------------------------------------------


def _text_colour(colour):
    """White on dark cloth, the outlet's ink on light."""
    return WHITE if sum(colour) < 450 else INK


def _words(draw, centre, words, colour, width):
    """``words`` centred at ``centre``, as large as fits ``width`` pixels."""
    if not words:
        return
    size = 120
    font = ImageFont.load_default(size=size)
    while size > 24 and draw.textlength(words, font=font) > width:
        size -= 6
        font = ImageFont.load_default(size=size)
    draw.text(centre, words, font=font, fill=_text_colour(colour), anchor="mm")


def _shadow(colour):
    return tuple(max(channel - 28, 0) for channel in colour)


def _draw_tee(draw, colour, words, hood=False):
    body = [
        (330, 210),
        (420, 180),
        (580, 180),
        (670, 210),  # shoulders
        (850, 330),
        (770, 450),
        (690, 400),  # right sleeve
        (690, 840),
        (310, 840),  # hem
        (310, 400),
        (230, 450),
        (150, 330),  # left sleeve
    ]
    if hood:
        # Long sleeves reaching the cuffs, and a hood behind the neck.
        body = [
            (330, 210),
            (420, 190),
            (580, 190),
            (670, 210),
            (860, 560),
            (780, 600),
            (690, 420),
            (690, 850),
            (310, 850),
            (310, 420),
            (220, 600),
            (140, 560),
        ]
        draw.ellipse((370, 110, 630, 330), fill=_shadow(colour))
    draw.polygon(body, fill=colour, outline=_shadow(colour))
    draw.chord((420, 130, 580, 250), 0, 180, fill=_shadow(colour))
    if hood:
        draw.rounded_rectangle((390, 650, 610, 780), radius=30, fill=_shadow(colour))
    _words(draw, (500, 450), words, colour, 330)


def _draw_tote(draw, colour, words):
    draw.arc((340, 120, 480, 420), 180, 360, fill=_shadow(colour), width=26)
    draw.arc((520, 120, 660, 420), 180, 360, fill=_shadow(colour), width=26)
    draw.rectangle((250, 270, 750, 860), fill=colour, outline=_shadow(colour), width=4)
    lines = words.split(" ") if len(words) > 10 else [words]
    for index, line in enumerate(lines):
        _words(draw, (500, 540 + (index - (len(lines) - 1) / 2) * 110), line, colour, 400)


def _draw_mug(draw, colour, words):
    draw.ellipse((660, 380, 860, 660), outline=colour, width=46)
    draw.rounded_rectangle((240, 260, 720, 820), radius=40, fill=colour, outline=_shadow(colour))
    draw.ellipse((240, 230, 720, 300), fill=_shadow(colour))
    _words(draw, (480, 540), words, colour, 380)


def _draw_cushion(draw, colour, words):
    draw.rounded_rectangle(
        (180, 200, 820, 820), radius=110, fill=colour, outline=_shadow(colour), width=10
    )
    for x, y in ((200, 220), (800, 220), (200, 800), (800, 800)):
        draw.ellipse((x - 30, y - 30, x + 30, y + 30), fill=_shadow(colour))
    _words(draw, (500, 510), words, colour, 480)


def _draw_badge(draw, colour, words):
    draw.ellipse((230, 230, 770, 770), fill=_shadow(colour))
    draw.ellipse((260, 260, 740, 740), fill=colour)
    draw.ellipse((300, 300, 700, 700), outline=_text_colour(colour), width=8)
    _words(draw, (500, 500), words, colour, 330)


def _draw_poster(image, draw, seed):
    draw.rectangle((190, 110, 810, 890), fill=(40, 40, 40))
    draw.rectangle((215, 135, 785, 865), fill=WHITE)
    landscape = Image.open(
        io.BytesIO(publishing_images.hero_picture(seed, palette_index=0, motif="river"))
    )
    # A portrait slice from the middle of the landscape, so nothing is stretched.
    width, height = landscape.size
    slice_width = height * 510 // 700
    left = (width - slice_width) // 2
    portrait = landscape.crop((left, 0, left + slice_width, height)).resize((510, 700))
    image.paste(portrait.convert("RGB"), (245, 150))


def product_picture(shape, colour, words, seed):
    """A product shot (JPEG bytes): the item's silhouette in ``colour`` with ``words`` on it,
    on the outlet's cream with a soft shadow and a small river mark in the corner."""
    image = Image.new("RGB", PICTURE_SIZE, CREAM)
    draw = ImageDraw.Draw(image)
    draw.ellipse((200, 850, 800, 930), fill=(228, 222, 210))
    if shape in ("tee", "hoodie"):
        _draw_tee(draw, colour, words, hood=shape == "hoodie")
    elif shape == "tote":
        _draw_tote(draw, colour, words)
    elif shape == "mug":
        _draw_mug(draw, colour, words)
    elif shape == "cushion":
        _draw_cushion(draw, colour, words)
    elif shape == "badge":
        _draw_badge(draw, colour, words)
    elif shape == "poster":
        _draw_poster(image, draw, seed)
    for offset in (0, 14):
        points = [(x, 940 + offset + math.sin(x / 9) * 4) for x in range(880, 960, 4)]
        draw.line(points, fill=RIVER, width=5)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=84, optimize=True)
    return buffer.getvalue()
