"""The newsletter's section of a signed-in reader's account page ("Your newsletters") and
the two views its forms post to.

Threat model: these views act only on the subscriber rows of the reader signed in on this
browser (``reader_required``; no subscriber id travels in the request, so one reader cannot
name another's), they change state only on a POST carrying Django's CSRF token (the account
page is personal and never cached, so it can carry one), and a GET of their URLs (a reader
sent back after signing in) just shows the account page. Joining needs no confirmation
email, since signing in proved the address, but records consent like the preferences page.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from masthead.audience import attribution
from masthead.newsletter import consent, services, tokens
from masthead.newsletter.models import Newsletter, Subscription, Suppression
from masthead.readers.registry import AccountSection
from masthead.readers.sessions import current_reader, reader_required

NOTICE_PARAMETER = "newsletters"
NOTICES = {
    "joined": _("You have joined %(newsletter)s. It takes effect at once."),
    "left": _("You have left %(newsletter)s. It takes effect at once."),
    "suppressed": _(
        "We cannot send newsletters to %(email)s: %(reason)s. Contact us if that is a mistake."
    ),
}


def _reader_newsletters(reader):
    """Every public newsletter, and any private one the reader belongs to (so they can leave
    it), each with whether the reader receives it."""
    active = Subscription.objects.filter(
        subscriber__reader=reader, newsletter=OuterRef("pk"), is_active=True
    )
    newsletters = Newsletter.objects.annotate(joined=Exists(active)).filter(
        Q(is_public=True) | Q(joined=True)
    )
    return list(newsletters.order_by("sort_order", "name"))


def _notice(request):
    kind = request.GET.get(NOTICE_PARAMETER, "")
    if kind not in NOTICES:
        return ""
    newsletter = Newsletter.objects.filter(slug=request.GET.get("newsletter", "")).first()
    return {"kind": kind, "newsletter": newsletter}


def section_context(request, reader):
    """What the section shows: the newsletters, whether the address may be mailed, and the
    consent wording a join is recorded with."""
    subscriber = services.account_subscriber(reader)
    address = subscriber.email if subscriber is not None else reader.email
    suppression = consent.suppression_for(address)
    if suppression is not None and suppression.reason == Suppression.Reason.ERASED:
        # Their own earlier erasure: joining again is theirs to ask (see join_from_account).
        suppression = None
    notice = _notice(request)
    message = ""
    if notice and notice["kind"] != "suppressed" and notice["newsletter"] is not None:
        message = NOTICES[notice["kind"]] % {"newsletter": notice["newsletter"].name}
    return {
        "newsletter_rows": _reader_newsletters(reader),
        "newsletter_notice": message,
        "newsletter_address": address,
        "newsletter_suppression": suppression,
        "newsletter_suppressed_message": (
            NOTICES["suppressed"]
            % {"email": address, "reason": suppression.get_reason_display().lower()}
            if suppression is not None
            else ""
        ),
        "newsletter_consent_wording": services.newsletter_settings(request).consent_wording,
        "newsletter_history_url": (
            tokens.preferences_path(subscriber) if subscriber is not None else ""
        ),
        "newsletter_evidence_days": settings.NEWSLETTER_CONSENT_EVIDENCE_DAYS,
    }


section = AccountSection(
    name="newsletters",
    title=_("Your newsletters"),
    template="newsletter/account_section.html",
    context=section_context,
    order=10,
)


def _back_to_account(kind="", newsletter=None):
    url = reverse("readers:account")
    if kind:
        query = {NOTICE_PARAMETER: kind}
        if newsletter is not None:
            query["newsletter"] = newsletter.slug
        url = f"{url}?{urlencode(query)}"
    return redirect(f"{url}#account-{section.name}")


@never_cache
@reader_required
def join(request, newsletter_id):
    """Join one public newsletter from the account page."""
    if request.method != "POST":
        return _back_to_account()
    reader = current_reader(request)
    newsletter = get_object_or_404(Newsletter, pk=newsletter_id, is_public=True)
    wording = services.newsletter_settings(request)
    try:
        services.join_from_account(
            reader,
            newsletter,
            consent.ConsentContext.from_request(request, services.ACCOUNT_SOURCE),
            wording.consent_wording,
            wording.consent_version,
            attribution=attribution.capture(request),
        )
    except services.AddressSuppressed:
        return _back_to_account("suppressed", newsletter)
    return _back_to_account("joined", newsletter)


@never_cache
@reader_required
def leave(request, newsletter_id):
    """Leave one newsletter (public, or a private one they belong to) from the account page."""
    if request.method != "POST":
        return _back_to_account()
    reader = current_reader(request)
    newsletter = get_object_or_404(Newsletter, pk=newsletter_id)
    services.leave_from_account(
        reader,
        newsletter,
        consent.ConsentContext.from_request(request, services.ACCOUNT_SOURCE),
    )
    return _back_to_account("left", newsletter)
