"""The article body: core's blocks, then the blocks other apps register (the shop's product
card), in a fixed order that the migrations record; an article stored with a product block
before the shop registered it from its wiring still renders it; and every block has a
description and a preview for the editor's block picker."""

import re

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from masthead.core.blocks import BodyBlock, register_body_block
from masthead.publishing.models import ArticlePage, StandardPage
from masthead.shop.blocks import ProductBlock
from tests.publishing.factories import make_article, make_image, make_site_tree
from tests.shop.factories import make_product

BODY_BLOCKS = [
    "paragraph",
    "heading",
    "image",
    "pull_quote",
    "block_quote",
    "embed",
    "statistic",
    "callout",
    "product",
]


@pytest.mark.parametrize("model", [ArticlePage, StandardPage])
def test_every_body_offers_core_blocks_then_the_shops_product_block(model):
    body = model._meta.get_field("body").stream_block

    assert list(body.child_blocks) == BODY_BLOCKS
    assert isinstance(body.child_blocks["product"], ProductBlock)


def test_the_product_block_keeps_the_definition_the_migrations_record():
    product = ArticlePage._meta.get_field("body").stream_block.child_blocks["product"]

    path, args, kwargs = product.deconstruct()
    assert path == "wagtail.blocks.StructBlock"
    assert kwargs == {}
    assert [name for name, _block in args[0]] == ["product", "note"]
    assert args[0][0][1].deconstruct() == (
        "wagtail.snippets.blocks.SnippetChooserBlock",
        ("shop.Product",),
        {},
    )


@pytest.mark.django_db
def test_an_article_stored_with_a_product_block_still_renders_the_card(client, settings):
    cache.clear()
    settings.SITE_URL = "http://testserver"
    tree = make_site_tree()
    product = make_product(
        title="Riverside map poster", variants=[{"sku": "POSTER-A3", "price": 1200}]
    )
    article = make_article(tree.section, title="Volunteers repaint the old ferry")
    # The body exactly as the database holds it for an article saved before the refactor.
    ArticlePage.objects.filter(pk=article.pk).update(
        body=[
            {"type": "paragraph", "value": "<p>The ferry sails again.</p>", "id": "p-1"},
            {
                "type": "product",
                "value": {"product": product.pk, "note": "Printed by the ferry's crew."},
                "id": "product-1",
            },
        ]
    )

    response = client.get(article.url)

    assert response.status_code == 200
    card = response.content.decode().split('<aside class="product-block"')[1].split("</aside>")[0]
    assert "Riverside map poster" in card
    assert "Printed by the ferry&#x27;s crew." in card
    assert "£12.00" in card
    assert 'href="/shop/product/riverside-map-poster/"' in card


def test_a_body_block_registered_after_the_apps_are_ready_is_refused():
    with pytest.raises(ImproperlyConfigured, match="'late' registered after the apps were ready"):
        register_body_block("late", ProductBlock())

    assert "late" not in BodyBlock().child_blocks


def body_blocks():
    return ArticlePage._meta.get_field("body").stream_block.child_blocks


@pytest.mark.parametrize("name", BODY_BLOCKS)
def test_every_body_block_has_a_description_and_a_preview(name):
    block = body_blocks()[name]

    assert str(block.get_description()).strip()
    assert block.meta.preview_value
    assert block.is_previewable


def preview(admin_client, name):
    url = reverse("wagtailadmin_block_preview")
    response = admin_client.get(url, {"id": body_blocks()[name].definition_prefix})
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("paragraph", "The council will publish the <b>full figures</b>"),
        ("heading", "<h2>What happens next</h2>"),
        ("pull_quote", "The library is the last warm room on the high street."),
        ("block_quote", "<cite>A spokesperson</cite>"),
        ("embed", "Video of the council meeting"),
        ("statistic", '<p class="statistic__figure">38%</p>'),
        ("callout", '<aside class="callout callout--help" aria-label="Where to get help">'),
    ],
)
def test_the_block_picker_previews_each_block_as_readers_see_it(admin_client, name, shown):
    page = preview(admin_client, name)

    assert shown in page
    assert '<div class="article__body prose">' in page
    assert "/static/css/site.css" in page


@pytest.mark.django_db
def test_the_image_preview_shows_the_newest_picture_with_the_preview_caption(admin_client):
    make_image("Older picture")
    make_image("Reading room")

    page = preview(admin_client, "image")

    assert '<figure class="figure">' in page
    assert re.search(r"/media/images/[0-9a-f]{16}-reading-room\.", page)
    assert "older-picture" not in page
    assert 'alt="Readers at long tables in a bright reading room"' in page
    assert "The reading room after its refit." in page


@pytest.mark.django_db
def test_the_product_preview_shows_the_first_product_on_sale(admin_client):
    make_product(title="Retired mug", live=False, variants=[{"sku": "MUG-OLD", "price": 900}])
    make_product(title="Riverside map poster", variants=[{"sku": "POSTER-A3", "price": 1200}])

    page = preview(admin_client, "product")

    assert "Riverside map poster" in page
    assert "Printed by the volunteers in this story." in page
    assert "Retired mug" not in page
