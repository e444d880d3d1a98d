"""The catalogue in Wagtail's admin, used as an editor would: creating a product with its
variants through the real form, seeing it in the shop, and the errors for what must not be
saved (duplicate SKUs or options, missing option values, a 150% discount...)."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

from masthead.publishing.roles import ADMINISTRATORS, CONTRIBUTORS, EDITORS
from masthead.shop.models import Category, DiscountCode, Product, ShippingZone
from tests.shop.factories import make_code, make_default_zones, make_product

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password-for-the-shop"


def make_user(username, group_name):
    user = get_user_model().objects.create_user(username, f"{username}@newsroom.test", PASSWORD)
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def editor_client(client, outlet):
    client.force_login(make_user("eddie", EDITORS))
    return client


def variant(sku, option1="", option2="", price="1800", stock="10", **extra):
    return {
        "sku": sku,
        "option1": option1,
        "option2": option2,
        "option3": "",
        "price": price,
        "compare_at_price": "",
        "cost": "700",
        "weight_grams": "220",
        "track_stock": "on",
        "stock": stock,
        "fulfilment": "outlet",
        "external_variant_id": "",
        **extra,
    }


def product_form(category, variants, **fields):
    data = {
        "title": "Weir walk tee",
        "slug": "weir-walk-tee",
        "category": category.pk,
        "summary": "A soft tee with the weir drawn on the front.",
        "description": rich_text("<p>Organic cotton, printed in Riverside.</p>"),
        "option1_name": "Size",
        "option2_name": "",
        "option3_name": "",
        "live": "on",
        "featured": "",
        "sort_order": "0",
        "images": inline_formset([]),
        "variants": inline_formset(variants, min=1),
    }
    data.update(fields)
    return nested_form_data(data)


ADD_PRODUCT = "wagtailsnippets_shop_product:add"


def test_an_editor_creates_a_product_with_two_variants_and_it_is_in_the_shop(editor_client, client):
    tees = Category.objects.create(name="T-shirts", slug="t-shirts")

    response = editor_client.post(
        reverse(ADD_PRODUCT),
        product_form(tees, [variant("WEIR-S", "S"), variant("WEIR-M", "M", stock="0")]),
    )

    assert response.status_code == 302
    product = Product.objects.get(slug="weir-walk-tee")
    assert [(v.sku, v.option1, v.price, v.stock) for v in product.variants.order_by("sku")] == [
        ("WEIR-M", "M", 1800, 0),
        ("WEIR-S", "S", 1800, 10),
    ]
    editor_client.logout()
    page = client.get(product.get_absolute_url()).content.decode()
    assert "Weir walk tee" in page
    assert "£18.00" in page
    assert page.count('type="radio" name="variant"') == 2


def test_the_product_listing_shows_price_range_stock_and_filters(editor_client, catalogue):
    make_product(
        catalogue.posters,
        title="Flood map print",
        live=False,
        variants=[
            {"sku": "MAP-A3", "option1": "A3", "price": 1200, "stock": 4},
            {"sku": "MAP-A2", "option1": "A2", "price": 2000, "stock": 1},
        ],
    )
    url = reverse("wagtailsnippets_shop_product:list")

    everything = editor_client.get(url).content.decode()
    posters = editor_client.get(url, {"category": catalogue.posters.pk}).content.decode()
    hidden = editor_client.get(url, {"live": "false"}).content.decode()

    assert "Ledger logo tee" in everything
    assert "£12.00 to £20.00" in everything
    assert "Made to order" in everything
    assert "Sold out" in everything
    assert "Flood map print" in posters and "Ledger logo tee" not in posters
    assert "Flood map print" in hidden and "Ledger logo tee" not in hidden


def test_duplicate_options_are_refused_with_a_message(editor_client):
    tees = Category.objects.create(name="T-shirts", slug="t-shirts")

    response = editor_client.post(
        reverse(ADD_PRODUCT),
        product_form(tees, [variant("WEIR-S", "S"), variant("WEIR-S2", "s")]),
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Another variant (WEIR-S) has the same options" in page
    assert "Some variants need attention" in page
    assert not Product.objects.exists()


def test_a_variant_without_a_value_for_a_named_option_is_refused(editor_client):
    tees = Category.objects.create(name="T-shirts", slug="t-shirts")

    response = editor_client.post(
        reverse(ADD_PRODUCT),
        product_form(
            tees,
            [variant("WEIR-S-NAVY", "S", "Navy"), variant("WEIR-M", "M")],
            option2_name="Colour",
        ),
    )

    assert response.status_code == 200
    assert "Give this variant a colour." in response.content.decode()
    assert not Product.objects.exists()


def test_a_value_for_an_option_the_product_does_not_name_is_refused(editor_client):
    tees = Category.objects.create(name="T-shirts", slug="t-shirts")

    response = editor_client.post(
        reverse(ADD_PRODUCT), product_form(tees, [variant("WEIR-S", "S", "Navy")])
    )

    assert response.status_code == 200
    assert "The product names no option 2" in response.content.decode()
    assert not Product.objects.exists()


def test_options_are_named_in_order(editor_client):
    tees = Category.objects.create(name="T-shirts", slug="t-shirts")

    response = editor_client.post(
        reverse(ADD_PRODUCT),
        product_form(tees, [variant("WEIR-1", "", "Navy")], option1_name="", option2_name="Colour"),
    )

    assert response.status_code == 200
    assert "Name the first option before the second." in response.content.decode()
    assert not Product.objects.exists()


def test_a_sku_already_used_and_a_price_of_zero_are_refused(editor_client, catalogue):
    response = editor_client.post(
        reverse(ADD_PRODUCT),
        product_form(catalogue.tees, [variant("TEE-S", "S"), variant("WEIR-M", "M", price="0")]),
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Variant with this SKU already exists." in page
    assert "Ensure this value is greater than or equal to 1." in page
    assert not Product.objects.filter(slug="weir-walk-tee").exists()


def test_a_product_needs_at_least_one_variant(editor_client):
    tees = Category.objects.create(name="T-shirts", slug="t-shirts")

    response = editor_client.post(reverse(ADD_PRODUCT), product_form(tees, []))

    assert response.status_code == 200
    assert not Product.objects.exists()


def discount_form(**fields):
    data = {
        "code": "spring-25",
        "active": "on",
        "description": "",
        "kind": "percent",
        "value": "25",
        "minimum_order": "0",
        "starts_at": "",
        "expires_at": "",
        "usage_limit": "",
        "per_customer_limit": "",
    }
    data.update(fields)
    return data


def test_an_editor_creates_a_discount_code_stored_in_capitals(editor_client):
    response = editor_client.post(
        reverse("wagtailsnippets_shop_discountcode:add"), discount_form(usage_limit="50")
    )

    assert response.status_code == 302
    code = DiscountCode.objects.get()
    assert (code.code, code.value, code.usage_limit) == ("SPRING-25", 25, 50)
    listing = editor_client.get(reverse("wagtailsnippets_shop_discountcode:list")).content
    assert "25% off" in listing.decode()
    assert "0 / 50" in listing.decode()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"value": "150"}, "A percentage discount can be at most 100."),
        ({"code": "WELCOME10"}, "There is already a code WELCOME10."),
        ({"code": "welcome10"}, "There is already a code WELCOME10."),
        ({"code": "ten off!"}, "Use 2 to 40 letters, digits and dashes"),
        (
            {"starts_at": "2026-12-01 00:00", "expires_at": "2026-11-01 00:00"},
            "The code must expire after it becomes valid.",
        ),
        ({"value": "0"}, "Ensure this value is greater than or equal to 1."),
    ],
)
def test_bad_discount_codes_are_refused(editor_client, fields, message):
    make_code("WELCOME10")

    response = editor_client.post(
        reverse("wagtailsnippets_shop_discountcode:add"), discount_form(**fields)
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert DiscountCode.objects.count() == 1


def zone_form(name, countries, rates, **fields):
    return nested_form_data(
        {
            "name": name,
            "countries": countries,
            "free_shipping_threshold": "",
            "sort_order": "5",
            "rates": inline_formset(rates, min=1),
            **fields,
        }
    )


def rate(name="Tracked", minimum="0", maximum="", price="1200", basis="weight"):
    return {
        "name": name,
        "delivery_estimate": "",
        "basis": basis,
        "minimum": minimum,
        "maximum": maximum,
        "price": price,
    }


def test_an_editor_creates_a_shipping_zone_with_rates(editor_client, outlet):
    response = editor_client.post(
        reverse("wagtailsnippets_shop_shippingzone:add"),
        zone_form("Nordics", "no, is; fo", [rate(maximum="2000"), rate("Heavy", "2000")]),
    )

    assert response.status_code == 302
    zone = ShippingZone.objects.get(name="Nordics")
    assert zone.country_codes == ["NO", "IS", "FO"]
    assert zone.rates.count() == 2


@pytest.mark.parametrize(
    ("countries", "rates", "message"),
    [
        ("FR, Germany", [rate()], "These are not two-letter country codes: GERMANY."),
        ("GB, NO", [rate()], "Already in another zone: GB (United Kingdom)."),
        ("", [rate()], "Another zone already covers the rest of the world"),
        ("NO", [rate(minimum="500", maximum="500")], "This must be more than the"),
    ],
)
def test_bad_shipping_zones_are_refused(editor_client, outlet, countries, rates, message):
    make_default_zones()

    response = editor_client.post(
        reverse("wagtailsnippets_shop_shippingzone:add"), zone_form("Nordics", countries, rates)
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ShippingZone.objects.filter(name="Nordics").exists()


def test_the_shop_menu_groups_the_catalogue(editor_client):
    page = editor_client.get(reverse("wagtailadmin_home")).content.decode()

    for label in ("Shop", "Products", "Categories", "Shipping zones", "Discount codes"):
        assert f'"{label}"' in page or f">{label}<" in page


@pytest.mark.parametrize("group_name", [EDITORS, ADMINISTRATORS])
def test_editors_and_administrators_may_manage_the_shop(client, outlet, group_name):
    user = make_user("staff", group_name)

    for permission in (
        "shop.add_product",
        "shop.change_variant",
        "shop.delete_discountcode",
        "shop.change_shippingzone",
        "shop.change_shopsettings",
        "shop.view_order",
    ):
        assert user.has_perm(permission), permission


def test_contributors_may_not_manage_the_shop(client, outlet):
    client.force_login(make_user("casey", CONTRIBUTORS))

    response = client.get(reverse("wagtailsnippets_shop_product:list"))

    assert response.status_code == 302
    assert not get_user_model().objects.get(username="casey").has_perm("shop.add_product")


def test_an_editor_edits_a_product_and_chooses_it_for_an_article(editor_client, catalogue):
    edit = editor_client.get(reverse("wagtailsnippets_shop_product:edit", args=[catalogue.tee.pk]))
    chooser = editor_client.get(reverse("wagtailsnippetchoosers_shop_product:choose"))
    search = editor_client.get(
        reverse("wagtailsnippetchoosers_shop_product:choose_results"), {"q": "poster"}
    )

    assert edit.status_code == 200
    assert "TEE-S" in edit.content.decode()
    assert chooser.status_code == 200
    assert "Ledger logo tee" in chooser.content.decode()
    assert "Riverside map poster" in search.content.decode()
    assert "Ledger logo tee" not in search.content.decode()


def test_the_article_editor_offers_the_product_block(editor_client, outlet):
    add_article = reverse(
        "wagtailadmin_pages:add", args=["publishing", "articlepage", outlet.section.pk]
    )

    page = editor_client.get(add_article).content.decode()

    assert reverse("wagtailsnippetchoosers_shop_product:choose") in page
