"""Reader-facing newsletter pages: sign up, confirm, preferences and unsubscribe.

The sign-up form sits on pages that are cached whole, so it carries no CSRF token and the
subscribe endpoint defends itself: the Origin (or Referer) must be this site, a honeypot
and a signed render time catch bots, rate limits cap attempts per IP and per address, and
double opt-in means nothing is mailed without the owner's click. Whatever happens to a
well-formed sign-up, the answer is the same page, so nobody can learn whether an address
is known.

The confirmation link opens a page with one button that POSTs, because mail scanners
fetch links in incoming mail and must not confirm by doing so. The unsubscribe link
unsubscribes on any POST (RFC 8058 one-click, without cookies or a CSRF token) and
answers 200 without a redirect.
"""

import logging

from django.conf import settings
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from masthead.audience import attribution
from masthead.core import ratelimit
from masthead.core.origin import is_same_site
from masthead.newsletter import campaign_links, consent, services, tokens
from masthead.newsletter.forms import PreferencesForm, SignupForm
from masthead.newsletter.models import Campaign, Newsletter, Subscriber

logger = logging.getLogger("masthead.newsletter")


def _signup_page(request, form=None, status=200, stale=False):
    return render(
        request,
        "newsletter/index.html",
        {
            "newsletters": services.public_newsletters(),
            "signup_form": form,
            "stale_form": stale,
        },
        status=status,
    )


def index(request):
    """The newsletter page: every public newsletter and the sign-up form (cacheable)."""
    return _signup_page(request)


def _check_inbox(request):
    return render(request, "newsletter/check_inbox.html")


@csrf_exempt
@never_cache
def subscribe(request):
    """Receive a sign-up from any page's form; always the same answer for a proper one."""
    if request.method != "POST":
        return redirect("newsletter:index")
    if not is_same_site(request):
        return render(request, "newsletter/refused.html", status=403)
    ip_address = ratelimit.client_ip(request) or "unknown"
    network = ratelimit.client_network(request) or "unknown"
    limit, window = settings.NEWSLETTER_SIGNUP_LIMIT_PER_IP
    if not ratelimit.allow(
        f"newsletter-signup-ip:{network}", limit, window, when_unavailable=ratelimit.REFUSE
    ):
        return render(request, "newsletter/rate_limited.html", status=429)
    form = SignupForm(request.POST)
    if form.is_probably_spam():
        logger.info("Sign-up treated as spam from %s", ip_address)
        return _check_inbox(request)
    if form.is_stale():
        return _signup_page(request, status=400, stale=True)
    if not form.is_valid():
        return _signup_page(request, form=form, status=400)
    wording = services.newsletter_settings(request)
    services.sign_up(
        email=form.cleaned_data["email"],
        name=form.cleaned_data["name"],
        newsletters=form.cleaned_data["newsletters"],
        context=consent.ConsentContext.from_request(
            request, form.cleaned_data["source"] or request.META.get("HTTP_REFERER", "")
        ),
        wording=wording.consent_wording,
        wording_version=wording.consent_version,
        attribution=attribution.capture(request),
    )
    return _check_inbox(request)


@never_cache
@require_http_methods(["GET", "HEAD"])
def click(request, token):
    """A counted link from a campaign email: count one click (not for HEAD, which link
    checkers send) and go on to the link, only ever one signed into a campaign's email."""
    try:
        campaign_id, url = campaign_links.read_click_token(token)
        if request.method == "GET":
            url = campaign_links.count_click(campaign_id, url)
        elif not campaign_links.is_own_link(url, campaign_links.own_hosts()):
            raise campaign_links.ClickLinkInvalid
    except campaign_links.ClickLinkInvalid:
        return _invalid_link(request)
    return HttpResponseRedirect(url)


def _lookup_subscriber(subscriber_id):
    return Subscriber.objects.filter(pk=subscriber_id).first()


def _invalid_link(request, status=400, expired=False):
    return render(request, "newsletter/link_invalid.html", {"expired": expired}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request, token):
    """The confirmation link: GET shows one button, its POST confirms the subscription."""
    try:
        confirmation = tokens.read_confirmation_token(token, _lookup_subscriber)
    except tokens.ConfirmationExpired:
        return _invalid_link(request, status=410, expired=True)
    except tokens.ConfirmationInvalid:
        return _invalid_link(request)
    subscriber = _lookup_subscriber(confirmation.subscriber_id)
    newsletters = Newsletter.objects.filter(pk__in=confirmation.newsletter_ids)
    if request.method == "GET":
        return render(
            request,
            "newsletter/confirm.html",
            {"newsletters": newsletters, "email": subscriber.email},
        )
    try:
        subscriber, _changed = services.confirm_subscription(
            confirmation, consent.ConsentContext.from_request(request, "confirmation link")
        )
    except services.ConfirmationNotApplicable:
        return _invalid_link(request)
    return render(
        request,
        "newsletter/confirmed.html",
        {
            "newsletters": newsletters,
            "subscriber": subscriber,
            "preferences_url": tokens.preferences_path(subscriber),
        },
    )


def _signed_subscriber(subscriber_id, signature, purpose, campaign_id=0):
    subscriber = _lookup_subscriber(subscriber_id)
    if subscriber is None or not tokens.check_link_signature(
        subscriber, signature, purpose, campaign_id
    ):
        return None
    return subscriber


@never_cache
@require_http_methods(["GET", "POST"])
def preferences(request, subscriber_id, signature):
    """A subscriber's own page, reached by a signed link: choose newsletters, unsubscribe
    from all, and see everything the outlet holds about them."""
    subscriber = _signed_subscriber(subscriber_id, signature, "preferences")
    if subscriber is None:
        return _invalid_link(request)
    offered = services.offered_newsletters(subscriber)
    saved = False
    status = 200
    if request.method == "POST":
        form = PreferencesForm(request.POST, offered=offered)
        context = consent.ConsentContext.from_request(request, "preferences page")
        if "new_links" in request.POST:
            # The link that brought them here stops working too: send them on to the new one.
            subscriber = services.revoke_links(subscriber)
            return redirect(tokens.preferences_path(subscriber) + "?links=renewed")
        if "unsubscribe_all" in request.POST:
            subscriber = consent.unsubscribe_all(subscriber, context)
            saved = True
        elif form.is_valid():
            wording = services.newsletter_settings(request)
            subscriber = services.update_preferences(
                subscriber,
                form.cleaned_data["newsletters"],
                form.cleaned_data["name"],
                context,
                wording.consent_wording,
                wording.consent_version,
            )
            saved = True
        else:
            status = 400
    if status == 200:
        form = PreferencesForm(
            initial={
                "name": subscriber.name,
                "newsletters": list(services.active_newsletter_ids(subscriber)),
            },
            offered=offered,
        )
    return render(
        request,
        "newsletter/preferences.html",
        {
            "subscriber": subscriber,
            "form": form,
            "saved": saved,
            "evidence_days": settings.NEWSLETTER_CONSENT_EVIDENCE_DAYS,
            "links_renewed": request.method == "GET" and request.GET.get("links") == "renewed",
            "suppressed": consent.is_suppressed(subscriber.email),
            "subscriptions": subscriber.subscriptions.select_related("newsletter").order_by(
                "newsletter__sort_order", "newsletter__name"
            ),
            "consent_records": subscriber.consent_records.all(),
            "deliveries_count": subscriber.deliveries.filter(sent_at__isnull=False).count(),
            "consent_wording": services.newsletter_settings(request).consent_wording,
        },
        status=status,
    )


@csrf_exempt
@never_cache
def unsubscribe(request, subscriber_id, campaign_id, signature):
    """The unsubscribe link. GET asks for one click; any POST unsubscribes from everything
    at once and answers 200 (RFC 8058 one-click: no cookie, login or CSRF token needed)."""
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    subscriber = _signed_subscriber(subscriber_id, signature, "unsubscribe", campaign_id)
    if subscriber is None:
        return _invalid_link(request)
    if request.method != "POST":
        return render(request, "newsletter/unsubscribe.html", {"subscriber": subscriber})
    one_click = request.POST.get("List-Unsubscribe") == "One-Click"
    campaign = Campaign.objects.filter(pk=campaign_id).first() if campaign_id else None
    consent.unsubscribe_all(
        subscriber,
        consent.ConsentContext.from_request(
            request, "one-click unsubscribe" if one_click else "unsubscribe link"
        ),
        campaign=campaign,
    )
    return render(
        request,
        "newsletter/unsubscribed.html",
        {"subscriber": subscriber, "preferences_url": tokens.preferences_path(subscriber)},
    )
