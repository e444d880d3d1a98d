"""Reader-facing donation pages: give, thanks, manage my support, and where the money goes.

The donate page and the donate prompts sit on pages cached whole, so their form carries
no CSRF token and the endpoint it posts to defends itself: the Origin (or Referer) must
be this site, and all it can lead to is a checkout page for an amount the server worked
out. Card testers use donate forms to try stolen card numbers on the checkout pages they
open, so checkouts started are rate-limited per network (an IPv6 /64 counts as one client)
and per donor mailbox, at limits a real donor never meets. The "manage my support" request
works the same way and answers the same whether or not the address has given before.

The donor's own page is reached only through a signed link that expires; it is never
cached, and its buttons carry a CSRF token as usual.
"""

import logging

from django.conf import settings
from django.core import signing
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from masthead.audience import attribution
from masthead.core import ratelimit
from masthead.core.origin import is_same_site
from masthead.donations import svg
from masthead.donations.checkout import DonationRequest, parse_reference, start_donation
from masthead.donations.donors import (
    donations_for,
    normalise_email,
    read_manage_token,
    recurring_for,
)
from masthead.donations.forms import ChangeAmountForm, DonateForm, ManageLinkForm
from masthead.donations.funding import funding_series, month_funding
from masthead.donations.models import Donation, DonationSettings
from masthead.donations.self_service import (
    NotAllowed,
    cancel_monthly,
    change_monthly_amount,
    customer_portal_url,
)
from masthead.donations.tasks import send_manage_link_task
from masthead.newsletter import consent as newsletter_consent
from masthead.newsletter import services as newsletter
from masthead.payments.money import InvalidAmount
from masthead.payments.providers.base import PaymentProviderError
from masthead.payments.services import InvalidCheckout, PaymentsUnavailable

logger = logging.getLogger("masthead.donations")

# How many times the thanks page reloads itself while the payment is being confirmed.
THANKS_MAX_WAITS = 15


def _cross_site_refusal(request):
    """A 403 page for a post from another site, or None for one from this site."""
    if is_same_site(request):
        return None
    return render(request, "donations/refused.html", status=403)


def _within_network_limit(request, limit_name, per_network_limit):
    """Count one attempt from the request's network against a (count, seconds) setting
    named ``limit_name``; False once over it."""
    client = ratelimit.client_network(request) or "unknown"
    limit, window = per_network_limit
    return ratelimit.allow(
        f"{limit_name.lower()}:{client}", limit, window, when_unavailable=ratelimit.REFUSE
    )


def _rate_limited(request):
    return render(request, "donations/rate_limited.html", status=429)


def _donate_page(request, form, status=200):
    config = DonationSettings.current(request)
    return render(
        request,
        "donations/donate.html",
        {"form": form, "donation_settings": config, **_amount_choices(request, config, form)},
        status=status,
    )


def _amount_choices(request, config, form):
    """What the donate form shows pre-selected: from a posted form, a prompt's link
    (?frequency=&amount=), or the outlet's default."""
    source = form.data if form.is_bound else request.GET
    frequency = source.get("frequency")
    if frequency not in Donation.Kind.values:
        frequency = config.default_frequency
    return {
        "selected_frequency": frequency,
        "selected_amount": source.get("amount", ""),
        "one_off_amounts": config.suggested_amounts(Donation.Kind.ONE_OFF),
        "monthly_amounts": config.suggested_amounts(Donation.Kind.MONTHLY),
    }


@require_GET
def donate(request):
    """The donate page (cacheable: the same for every reader)."""
    return _donate_page(request, DonateForm(config=DonationSettings.current(request)))


def _opt_in_to_newsletter(request, email, config, attributed=None):
    """Sign the donor up to the public newsletters with double opt-in, recording where the
    consent was given; a failure here never stands in the way of the gift."""
    try:
        newsletter.sign_up(
            email=email,
            name="",
            newsletters=newsletter.public_newsletters(),
            context=newsletter_consent.ConsentContext.from_request(request, "donation form"),
            wording=config.newsletter_opt_in_wording,
            wording_version="donation-1",
            attribution=attributed,
        )
    except Exception:
        logger.exception("Newsletter opt-in from the donation form failed")


@csrf_exempt
@never_cache
def give(request):
    """Receive the donate form from any page and send the reader to the checkout page."""
    if request.method != "POST":
        return redirect("donations:donate")
    refused = _cross_site_refusal(request)
    if refused is not None:
        return refused
    config = DonationSettings.current(request)
    form = DonateForm(request.POST, config=config)
    if not form.is_valid():
        return _donate_page(request, form, status=400)
    data = form.cleaned_data
    # Only checkouts about to be opened count: a donor correcting the form spends nothing.
    if not _within_network_limit(
        request, "DONATIONS_START_LIMIT_PER_IP", settings.DONATIONS_START_LIMIT_PER_IP
    ):
        return _rate_limited(request)
    limit, window = settings.DONATIONS_START_LIMIT_PER_ADDRESS
    mailbox = ratelimit.hashed(ratelimit.mailbox(data["email"]))
    if not ratelimit.allow(
        f"donations-start-address:{mailbox}", limit, window, when_unavailable=ratelimit.REFUSE
    ):
        return _rate_limited(request)
    attributed = attribution.capture(request)
    try:
        checkout = start_donation(
            DonationRequest(
                frequency=data["frequency"],
                amount=data["amount_pence"],
                currency=data["currency"],
                email=data["email"],
                cover_fees=data["cover_fees"],
                public_name=data["public_name"],
                message=data["message"],
                anonymous=data["anonymous"],
            ),
            config,
            attribution=attributed,
        )
    except (InvalidAmount, InvalidCheckout) as error:
        form.add_error(None, str(error))
        return _donate_page(request, form, status=400)
    except PaymentsUnavailable as error:
        # The site has no payment provider set up (check --deploy says so): not a crash to
        # email the admins about at every attempt, and nothing a reader's retry would mend.
        logger.warning("A gift was refused: %s", error)
        return render(request, "donations/unavailable.html", {"not_set_up": True}, status=503)
    except PaymentProviderError:
        logger.exception("Could not open a checkout for a donation")
        return render(request, "donations/unavailable.html", status=503)
    if data["newsletter_opt_in"]:
        _opt_in_to_newsletter(request, data["email"], config, attributed)
    return redirect(checkout.url)


@never_cache
@require_GET
def thanks(request):
    """Where the checkout sends the reader back: shows what the webhooks decided, and
    reloads itself for a short while if they have not arrived yet."""
    reference = parse_reference(request.GET.get("ref", ""))
    donation = Donation.objects.filter(reference=reference).first() if reference else None
    if donation is None:
        return render(request, "donations/thanks_unknown.html", status=404)
    try:
        waited = max(int(request.GET.get("wait", "0")), 0)
    except ValueError:
        waited = 0
    waiting = donation.status in {Donation.Status.PENDING, Donation.Status.PROCESSING}
    refresh_url = None
    if donation.status == Donation.Status.PENDING and waited < THANKS_MAX_WAITS:
        refresh_url = f"{reverse('donations:thanks')}?ref={donation.reference}&wait={waited + 1}"
    return render(
        request,
        "donations/thanks.html",
        {"donation": donation, "waiting": waiting, "refresh_url": refresh_url},
    )


@csrf_exempt
@never_cache
def manage(request):
    """Ask for a sign-in link to one's own donations; the same answer for any address."""
    if request.method != "POST":
        return render(request, "donations/manage_request.html", {"form": ManageLinkForm()})
    refused = _cross_site_refusal(request)
    if refused is not None:
        return refused
    if not _within_network_limit(
        request, "DONATIONS_MANAGE_LIMIT_PER_IP", settings.DONATIONS_MANAGE_LIMIT_PER_IP
    ):
        return _rate_limited(request)
    form = ManageLinkForm(request.POST)
    if not form.is_valid():
        return render(request, "donations/manage_request.html", {"form": form}, status=400)
    email = normalise_email(form.cleaned_data["email"])
    limit, window = settings.DONATIONS_MANAGE_LIMIT_PER_ADDRESS
    # Counted by the mailbox the address reaches: "+tags", case and Gmail's dots are one.
    if ratelimit.allow(
        f"donations-manage-address:{ratelimit.hashed(ratelimit.mailbox(email))}",
        limit,
        window,
        when_unavailable=ratelimit.REFUSE,
    ):
        send_manage_link_task.enqueue(email)
    return render(request, "donations/manage_sent.html")


def _donor_email(request, token):
    """The address a manage link names, or a rendered refusal for an expired or bad link."""
    try:
        return read_manage_token(token), None
    except signing.SignatureExpired:
        return None, render(request, "donations/link_invalid.html", {"expired": True}, status=400)
    except signing.BadSignature:
        return None, render(request, "donations/link_invalid.html", status=400)


def _donor_page(request, token, email, status=200, message="", error="", forms_by_id=None):
    config = DonationSettings.current(request)
    supporters = list(recurring_for(email))
    forms_by_id = forms_by_id or {}
    for recurring in supporters:
        recurring.amount_form = forms_by_id.get(recurring.pk) or ChangeAmountForm(
            config=config, currency=recurring.currency
        )
    return render(
        request,
        "donations/manage.html",
        {
            "token": token,
            "email": email,
            "donations": donations_for(email).select_related("recurring"),
            "supporters": supporters,
            "message": message,
            "error": error,
        },
        status=status,
    )


@never_cache
@require_GET
def manage_donor(request, token):
    """The donor's own page: their donations and receipts, and their monthly gifts."""
    email, refusal = _donor_email(request, token)
    if refusal is not None:
        return refusal
    return _donor_page(request, token, email)


@never_cache
@require_POST
def change_amount(request, token, recurring_id):
    """Change one of the donor's monthly gifts to a new amount."""
    email, refusal = _donor_email(request, token)
    if refusal is not None:
        return refusal
    recurring = recurring_for(email).filter(pk=recurring_id).first()
    if recurring is None:
        raise Http404
    form = ChangeAmountForm(
        request.POST, config=DonationSettings.current(request), currency=recurring.currency
    )
    if not form.is_valid():
        return _donor_page(request, token, email, status=400, forms_by_id={recurring.pk: form})
    try:
        change_monthly_amount(email, recurring.pk, form.cleaned_data["amount"])
    except (NotAllowed, InvalidAmount, PaymentProviderError) as error:
        return _donor_page(request, token, email, status=400, error=str(error))
    return _donor_page(request, token, email, message=_("Your monthly amount has been changed."))


@never_cache
@require_POST
def cancel(request, token, recurring_id):
    """Stop one of the donor's monthly gifts."""
    email, refusal = _donor_email(request, token)
    if refusal is not None:
        return refusal
    try:
        cancel_monthly(email, recurring_id)
    except (NotAllowed, PaymentProviderError) as error:
        return _donor_page(request, token, email, status=400, error=str(error))
    return _donor_page(request, token, email, message=_("Your monthly gift has been cancelled."))


@never_cache
@require_POST
def card(request, token, recurring_id):
    """Send the donor to the provider's own page to change their card."""
    email, refusal = _donor_email(request, token)
    if refusal is not None:
        return refusal
    return_url = request.build_absolute_uri(reverse("donations:manage_donor", args=[token]))
    try:
        url = customer_portal_url(email, recurring_id, return_url)
    except (NotAllowed, PaymentProviderError) as error:
        return _donor_page(request, token, email, status=400, error=str(error))
    return redirect(url)


# Every gift changes these figures, and a gift must not empty the page cache for everyone,
# so this page is built afresh each time (a few aggregate queries) instead of cached.
@cache_control(max_age=0, no_cache=True)
@require_GET
def funding(request):
    """Where the money goes: this month's costs against what readers gave, the breakdown,
    the number of supporters and a 12-month chart."""
    figures = month_funding()
    series = funding_series(12, figures.month, figures.currency)
    return render(
        request,
        "donations/funding.html",
        {
            "funding": figures,
            "series": series,
            "chart": svg.funding_chart(series, figures.currency),
        },
    )
