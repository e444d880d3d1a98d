"""The shop's reader pages: the shop home, categories and product pages, as a reader sees
them (prices, "was" prices, VAT, stock, the no-JavaScript variant picker, structured data),
and the refusals (unknown or withdrawn products, bad page numbers)."""

import json
import re

import pytest
from django.urls import reverse

from masthead.shop.models import ProductImage
from tests.publishing.factories import make_image
from tests.shop.factories import make_category, make_product, shop_settings

pytestmark = pytest.mark.django_db


def html(response):
    return response.content.decode()


def radios(page):
    """The variant radios of a product page: {value: disabled?}."""
    found = {}
    for tag in re.findall(r'<input type="radio" name="variant"[^>]*>', page):
        value = re.search(r'value="(\d+)"', tag).group(1)
        found[int(value)] = " disabled" in tag
    return found


def json_ld(page):
    scripts = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    return [json.loads(script) for script in scripts]


# --- Shop home and categories ---------------------------------------------------------------------


def test_shop_home_lists_live_products_featured_first_and_the_categories(client, catalogue):
    response = client.get(reverse("shop:home"))

    assert response.status_code == 200
    page = html(response)
    featured = page.split('id="featured-heading"')[1].split('id="all-heading"')[0]
    assert "Ledger logo tee" in featured
    assert "Riverside map poster" not in featured
    everything = page.split('id="all-heading"')[1]
    for title in ("Ledger logo tee", "Riverside map poster", "Read local badge"):
        assert title in everything
    assert "Old masthead tee" not in page
    nav = page.split('class="shop-categories"')[1].split("</nav>")[0]
    assert [name for name in ("T-shirts", "Posters", "Badges") if name in nav] == [
        "T-shirts",
        "Posters",
        "Badges",
    ]


def test_shop_home_shows_prices_was_prices_and_sold_out(client, catalogue):
    page = html(client.get(reverse("shop:home")))

    everything = page.split('id="all-heading"')[1]
    tee = everything.split("Ledger logo tee")[1].split("</article>")[0]
    assert "£18.00" in tee
    assert "was <s>£22.00</s>" in tee
    assert "Sold out" not in tee
    badge = everything.split("Read local badge")[1].split("</article>")[0]
    assert "£3.00" in badge
    assert "Sold out" in badge


def test_vat_line_only_when_the_outlet_is_vat_registered(client, catalogue):
    assert "incl. VAT" not in html(client.get(reverse("shop:home")))

    shop_settings(vat_registered=True)

    assert "incl. VAT" in html(client.get(reverse("shop:home")))
    assert "incl. VAT" in html(client.get(catalogue.tee.get_absolute_url()))


def test_a_closed_shop_says_so_and_keeps_the_products_visible(client, catalogue):
    shop_settings(is_open=False)

    home = html(client.get(reverse("shop:home")))
    product = html(client.get(catalogue.tee.get_absolute_url()))

    assert "The shop is closed for now." in home
    assert "Ledger logo tee" in home
    assert "The shop is closed for now." in product
    assert "Add to basket" not in product


def test_an_open_shop_has_no_closed_notice(client, catalogue):
    assert "The shop is closed" not in html(client.get(reverse("shop:home")))


def test_category_page_lists_only_its_live_products(client, catalogue):
    response = client.get(reverse("shop:category", args=["t-shirts"]))

    assert response.status_code == 200
    page = html(response)
    assert "<h1>T-shirts</h1>" in page
    assert "Ledger logo tee" in page
    assert "Riverside map poster" not in page
    assert "Old masthead tee" not in page


def test_a_category_with_nothing_on_sale_says_so(client, catalogue):
    make_category("Mugs")

    page = html(client.get(reverse("shop:category", args=["mugs"])))

    assert "Nothing in this category is on sale at the moment." in page


def test_unknown_category_is_404(client, catalogue):
    assert client.get(reverse("shop:category", args=["socks"])).status_code == 404


def test_category_pages_paginate_and_refuse_bad_page_numbers(client, outlet):
    mugs = make_category("Mugs")
    for number in range(26):
        make_product(
            mugs,
            title=f"Mug number {number:02d}",
            variants=[{"sku": f"MUG-{number}", "price": 900}],
        )
    url = reverse("shop:category", args=["mugs"])

    first = html(client.get(url))
    second = html(client.get(url, {"page": 2}))

    assert first.count('class="product-card"') == 24
    assert "Page 1 of 2" in first
    assert second.count('class="product-card"') == 2
    assert "Mug number 25" in second
    assert client.get(url, {"page": 3}).status_code == 404
    assert client.get(url, {"page": "two"}).status_code == 404


def test_empty_shop_says_there_is_nothing_yet(client, outlet):
    page = html(client.get(reverse("shop:home")))

    assert "There is nothing in the shop yet." in page


# --- Product page ---------------------------------------------------------------------------------


def test_product_page_offers_one_radio_per_variant_with_sold_out_disabled(client, catalogue):
    response = client.get(catalogue.tee.get_absolute_url())

    assert response.status_code == 200
    page = html(response)
    variants = {variant.sku: variant.pk for variant in catalogue.tee.variants.all()}
    assert radios(page) == {
        variants["TEE-S"]: False,
        variants["TEE-M"]: False,
        variants["TEE-L"]: True,
    }
    assert "<legend>Size</legend>" in page
    assert "Only 2 left" in page
    form = page.split('class="variant-picker"')[1].split("</form>")[0]
    assert f'action="{reverse("shop:cart_add")}"' in page
    assert 'name="quantity"' in form
    assert "Add to basket" in form
    large = form.split(f'value="{variants["TEE-L"]}"')[1].split("</label>")[0]
    assert "Sold out" in large


def test_product_page_carries_no_csrf_token_or_per_visitor_data(client, catalogue):
    page = html(client.get(catalogue.tee.get_absolute_url()))

    assert "csrfmiddlewaretoken" not in page


def test_legend_names_every_option(client, outlet):
    product = make_product(
        title="Read local hoodie",
        variants=[
            {"sku": "HOOD-M-NAVY", "option1": "M", "option2": "Navy", "price": 3500},
            {"sku": "HOOD-M-GREY", "option1": "M", "option2": "Grey", "price": 3500},
        ],
    )

    page = html(client.get(product.get_absolute_url()))

    assert "<legend>Size / Colour</legend>" in page
    assert "M / Navy" in page
    assert "M / Grey" in page


def test_variants_at_different_prices_show_from_the_cheapest_in_stock(client, outlet):
    product = make_product(
        title="Riverside print",
        variants=[
            {"sku": "PRINT-A4", "option1": "A4", "price": 800, "stock": 0},
            {"sku": "PRINT-A3", "option1": "A3", "price": 1200},
            {"sku": "PRINT-A2", "option1": "A2", "price": 2000},
        ],
    )

    page = html(client.get(product.get_absolute_url()))

    assert 'From</span> <span class="price__now">£12.00</span>' in page


def test_a_product_with_every_variant_sold_out_says_sold_out_and_has_no_button(client, catalogue):
    page = html(client.get(catalogue.badge.get_absolute_url()))

    assert "Sold out" in page
    assert "Add to basket" not in page
    assert 'name="variant"' not in page


def test_a_single_variant_without_options_is_sent_as_a_hidden_field(client, outlet):
    product = make_product(title="Enamel badge", variants=[{"sku": "BADGE-2", "price": 300}])

    page = html(client.get(product.get_absolute_url()))

    variant = product.variants.get()
    assert f'<input type="hidden" name="variant" value="{variant.pk}">' in page
    assert radios(page) == {}
    assert "Add to basket" in page


def test_untracked_print_on_demand_variant_is_always_available(client, catalogue):
    page = html(client.get(catalogue.poster.get_absolute_url()))

    assert radios(page) == {catalogue.poster.variants.get().pk: False}
    assert "Sold out" not in page
    assert "left" not in page.split('class="variant-picker"')[1].split("</form>")[0]


def test_product_not_on_sale_or_unknown_is_404(client, catalogue):
    assert client.get(catalogue.retired.get_absolute_url()).status_code == 404
    assert client.get(reverse("shop:product", args=["no-such-thing"])).status_code == 404


def test_product_pictures_have_alt_text_and_responsive_renditions(client, catalogue):
    ProductImage.objects.create(
        product=catalogue.tee,
        image=make_image("Tee front", width=900, height=900),
        alt_text="A navy T-shirt with the Ledger logo on the chest",
        sort_order=0,
    )
    ProductImage.objects.create(
        product=catalogue.tee,
        image=make_image("Tee back", width=900, height=900),
        alt_text="The back of the T-shirt, plain",
        sort_order=1,
    )

    page = html(client.get(catalogue.tee.get_absolute_url()))
    home = html(client.get(reverse("shop:home")))

    main = re.search(r"<img[^>]*A navy T-shirt[^>]*>", page).group(0)
    assert "srcset=" in main
    assert ".webp" in main
    assert 'alt="The back of the T-shirt, plain"' in page
    assert 'loading="lazy"' in re.search(r"<img[^>]*The back of[^>]*>", page).group(0)
    card_image = re.search(r'<div class="product-card__image"><img[^>]*>', home).group(0)
    assert "srcset=" in card_image


def test_product_description_and_dispatch_note(client, catalogue):
    catalogue.tee.description = "<p>Soft <b>organic</b> cotton.</p>"
    catalogue.tee.save()

    page = html(client.get(catalogue.tee.get_absolute_url()))

    assert "<b>organic</b>" in page
    assert "usually dispatched within 3 working days" in page


def test_product_structured_data_lists_every_offer(client, catalogue):
    page = html(client.get(catalogue.tee.get_absolute_url()))

    product = next(item for item in json_ld(page) if item.get("@type") == "Product")
    assert product["name"] == "Ledger logo tee"
    assert product["url"] == "http://testserver/shop/product/ledger-logo-tee/"
    offers = {offer["sku"]: offer for offer in product["offers"]}
    assert offers["TEE-S"]["price"] == "18.00"
    assert offers["TEE-S"]["priceCurrency"] == "GBP"
    assert offers["TEE-S"]["availability"] == "https://schema.org/InStock"
    assert offers["TEE-M"]["availability"] == "https://schema.org/LimitedAvailability"
    assert offers["TEE-L"]["availability"] == "https://schema.org/OutOfStock"


def test_structured_data_cannot_be_broken_out_of(client, outlet):
    product = make_product(title="</script><script>alert(1)</script> tee")

    page = html(client.get(product.get_absolute_url()))

    assert "<script>alert(1)" not in page
    product_data = next(item for item in json_ld(page) if item.get("@type") == "Product")
    assert product_data["name"] == "</script><script>alert(1)</script> tee"


def test_catalogue_pages_are_cached_for_anonymous_readers(client, catalogue):
    url = catalogue.tee.get_absolute_url()

    first = client.get(url)
    second = client.get(url)

    assert first["X-Cache"] == "miss"
    assert second["X-Cache"] == "hit"


def test_editing_a_variant_refreshes_the_cached_product_page(client, catalogue):
    url = catalogue.tee.get_absolute_url()
    client.get(url)
    variant = catalogue.tee.variants.get(sku="TEE-S")
    variant.price = 1600
    variant.save()

    page = html(client.get(url))

    assert "£16.00" in page
