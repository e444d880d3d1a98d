"""The catalogue in Wagtail's admin: products (with their pictures and variants), categories,
shipping zones (with their rates) and discount codes.

They are snippets, so an editor can choose a product in an article's product block. The
forms check what the database would otherwise refuse with an unhelpful error (a percentage
over 100, a code that differs from another only in case) and what it cannot check at all
(two variants with the same options, a variant missing a value for an option the product
names, country codes that are not two letters, a country in two zones).

``wagtail_hooks`` puts these viewsets in the shop's one "Shop" menu.
"""

import re

from django import forms
from django.conf import settings
from django.db.models import Count, Max, Min, Q, Sum
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.snippets.views.snippets import SnippetViewSet

from masthead.payments.money import format_money
from masthead.shop.models import Category, DiscountCode, Product, ShippingZone

OPTION_NUMBERS = (1, 2, 3)
CODE_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9-]{1,39}")
COUNTRY_CODE = re.compile(r"[A-Z]{2}")


def _currency():
    return settings.PAYMENTS_CURRENCY


def _should_delete(formset, form):
    return formset.can_delete and formset._should_delete_form(form)


def _kept_forms(formset):
    """The inline forms that will be saved: not deleted, and not blank extra forms."""
    return [
        form
        for form in formset.forms
        if not _should_delete(formset, form) and (form.instance.pk or form.has_changed())
    ]


# --- Products -------------------------------------------------------------------------------------


class ProductForm(WagtailAdminModelForm):
    """The product form: option names are filled in order, and every variant has exactly
    one value for each option the product names, different from every other variant's."""

    def clean(self):
        cleaned_data = super().clean()
        names = [(cleaned_data.get(f"option{number}_name") or "").strip() for number in (1, 2, 3)]
        if names[1] and not names[0]:
            self.add_error("option2_name", _("Name the first option before the second."))
        if names[2] and not names[1]:
            self.add_error("option3_name", _("Name the second option before the third."))
        formset = self.formsets.get("variants")
        if formset is not None and formset.is_valid():
            self._check_variants(formset, names)
        return cleaned_data

    def _check_variants(self, formset, names):
        seen = {}
        problems = False
        for form in _kept_forms(formset):
            values = [
                (form.cleaned_data.get(f"option{number}") or "").strip()
                for number in OPTION_NUMBERS
            ]
            for number, name, value in zip(OPTION_NUMBERS, names, values, strict=True):
                if name and not value:
                    form.add_error(
                        f"option{number}",
                        _("Give this variant a %(option)s.") % {"option": name.lower()},
                    )
                    problems = True
                elif value and not name:
                    form.add_error(
                        f"option{number}",
                        _(
                            "The product names no option %(number)d: name it above, "
                            "or leave this empty."
                        )
                        % {"number": number},
                    )
                    problems = True
            key = tuple(value.casefold() for value in values)
            if key in seen:
                form.add_error(
                    "option1",
                    _("Another variant (%(sku)s) has the same options; each needs its own.")
                    % {"sku": seen[key]},
                )
                problems = True
            else:
                seen[key] = form.cleaned_data.get("sku")
        if problems:
            self.add_error(None, _("Some variants need attention: see the messages beside them."))


def price_range(product):
    """The price, or the lowest and highest prices, of the product's variants."""
    low, high = product.lowest_price, product.highest_price
    if low is None:
        return _("No variants")
    if low == high:
        return format_money(low, _currency())
    return _("%(low)s to %(high)s") % {
        "low": format_money(low, _currency()),
        "high": format_money(high, _currency()),
    }


def stock_summary(product):
    """Units left over the tracked variants, and whether some are never out of stock."""
    tracked = product.tracked_stock or 0
    if product.untracked_variants:
        if product.tracked_variants:
            return _("%(count)d + made to order") % {"count": tracked}
        return _("Made to order")
    if not product.tracked_variants:
        return "—"
    return str(tracked) if tracked else _("Sold out")


class ProductViewSet(SnippetViewSet):
    """Products with their pictures and variants, filtered by category and whether on sale."""

    model = Product
    icon = "tag"
    menu_label = _("Products")
    add_to_admin_menu = False
    list_display = [
        "title",
        "category",
        "live",
        Column("price_range", label=_("Price"), accessor=price_range),
        Column("stock", label=_("Stock"), accessor=stock_summary),
    ]
    list_filter = ["category", "live", "featured"]
    list_per_page = 50
    ordering = ["sort_order", "title"]
    edit_handler = ObjectList(Product.panels, base_form_class=ProductForm)

    def get_queryset(self, request):
        return Product.objects.select_related("category").annotate(
            lowest_price=Min("variants__price"),
            highest_price=Max("variants__price"),
            tracked_stock=Sum("variants__stock", filter=Q(variants__track_stock=True)),
            tracked_variants=Count("variants", filter=Q(variants__track_stock=True)),
            untracked_variants=Count("variants", filter=Q(variants__track_stock=False)),
        )


# --- Categories -----------------------------------------------------------------------------------


class CategoryViewSet(SnippetViewSet):
    """The kinds of product, in the order the shop lists them."""

    model = Category
    icon = "folder-open-inverse"
    menu_label = _("Categories")
    add_to_admin_menu = False
    list_display = [
        "name",
        "slug",
        Column("products", label=_("Products"), accessor="product_count"),
        "sort_order",
    ]
    search_fields = ["name", "slug"]
    ordering = ["sort_order", "name"]

    def get_queryset(self, request):
        return Category.objects.annotate(product_count=Count("products"))


# --- Shipping -------------------------------------------------------------------------------------


class ShippingZoneForm(WagtailAdminModelForm):
    """Country codes are two letters, each in one zone only, with at most one zone for the
    rest of the world; a rate's band ends above where it starts."""

    def clean_countries(self):
        raw = self.cleaned_data.get("countries", "")
        codes = [code.strip().upper() for code in raw.replace(";", ",").split(",") if code.strip()]
        wrong = [code for code in codes if not COUNTRY_CODE.fullmatch(code)]
        if wrong:
            raise forms.ValidationError(
                _("These are not two-letter country codes: %(codes)s. Use codes such as GB, FR.")
                % {"codes": ", ".join(wrong)}
            )
        others = ShippingZone.objects.exclude(pk=self.instance.pk)
        if not codes and any(not zone.country_codes for zone in others):
            raise forms.ValidationError(
                _("Another zone already covers the rest of the world; list this zone's countries.")
            )
        taken = {code: zone.name for zone in others for code in zone.country_codes}
        clashes = [f"{code} ({taken[code]})" for code in codes if code in taken]
        if clashes:
            raise forms.ValidationError(
                _("Already in another zone: %(codes)s.") % {"codes": ", ".join(clashes)}
            )
        return ", ".join(dict.fromkeys(codes))

    def clean(self):
        cleaned_data = super().clean()
        formset = self.formsets.get("rates")
        if formset is not None and formset.is_valid():
            for form in _kept_forms(formset):
                minimum = form.cleaned_data.get("minimum") or 0
                maximum = form.cleaned_data.get("maximum")
                if maximum is not None and maximum <= minimum:
                    form.add_error("maximum", _("This must be more than the 'from' figure."))
        return cleaned_data


def countries_display(zone):
    return zone.countries or _("Rest of the world")


def free_shipping_display(zone):
    if zone.free_shipping_threshold is None:
        return "—"
    return _("From %(amount)s") % {
        "amount": format_money(zone.free_shipping_threshold, _currency())
    }


class ShippingZoneViewSet(SnippetViewSet):
    """Where the shop sends parcels, and its rates for each."""

    model = ShippingZone
    icon = "site"
    menu_label = _("Shipping zones")
    add_to_admin_menu = False
    list_display = [
        "name",
        Column("countries", label=_("Countries"), accessor=countries_display),
        Column("free", label=_("Free shipping"), accessor=free_shipping_display),
        Column("rates", label=_("Rates"), accessor="rate_count"),
    ]
    search_fields = ["name", "countries"]
    ordering = ["sort_order", "name"]
    edit_handler = ObjectList(ShippingZone.panels, base_form_class=ShippingZoneForm)

    def get_queryset(self, request):
        return ShippingZone.objects.annotate(rate_count=Count("rates"))


# --- Discount codes -------------------------------------------------------------------------------


class DiscountCodeForm(WagtailAdminModelForm):
    """A code is letters, digits and dashes, unique whatever its case; a percentage is at
    most 100; a code expires after it starts."""

    def clean_code(self):
        code = (self.cleaned_data.get("code") or "").strip().upper()
        if not CODE_PATTERN.fullmatch(code):
            raise forms.ValidationError(
                _("Use 2 to 40 letters, digits and dashes, starting with a letter or digit.")
            )
        if DiscountCode.objects.exclude(pk=self.instance.pk).filter(code=code).exists():
            raise forms.ValidationError(_("There is already a code %(code)s.") % {"code": code})
        return code

    def clean(self):
        cleaned_data = super().clean()
        kind, value = cleaned_data.get("kind"), cleaned_data.get("value")
        if kind == DiscountCode.Kind.PERCENT and value is not None and value > 100:
            self.add_error("value", _("A percentage discount can be at most 100."))
        starts, expires = cleaned_data.get("starts_at"), cleaned_data.get("expires_at")
        if starts and expires and expires <= starts:
            self.add_error("expires_at", _("The code must expire after it becomes valid."))
        return cleaned_data


def discount_display(code):
    if code.kind == DiscountCode.Kind.PERCENT:
        return _("%(value)d%% off") % {"value": code.value}
    return _("%(amount)s off") % {"amount": format_money(code.value, _currency())}


def uses_display(code):
    if code.usage_limit is None:
        return str(code.times_used)
    return f"{code.times_used} / {code.usage_limit}"


class DiscountCodeViewSet(SnippetViewSet):
    """Codes readers type at checkout, with how often each has been used."""

    model = DiscountCode
    icon = "pick"
    menu_label = _("Discount codes")
    add_to_admin_menu = False
    list_display = [
        "code",
        Column("discount", label=_("Discount"), accessor=discount_display),
        Column("uses", label=_("Used / limit"), accessor=uses_display),
        "expires_at",
        "active",
    ]
    list_filter = ["active", "kind"]
    search_fields = ["code", "description"]
    edit_handler = ObjectList(DiscountCode.panels, base_form_class=DiscountCodeForm)
