"""Products in the site search: a "From the shop" group beside the articles, kept up to
date as editors save products, and never showing what is not on sale."""

import pytest

from masthead.publishing.models import SectionPage
from tests.publishing.factories import make_article
from tests.shop.factories import make_product

pytestmark = pytest.mark.django_db


def shop_group(page):
    if 'id="shop-results-heading"' not in page:
        return ""
    return page.split('id="shop-results-heading"')[1].split("</section>")[0]


def catalogue_section():
    return SectionPage.objects.get(slug="news")


def search(client, query, **extra):
    response = client.get("/search/", {"q": query, **extra})
    return response, response.content.decode()


def test_a_saved_product_is_found_in_the_shop_group(client, catalogue):
    make_article(catalogue_section(), title="Poster campaign for the new ferry")

    response, page = search(client, "poster")

    assert response.status_code == 200
    group = shop_group(page)
    assert "From the shop" in page
    assert "Riverside map poster" in group
    assert "£12.00" in group
    assert "Poster campaign for the new ferry" in page.split('id="shop-results-heading"')[0]


def test_products_are_found_by_summary_description_and_category(client, outlet):
    make_product(
        title="Quiet hours mug",
        summary="A mug for the morning shift.",
        description="<p>Glazed stoneware, made in Stoke.</p>",
        variants=[{"sku": "MUG-QUIET", "price": 1100}],
    )

    assert "Quiet hours mug" in shop_group(search(client, "morning")[1])
    assert "Quiet hours mug" in shop_group(search(client, "stoneware")[1])
    assert "Quiet hours mug" in shop_group(search(client, "T-shirts")[1])


def test_an_edited_product_is_found_by_its_new_words(client, outlet):
    product = make_product(title="Plain tote", variants=[{"sku": "TOTE-1", "price": 1000}])
    assert shop_group(search(client, "heron")[1]) == ""

    product.summary = "Printed with a heron over the weir."
    product.save()

    assert "Plain tote" in shop_group(search(client, "heron")[1])


def test_products_not_on_sale_are_not_in_search(client, catalogue):
    page = search(client, "masthead")[1]

    assert "Old masthead tee" not in page


def test_no_shop_group_when_no_product_matches(client, catalogue):
    page = search(client, "council budget")[1]

    assert "From the shop" not in page
    assert "No articles matched your search." in page


def test_shop_group_only_on_the_first_page_of_results(client, catalogue):
    section = catalogue_section()
    for number in range(21):
        make_article(section, title=f"Poster sale number {number}", slug=f"poster-sale-{number}")

    first = search(client, "poster")[1]
    second = search(client, "poster", page=2)[1]

    assert "Riverside map poster" in shop_group(first)
    assert "From the shop" not in second


def test_a_query_that_is_too_long_searches_nothing(client, catalogue):
    response, page = search(client, "poster " * 40)

    assert response.status_code == 400
    assert "From the shop" not in page


def test_the_shop_group_reads_its_products_once_with_their_cards(client, catalogue):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from masthead.shop.search import search_products

    search_products("poster")  # the renditions exist after a first visit
    with CaptureQueriesContext(connection) as captured:
        cards = search_products("poster")
    assert [card.product.title for card in cards] == ["Riverside map poster"]
    product_reads = [
        query["sql"]
        for query in captured.captured_queries
        if query["sql"].startswith('SELECT "shop_product"."id"')
    ]
    # The ranking, then the page of products with their category, in one query; then their
    # variants, images and renditions (prefetched).
    assert len(product_reads) == 1
    assert len(captured.captured_queries) <= 6


def test_each_search_copies_the_kept_products_on_sale(client, catalogue):
    """The products on sale are a queryset built once per process and copied per search:
    the kept one is never run, and a product taken off sale is left out at once."""
    from masthead.shop.models import Product
    from masthead.shop.search import _products_on_sale

    make_article(catalogue_section(), title="Poster campaign for the new ferry")
    assert "Riverside map poster" in shop_group(search(client, "poster")[1])
    Product.objects.filter(title="Riverside map poster").update(live=False)
    assert "Riverside map poster" not in search(client, "poster")[1]
    assert _products_on_sale()._result_cache is None
