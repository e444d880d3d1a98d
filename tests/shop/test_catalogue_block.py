"""The product block in article bodies: a card with the product's price and a link to the
shop, a quiet note once the product is off sale, and nothing once it is deleted."""

import pytest
from wagtail.blocks import StreamValue

from masthead.core.blocks import BodyBlock
from masthead.publishing.models import ArticlePage
from masthead.shop.models import ProductImage
from tests.publishing.factories import make_article, make_image, publish
from tests.shop.factories import make_product, shop_settings

pytestmark = pytest.mark.django_db


def block_html(page):
    if '<aside class="product-block"' not in page:
        return ""
    return page.split('<aside class="product-block"')[1].split("</aside>")[0]


def article_with(outlet, product, note=""):
    return make_article(
        outlet.section,
        title="Volunteers repaint the old ferry",
        body=[
            ("paragraph", "<p>The ferry sails again on Saturday.</p>"),
            ("product", {"product": product, "note": note}),
        ],
    )


def test_an_article_shows_the_product_card_with_price_and_link(client, catalogue, outlet):
    ProductImage.objects.create(
        product=catalogue.tee,
        image=make_image("Tee", width=600, height=600),
        alt_text="A navy T-shirt",
    )
    article = article_with(outlet, catalogue.tee, note="Worn by the ferry's volunteers.")

    page = client.get(article.url).content.decode()

    card = block_html(page)
    assert "Ledger logo tee" in card
    assert "Worn by the ferry&#x27;s volunteers." in card
    assert "£18.00" in card and "<s>£22.00</s>" in card
    assert 'href="/shop/product/ledger-logo-tee/"' in card
    assert "View in the shop" in card
    assert "srcset=" in card


def test_the_card_prices_from_the_cheapest_variant_in_stock(client, outlet):
    product = make_product(
        title="Riverside print",
        variants=[
            {"sku": "PRINT-A4", "option1": "A4", "price": 800, "stock": 0},
            {"sku": "PRINT-A3", "option1": "A3", "price": 1200},
            {"sku": "PRINT-A2", "option1": "A2", "price": 2000},
        ],
    )
    shop_settings(vat_registered=True)

    card = block_html(client.get(article_with(outlet, product).url).content.decode())

    assert "From <strong>£12.00</strong>" in card
    assert "£8.00" not in card
    assert "incl. VAT" in card


def test_a_sold_out_product_says_so_in_the_card(client, catalogue, outlet):
    card = block_html(client.get(article_with(outlet, catalogue.badge).url).content.decode())

    assert "Read local badge" in card
    assert "Sold out" in card


def test_a_product_taken_off_sale_leaves_a_quiet_note(client, catalogue, outlet):
    article = article_with(outlet, catalogue.tee)
    catalogue.tee.live = False
    catalogue.tee.save()

    page = client.get(article.url).content.decode()

    assert "This item is no longer available in our shop." in page
    assert "View in the shop" not in page
    assert "/shop/product/ledger-logo-tee/" not in page


def test_a_deleted_product_leaves_nothing_and_the_article_still_renders(client, catalogue, outlet):
    article = article_with(outlet, catalogue.retired)
    catalogue.retired.delete()

    response = client.get(ArticlePage.objects.get(pk=article.pk).url)

    assert response.status_code == 200
    page = response.content.decode()
    assert "The ferry sails again on Saturday." in page
    assert "product-block" not in page


def test_the_body_accepts_a_product_block_through_revisions(catalogue, outlet):
    article = make_article(outlet.section, title="Ferry fares frozen")
    article.body = StreamValue(
        BodyBlock(),
        [*article.body.raw_data, {"type": "product", "value": {"product": catalogue.tee.pk}}],
        is_lazy=True,
    )
    publish(article)

    stored = ArticlePage.objects.get(pk=article.pk)
    assert [block.block_type for block in stored.body] == ["paragraph", "product"]
    assert stored.body[1].value["product"] == catalogue.tee
