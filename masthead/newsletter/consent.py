"""Who may be mailed, and who may not: the consent context every change is recorded with,
the send-time eligibility the sending engine asks (so an unsubscribe or a suppression takes
effect at once, even for a campaign that is sending right now), unsubscribing from
everything, the suppression list, and bounces and complaints from the ESP's webhooks."""

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import Resolver404, resolve
from django.utils import timezone

from masthead.core import ratelimit
from masthead.newsletter.models import (
    ConsentRecord,
    Delivery,
    ImportedList,
    Newsletter,
    Subscriber,
    Subscription,
    Suppression,
    normalise_email,
)
from masthead.readers.identity import address_hash

MAX_USER_AGENT = 500
MAX_SOURCE = 500


@dataclass(frozen=True)
class ConsentContext:
    """Where and from whom an opt-in or opt-out came: stored on its consent record."""

    source: str = ""
    ip_address: str | None = None
    user_agent: str = ""

    @classmethod
    def from_request(cls, request, source):
        return cls(
            source=clean_source(source or "", request.get_host())[:MAX_SOURCE],
            ip_address=ratelimit.client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:MAX_USER_AGENT],
        )


def clean_source(source, host):
    """``source`` (the form's label and the page it was on, or the Referer) fit to keep
    forever on a consent record: no secret link survives in it.

    A page of this site is kept by its path only when it is an ordinary page; a page reached
    by a secret link (an order page, a donor's manage link, preferences, unsubscribe, a
    confirmation) is recorded by its kind (``shop:order``), query strings (which can carry
    checkout session ids) are dropped, and another site is kept by its host alone.
    """
    return " ".join(_clean_source_word(word, host) for word in source.split())


def _clean_source_word(word, host):
    if "/" not in word:
        return word
    parts = urlsplit(word)
    if parts.netloc and parts.netloc != host:
        return parts.netloc if parts.scheme in {"http", "https"} else "another site"
    try:
        match = resolve(parts.path or "/")
    except Resolver404:
        return "an unknown page"
    if match.url_name == "wagtail_serve" or not match.kwargs or set(match.kwargs) == {"slug"}:
        return parts.path
    return match.view_name


def slugs(newsletters):
    """The newsletters' slugs as a consent record keeps them."""
    return ",".join(sorted(newsletter.slug for newsletter in newsletters))[:500]


# --- Who may be mailed ---------------------------------------------------------------------------


def suppression_for(email):
    """The suppression entry that covers ``email``, or None: one for the address itself
    (hard bounce, complaint, by hand), or the hash-only entry left when the reader whose
    mailbox it reaches had their data erased."""
    if not email:
        return None
    return (
        Suppression.objects.filter(
            Q(email=normalise_email(email)) | Q(address_hash=address_hash(email))
        )
        .order_by("pk")
        .first()
    )


def is_suppressed(email):
    """Whether the address is on the suppression list (hard bounce, complaint, by hand, or
    erased at the reader's request)."""
    return suppression_for(email) is not None


def refuses_sign_up(email):
    """Whether a sign-up form may not even send ``email`` a confirmation: any suppression
    but an erasure's. A reader who had their data erased and later asks again on a form is
    asking for themselves, and the double opt-in proves the address is theirs; only a list
    (an import) is kept from adding them back silently."""
    suppression = suppression_for(email)
    return suppression is not None and suppression.reason != Suppression.Reason.ERASED


def forget_erasure(email):
    """Drop the hash-only entry an erasure left for ``email``'s mailbox: its owner has just
    confirmed that they want the newsletter again."""
    Suppression.objects.filter(
        address_hash=address_hash(email), reason=Suppression.Reason.ERASED
    ).delete()


def mailable_subscribers(newsletter_ids):
    """Subscribers who may be sent a mailing for any of ``newsletter_ids``, right now.

    Confirmed, with an active subscription to at least one of the newsletters, not
    suppressed, and not waiting on an imported list whose consent basis no editor has
    confirmed yet (unless the reader confirmed or chose their newsletters here themselves).
    The sending engine filters with this when it builds a campaign's recipients and again
    at send time.
    """
    active = Subscription.objects.filter(
        subscriber=OuterRef("pk"), newsletter_id__in=list(newsletter_ids), is_active=True
    )
    suppressed = Suppression.objects.filter(email=OuterRef("email"))
    unconfirmed_list = ImportedList.objects.filter(
        pk=OuterRef("imported_list_id"), confirmed_at__isnull=True
    )
    own_consent = ConsentRecord.objects.filter(
        subscriber=OuterRef("pk"),
        action__in=[ConsentRecord.Action.CONFIRM, ConsentRecord.Action.CHANGE],
    )
    return Subscriber.objects.filter(status=Subscriber.Status.CONFIRMED).filter(
        Exists(active), ~Exists(suppressed), ~Exists(unconfirmed_list) | Exists(own_consent)
    )


def is_mailable(subscriber, newsletter_ids):
    """Whether this one subscriber may be mailed for any of ``newsletter_ids`` (read afresh)."""
    return mailable_subscribers(newsletter_ids).filter(pk=subscriber.pk).exists()


def unsubscribe_all(subscriber, context, campaign=None):
    """Stop every mailing to this subscriber at once and record the opt-out.

    Sets the status to unsubscribed and deactivates every subscription; with a campaign,
    its delivery to this subscriber counts as an unsubscribe in the campaign's figures.
    Repeating it changes nothing and records nothing more.
    """
    now = timezone.now()
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        leaving = list(
            Newsletter.objects.filter(
                subscriptions__subscriber=subscriber, subscriptions__is_active=True
            )
        )
        changed = bool(leaving) or subscriber.status != Subscriber.Status.UNSUBSCRIBED
        if changed:
            Subscription.objects.filter(subscriber=subscriber, is_active=True).update(
                is_active=False, updated_at=now
            )
            subscriber.status = Subscriber.Status.UNSUBSCRIBED
            subscriber.unsubscribed_at = now
            subscriber.save(update_fields=["status", "unsubscribed_at"])
            ConsentRecord.objects.create(
                subscriber=subscriber,
                action=ConsentRecord.Action.OPT_OUT,
                newsletters=slugs(leaving),
                source=context.source,
                ip_address=context.ip_address,
                user_agent=context.user_agent,
            )
        if campaign is not None:
            Delivery.objects.filter(campaign=campaign, subscriber=subscriber).update(
                unsubscribed=True
            )
    return subscriber


# --- Suppression, bounces and complaints ---------------------------------------------------------


def suppress_address(email, reason, detail="", source=""):
    """Put an address on the suppression list so it is never mailed again.

    Records a SUPPRESS consent record on the matching subscriber, if any. A complaint is
    also an unsubscribe. Returns (suppression, created); suppressing twice changes nothing.
    """
    email = normalise_email(email)
    erased = Suppression.objects.filter(address_hash=address_hash(email)).first()
    if erased is not None:
        # Already never mailed; storing the address would undo what the erasure removed.
        return erased, False
    with transaction.atomic():
        suppression, created = Suppression.objects.get_or_create(
            email=email, defaults={"reason": reason, "detail": detail[:500]}
        )
        subscriber = Subscriber.objects.filter(email=email).first()
        if created and subscriber is not None:
            ConsentRecord.objects.create(
                subscriber=subscriber,
                action=ConsentRecord.Action.SUPPRESS,
                wording=f"{Suppression.Reason(reason).label}: {detail}"[:1000],
                source=source[:MAX_SOURCE],
            )
        if subscriber is not None and reason == Suppression.Reason.COMPLAINT:
            unsubscribe_all(subscriber, ConsentContext(source=source))
    return suppression, created


def unsuppress_address(suppression):
    """Take an address off the suppression list (an editor's decision, e.g. a mistaken bounce)."""
    suppression.delete()


# anymail's normalised events that mean "never mail this address again". "rejected" covers
# an ESP refusing to send; only its "invalid" and "bounced" reasons are about the address.
SUPPRESSING_REJECT_REASONS = {"invalid", "bounced"}


def _suppression_reason(event):
    if event.event_type == "bounced":
        return Suppression.Reason.HARD_BOUNCE
    if event.event_type == "complained":
        return Suppression.Reason.COMPLAINT
    if event.event_type == "rejected" and event.reject_reason in SUPPRESSING_REJECT_REASONS:
        return Suppression.Reason.HARD_BOUNCE
    return None


def _message_ids(message_id):
    bare = str(message_id).strip().strip("<>")
    return [bare, f"<{bare}>"]


def handle_tracking_event(sender, event, esp_name, **kwargs):
    """Act on an ESP's webhook event, normalised by anymail's ``tracking`` signal.

    Hard bounces ("bounced", and "rejected" for an invalid or bouncing address) and spam
    complaints ("complained") suppress the address; the delivery with the event's message
    id is marked bounced or complained. An "unsubscribed" event (the ESP's own unsubscribe
    handling) unsubscribes from everything. Soft bounces ("deferred") and everything else
    change nothing.
    """
    recipient = normalise_email(getattr(event, "recipient", "") or "")
    if not recipient:
        return
    source = f"{esp_name} webhook"
    if event.event_type == "unsubscribed":
        subscriber = Subscriber.objects.filter(email=recipient).first()
        if subscriber is not None:
            unsubscribe_all(subscriber, ConsentContext(source=source))
        return
    reason = _suppression_reason(event)
    if reason is None:
        return
    detail = " ".join(
        str(part) for part in (event.event_type, event.reject_reason, event.description) if part
    )
    suppress_address(recipient, reason, detail=f"{esp_name}: {detail}", source=source)
    if event.message_id:
        deliveries = Delivery.objects.filter(
            message_id__in=_message_ids(event.message_id), subscriber__email=recipient
        )
        if reason == Suppression.Reason.COMPLAINT:
            deliveries.update(complained=True)
        else:
            deliveries.update(status=Delivery.Status.BOUNCED)
