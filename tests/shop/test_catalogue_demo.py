"""The shop's share of the demo outlet, built, rebuilt and removed through the
``demo_content`` command as an operator would."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from wagtail.images import get_image_model
from wagtail.models import Collection, Site

from masthead.publishing.demo import builder as publishing_demo
from masthead.publishing.models import ArticlePage
from masthead.shop import demo
from masthead.shop.models import (
    Category,
    DiscountCode,
    Order,
    OrderLine,
    Product,
    ShippingZone,
    ShopSettings,
    Variant,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def demo_media(settings, tmp_path):
    """Write the demo's pictures to a throwaway folder, and hash passwords quickly."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run(*args):
    out = io.StringIO()
    call_command("demo_content", *args, stdout=out)
    return out.getvalue()


def product_blocks():
    return sorted(
        (article.slug, block.value["product"].slug)
        for article in ArticlePage.objects.live()
        for block in article.body
        if block.block_type == "product"
    )


def test_the_demo_builds_a_shop_to_browse(client):
    output = run()

    assert "Built the demo shop" in output
    assert list(Category.objects.values_list("name", flat=True)) == [
        "T-shirts",
        "Hoodies",
        "Tote bags",
        "Mugs",
        "Cushions",
        "Posters",
        "Badges",
    ]
    assert Product.objects.live().count() == 10
    for product in Product.objects.all():
        assert 1 <= product.images.count() <= 3, product.slug
        assert all(image.alt_text for image in product.images.all())
        assert product.variants.exists()
    variants = Variant.objects.all()
    assert all(variant.sku.startswith("RL-") and variant.cost > 0 for variant in variants)
    assert all(variant.weight_grams > 0 for variant in variants)
    assert variants.filter(track_stock=True, stock=0).exists()
    assert variants.filter(track_stock=True, stock__gt=0, stock__lte=3).exists()
    printed = variants.filter(fulfilment="printful")
    assert printed.exists()
    assert all(not v.track_stock and v.external_variant_id for v in printed)
    assert Product.objects.filter(featured=True).count() >= 3

    shop = ShopSettings.for_site(Site.objects.get(is_default_site=True))
    assert (shop.vat_registered, shop.vat_rate_basis_points, shop.order_prefix) == (
        True,
        2000,
        "RL",
    )
    zones = {zone.name: zone for zone in ShippingZone.objects.all()}
    assert zones["United Kingdom"].country_codes == ["GB"]
    assert zones["United Kingdom"].free_shipping_threshold == 4000
    assert "FR" in zones["Europe"].country_codes
    assert zones["Rest of the world"].country_codes == []
    assert {rate.basis for rate in zones["Europe"].rates.all()} == {"weight"}
    welcome = DiscountCode.objects.get(code="WELCOME10")
    assert (welcome.kind, welcome.value, welcome.minimum_order) == ("percent", 10, 1500)
    ledger = DiscountCode.objects.get(code="LEDGER5")
    assert (ledger.kind, ledger.value, ledger.usage_limit, ledger.per_customer_limit) == (
        "fixed",
        500,
        100,
        1,
    )
    assert product_blocks() == [
        ("editors-letter-why-we-publish-our-sources", "i-read-the-sources-badge"),
        ("ferry-lane-community-garden-opens", "newsroom-tote-bag"),
    ]

    home = client.get(reverse("shop:home")).content.decode()
    assert "Ledger logo tee" in home and "incl. VAT" in home
    tee = client.get(reverse("shop:product", args=["ledger-logo-tee"])).content.decode()
    assert "<legend>Size / Colour</legend>" in tee
    assert "Sold out" in tee
    letter = ArticlePage.objects.get(slug="editors-letter-why-we-publish-our-sources")
    assert "I read the sources badge" in client.get(letter.url).content.decode()
    assert "Wennmouth river poster" in client.get("/search/", {"q": "poster"}).content.decode()


def test_the_shop_plug_keeps_the_articles_dates():
    publishing_demo.build_demo_part()
    slug = "editors-letter-why-we-publish-our-sources"
    before = ArticlePage.objects.get(slug=slug)

    demo.build_demo_part()

    after = ArticlePage.objects.get(slug=slug)
    assert after.first_published_at == before.first_published_at
    assert after.last_published_at == before.last_published_at
    assert after.live_revision_id != before.live_revision_id
    assert not after.has_unpublished_changes


def test_reset_removes_and_rebuilds_the_same_shop():
    run()
    before = (
        Product.objects.count(),
        Variant.objects.count(),
        get_image_model().objects.count(),
        ShippingZone.objects.count(),
        product_blocks(),
    )

    assert "already there" in run()
    run("--reset")

    after = (
        Product.objects.count(),
        Variant.objects.count(),
        get_image_model().objects.count(),
        ShippingZone.objects.count(),
        product_blocks(),
    )
    assert after == before


def test_removing_the_shop_deletes_its_orders_first_and_keeps_an_editors_own_things():
    run()
    tee = Variant.objects.filter(product__slug="ledger-logo-tee").first()
    order = Order.objects.create(
        email="reader@example.org",
        subtotal=1800,
        total=2150,
        full_name="A Reader",
        address_line1="1 Mill Lane",
        city="Wennmouth",
        country="GB",
    )
    OrderLine.objects.create(
        order=order,
        variant=tee,
        product_title="Ledger logo tee",
        sku=tee.sku,
        unit_price=1800,
        quantity=1,
        line_total=1800,
        stock_state="committed",
    )
    mugs = Category.objects.get(slug="mugs")
    own = Product.objects.create(title="Editor's own mug", slug="editors-own-mug", category=mugs)

    demo.remove_demo()

    assert not demo.demo_is_present()
    assert not Order.objects.exists()
    assert list(Product.objects.values_list("slug", flat=True)) == [own.slug]
    assert list(Category.objects.values_list("slug", flat=True)) == ["mugs"]
    assert not ShippingZone.objects.exists()
    assert not DiscountCode.objects.exists()
    assert not Collection.objects.filter(name=demo.DEMO_COLLECTION_NAME).exists()
    assert product_blocks() == []
    assert ArticlePage.objects.filter(slug="ferry-lane-community-garden-opens").get().live


def test_the_shop_builds_even_without_the_publishing_demo(outlet):
    demo.build_demo_part()

    assert demo.demo_is_present()
    assert Product.objects.count() == 10
    assert product_blocks() == []
