"""Checkout, in three steps and a payment: details, delivery, review, pay.

Every step is personal to one reader, so none is cached and every form carries a CSRF
token. The details and the chosen delivery option are kept in the reader's session; the
basket itself stays in the database. Nothing the browser posts is trusted for money: each
step prices the basket afresh from the database (``pricing.quote``), and the review page's
form carries the figures it showed with a keyed digest of them. ``pay`` prices everything
again and refuses unless what was posted, the digest and the fresh figures all agree, so a
changed price, quantity, item or currency in a post starts no order and charges nothing.

Starting to pay holds stock for everyone else, so ``pay`` is rate-limited per IP network
(an IPv6 /64 counts as one) and per mailbox (``ratelimit.mailbox``: case, +tags and Gmail
dots make no new address), and ``checkout.start_order`` bounds the unpaid orders one
network or mailbox may have at once.
"""

import logging
import re

from django import forms
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from masthead.audience import attribution as audience
from masthead.core import ratelimit
from masthead.shop import cart as carts
from masthead.shop import checkout, pricing
from masthead.shop.countries import COUNTRIES, country_name

logger = logging.getLogger("masthead.shop")

SESSION_KEY = "shop_checkout"
# The Royal Mail's postcode shapes (outward code, then inward code), plus the special GIR 0AA.
UK_POSTCODE = re.compile(
    r"^(GIR0AA|[A-PR-UWYZ]"
    r"([0-9]{1,2}|[A-HK-Y][0-9]{1,2}|[0-9][A-HJKPS-UW]|[A-HK-Y][0-9][ABEHMNPRV-Y])"
    r"[0-9][ABD-HJLNP-UW-Z]{2})$"
)
PHONE = re.compile(r"^[0-9+()\-. ]{5,40}$")
NEWSLETTER_WORDING = checkout.NEWSLETTER_WORDING


def normalise_uk_postcode(value):
    """ "sw1a1aa" and " SW1A  1AA " both become "SW1A 1AA"; None when it is not a UK
    postcode."""
    compact = re.sub(r"\s+", "", value or "").upper()
    if not UK_POSTCODE.match(compact):
        return None
    return f"{compact[:-3]} {compact[-3:]}"


class DetailsForm(forms.Form):
    """Who the order is for and where it goes. The newsletter box is separate, unticked,
    and changes nothing about the order."""

    email = forms.EmailField(
        label=gettext_lazy("Email address"),
        max_length=254,
        help_text=gettext_lazy("For your order confirmation and delivery updates."),
    )
    full_name = forms.CharField(label=gettext_lazy("Full name"), max_length=200)
    address_line1 = forms.CharField(label=gettext_lazy("Address"), max_length=200)
    address_line2 = forms.CharField(
        label=gettext_lazy("Address line 2 (optional)"), max_length=200, required=False
    )
    city = forms.CharField(label=gettext_lazy("Town or city"), max_length=100)
    region = forms.CharField(
        label=gettext_lazy("County, state or region (optional)"), max_length=100, required=False
    )
    postcode = forms.CharField(label=gettext_lazy("Postcode"), max_length=20, required=False)
    country = forms.ChoiceField(
        label=gettext_lazy("Country"),
        choices=COUNTRIES,
        initial="GB",
        error_messages={"invalid_choice": gettext_lazy("Choose a country from the list.")},
    )
    phone = forms.CharField(
        label=gettext_lazy("Phone (optional)"),
        max_length=40,
        required=False,
        help_text=gettext_lazy("Only if the courier needs to reach you."),
    )
    newsletter_opt_in = forms.BooleanField(label=NEWSLETTER_WORDING, required=False, initial=False)

    def clean_full_name(self):
        return " ".join(self.cleaned_data["full_name"].split())

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        if phone and not PHONE.match(phone):
            raise forms.ValidationError(
                _("Please enter a phone number using digits (and + or spaces), or leave it empty.")
            )
        return phone

    def clean(self):
        cleaned = super().clean()
        country = cleaned.get("country")
        postcode = (cleaned.get("postcode") or "").strip()
        if country == "GB":
            normalised = normalise_uk_postcode(postcode)
            if not postcode:
                self.add_error("postcode", _("Please enter your postcode."))
            elif normalised is None:
                self.add_error("postcode", _("Please enter a UK postcode in full, like SW1A 1AA."))
            else:
                cleaned["postcode"] = normalised
        else:
            cleaned["postcode"] = " ".join(postcode.split())
        return cleaned

    def details(self):
        return checkout.CheckoutDetails(
            **{
                name: self.cleaned_data[name]
                for name in checkout.CheckoutDetails.__dataclass_fields__
            }
        )


def _state(request):
    state = request.session.get(SESSION_KEY)
    return state if isinstance(state, dict) else {}


def _save_state(request, **changes):
    state = {**_state(request), **changes}
    request.session[SESSION_KEY] = state
    return state


def _details(request):
    return checkout.CheckoutDetails.from_dict(_state(request).get("details"))


def _rate_id(request):
    value = _state(request).get("shipping_rate")
    return value if isinstance(value, int) else None


def _basket_or_redirect(request):
    """The reader's basket when it can go through checkout; else a redirect to the basket
    page with a message saying why."""
    basket, _quote, away = _priced_basket_or_redirect(request)
    return basket, away


def _priced_basket_or_redirect(request, reader=None, rate_id=None):
    """As ``_basket_or_redirect``, with the basket's quote for ``reader`` and ``rate_id``
    too, so that a step that shows the quote prices the basket once. Only the items' own
    problems send the reader back to the basket (delivery is the steps' business)."""
    config = pricing.shop_settings_for_request(request)
    basket = carts.cart_from_request(request)
    if not config.is_open:
        messages.error(request, _("The shop is closed at the moment, so nothing can be bought."))
        return None, None, redirect("shop:cart")
    # An empty basket shows as a quote without lines: no query of its own to ask.
    quote = checkout.quote_for(basket, reader, rate_id, shop_settings_=config) if basket else None
    if quote is None or not quote.lines:
        messages.error(request, _("Your basket is empty."))
        return None, None, redirect("shop:cart")
    if any(line.problem for line in quote.lines):
        messages.error(request, _("Please sort out the items flagged in your basket first."))
        return None, None, redirect("shop:cart")
    return basket, quote, None


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def details(request):
    """Step 1: email, delivery address, and the (unticked) newsletter box."""
    basket, away = _basket_or_redirect(request)
    if away is not None:
        return away
    if request.method == "POST":
        form = DetailsForm(request.POST)
        if form.is_valid():
            _save_state(
                request,
                details=form.details().as_dict(),
                attribution=checkout.checkout_attribution(request).as_dict(),
            )
            return redirect("shop:checkout_shipping")
        status = 400
    else:
        saved = _details(request)
        form = DetailsForm(initial=saved.as_dict() if saved else None)
        status = 200
    quote = checkout.quote_for(basket)
    return render(
        request,
        "shop/checkout/details.html",
        {"form": form, "quote": quote, "step": 1},
        status=status,
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def shipping(request):
    """Step 2: how to send it, from the rates of the country's zone."""
    basket, away = _basket_or_redirect(request)
    if away is not None:
        return away
    reader = _details(request)
    if reader is None:
        return redirect("shop:checkout")
    quote = checkout.quote_for(basket, reader)
    error, status = "", 200
    if request.method == "POST":
        choice = request.POST.get("shipping_rate", "")
        chosen = next(
            (option for option in quote.shipping_options if str(option.rate_id) == choice), None
        )
        if chosen is not None:
            _save_state(request, shipping_rate=chosen.rate_id)
            return redirect("shop:checkout_review")
        error, status = _("Please choose one of the delivery options."), 400
    return render(
        request,
        "shop/checkout/shipping.html",
        {
            "quote": quote,
            "details": reader,
            "country_name": country_name(reader.country),
            "selected": _rate_id(request),
            "error": error,
            "step": 2,
        },
        status=status,
    )


def _review_page(request, basket, reader, rate_id, *, error="", status=200, quote=None):
    quote = quote or checkout.quote_for(basket, reader, rate_id)
    return render(
        request,
        "shop/checkout/review.html",
        {
            "quote": quote,
            "details": reader,
            "country_name": country_name(reader.country),
            "digest": checkout.quote_digest(quote),
            "error": error,
            "step": 3,
        },
        status=status,
    )


def _review_inputs(request, with_quote=False):
    """The basket, details and delivery option a review or payment needs, or a redirect to
    the step that is missing; with ``with_quote``, the basket's quote for them as well."""
    reader = _details(request)
    rate_id = _rate_id(request) if reader is not None else None
    basket, quote, away = _priced_basket_or_redirect(request, reader, rate_id)
    missing = (None, None, None, None) if with_quote else (None, None, None)
    if away is not None:
        return (*missing, away)
    if reader is None:
        return (*missing, redirect("shop:checkout"))
    if quote.shipping is None:
        if quote.shipping_options:
            messages.error(request, _("Please choose how your order should be delivered."))
        return (*missing, redirect("shop:checkout_shipping"))
    if with_quote:
        return basket, reader, rate_id, quote, None
    return basket, reader, rate_id, None


@never_cache
@require_http_methods(["GET", "HEAD"])
def review(request):
    """Step 3: everything the reader is about to pay for, and the button to pay."""
    basket, reader, rate_id, quote, away = _review_inputs(request, with_quote=True)
    if away is not None:
        return away
    return _review_page(request, basket, reader, rate_id, quote=quote)


def _posted_matches(request, quote):
    """Whether the figures posted by the review form are exactly the ones priced now."""
    post = request.POST
    try:
        count = int(post.get("line_count", ""))
    except ValueError:
        return False
    if count != len(quote.lines):
        return False
    for index, line in enumerate(quote.lines):
        posted = (
            post.get(f"line-{index}-variant"),
            post.get(f"line-{index}-quantity"),
            post.get(f"line-{index}-price"),
        )
        if posted != (str(line.variant_id), str(line.quantity), str(line.unit_price)):
            return False
    return post.get("currency") == quote.currency and post.get("total") == str(quote.total)


def _may_start_paying(request, reader):
    """Count one start of payment for the reader's network and mailbox; False once either
    has started more than its limit allows in the window."""
    network = ratelimit.client_network(request) or "unknown"
    limit, window = settings.SHOP_CHECKOUT_LIMIT_PER_IP
    if not ratelimit.allow(
        f"shop-checkout-network:{network}", limit, window, when_unavailable=ratelimit.REFUSE
    ):
        return False
    mailbox = ratelimit.hashed(ratelimit.mailbox(reader.email))
    limit, window = settings.SHOP_CHECKOUT_LIMIT_PER_ADDRESS
    return ratelimit.allow(
        f"shop-checkout-address:{mailbox}", limit, window, when_unavailable=ratelimit.REFUSE
    )


@never_cache
@require_POST
def pay(request):
    """Start the order and send the reader to the payment page: only if the posted review
    matches today's prices exactly."""
    basket, reader, rate_id, away = _review_inputs(request)
    if away is not None:
        return away
    if not _may_start_paying(request, reader):
        error = _(
            "Payment was started too many times in a short while. Nothing was charged; "
            "please wait a few minutes and try again."
        )
        return _review_page(request, basket, reader, rate_id, error=error, status=429)
    quote = checkout.quote_for(basket, reader, rate_id)
    digest = request.POST.get("digest", "")
    if not _posted_matches(request, quote) or not checkout.digest_matches(quote, digest):
        return _review_page(
            request, basket, reader, rate_id, error=str(checkout.PricesChanged()), status=409
        )
    try:
        started = checkout.start_order(
            basket,
            reader,
            rate_id,
            digest=digest,
            client_network=ratelimit.client_network(request),
            attribution=audience.Attribution.from_dict(_state(request).get("attribution")),
        )
    except checkout.PaymentUnavailable as error:
        return _review_page(request, basket, reader, rate_id, error=str(error), status=503)
    except checkout.UnpaidOrdersLimit as error:
        return _review_page(request, basket, reader, rate_id, error=str(error), status=429)
    except checkout.CheckoutError as error:
        return _review_page(request, basket, reader, rate_id, error=str(error), status=409)
    return redirect(started.checkout_url)
