"""Everything that changes a reader's newsletter state: sign-up and double opt-in,
preferences, unsubscribe, suppression (bounces, complaints, by hand) and CSV import.

The sending engine asks :func:`mailable_subscribers` / :func:`is_mailable` at send time
whether a subscriber may still be mailed, so an unsubscribe or a suppression takes effect
at once, even for a campaign that is sending right now.
"""

import csv
import io
import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta
from enum import Enum
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task
from wagtail.models import Site

from masthead.core import ratelimit
from masthead.core.sites import outlet_name
from masthead.newsletter import tokens
from masthead.newsletter.models import (
    ConsentRecord,
    Delivery,
    Newsletter,
    NewsletterSettings,
    Subscriber,
    Subscription,
    Suppression,
    new_secret,
    normalise_email,
)

logger = logging.getLogger("masthead.newsletter")

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


def newsletter_settings(request=None):
    """The NewsletterSettings of the request's site, or of the default site."""
    if request is not None:
        return NewsletterSettings.for_request(request)
    site = Site.objects.filter(is_default_site=True).first() or Site.objects.first()
    if site is None:
        return NewsletterSettings()
    return NewsletterSettings.for_site(site)


def public_newsletters():
    """The newsletters offered on sign-up forms, in display order."""
    return Newsletter.objects.filter(is_public=True)


def _slugs(newsletters):
    return ",".join(sorted(newsletter.slug for newsletter in newsletters))[:500]


# --- Who may be mailed ---------------------------------------------------------------------------


def is_suppressed(email):
    """Whether the address is on the suppression list (hard bounce, complaint, by hand)."""
    return Suppression.objects.filter(email=normalise_email(email)).exists()


def mailable_subscribers(newsletter_ids):
    """Subscribers who may be sent a mailing for any of ``newsletter_ids``, right now.

    Confirmed, with an active subscription to at least one of the newsletters, and not
    suppressed. The sending engine filters with this when it builds a campaign's
    recipients and again at send time.
    """
    active = Subscription.objects.filter(
        subscriber=OuterRef("pk"), newsletter_id__in=list(newsletter_ids), is_active=True
    )
    suppressed = Suppression.objects.filter(email=OuterRef("email"))
    return Subscriber.objects.filter(status=Subscriber.Status.CONFIRMED).filter(
        Exists(active), ~Exists(suppressed)
    )


def is_mailable(subscriber, newsletter_ids):
    """Whether this one subscriber may be mailed for any of ``newsletter_ids`` (read afresh)."""
    return mailable_subscribers(newsletter_ids).filter(pk=subscriber.pk).exists()


# --- Sign-up and double opt-in -------------------------------------------------------------------


class SignupOutcome(Enum):
    """What became of a sign-up; never shown to the reader, who always sees the same page."""

    CONFIRMATION_SENT = "confirmation_sent"
    SUPPRESSED = "suppressed"
    RATE_LIMITED = "rate_limited"


def sign_up(email, name, newsletters, context, wording, wording_version):
    """Record an opt-in and send the confirmation email (double opt-in).

    Works the same for a new address, a pending one, a confirmed one and one that
    unsubscribed: nothing about a known address changes until the link is followed, so a
    stranger cannot change anyone's subscriptions. Re-signing up re-sends the confirmation,
    at most ``NEWSLETTER_SIGNUP_LIMIT_PER_ADDRESS`` times per window.
    """
    email = normalise_email(email)
    if is_suppressed(email):
        return SignupOutcome.SUPPRESSED
    limit, window = settings.NEWSLETTER_SIGNUP_LIMIT_PER_ADDRESS
    mailbox = ratelimit.hashed(ratelimit.mailbox(email))
    if not ratelimit.allow(f"newsletter-signup-address:{mailbox}", limit, window):
        return SignupOutcome.RATE_LIMITED
    # Every form that can start a confirmation email (the sign-up form, the donate form's
    # opt-in) is held to one per-network limit here, whatever its own limits are.
    network = ratelimit.network(context.ip_address)
    if network is not None:
        limit, window = settings.NEWSLETTER_SIGNUP_LIMIT_PER_IP
        if not ratelimit.allow(f"newsletter-confirmations-network:{network}", limit, window):
            return SignupOutcome.RATE_LIMITED
    newsletters = list(newsletters)
    with transaction.atomic():
        subscriber, _created = Subscriber.objects.get_or_create(
            email=email, defaults={"name": name, "source": context.source[:300]}
        )
        record = ConsentRecord.objects.create(
            subscriber=subscriber,
            action=ConsentRecord.Action.OPT_IN,
            newsletters=_slugs(newsletters),
            wording=wording,
            wording_version=wording_version,
            source=context.source,
            ip_address=context.ip_address,
            user_agent=context.user_agent,
        )
        newsletter_ids = [newsletter.pk for newsletter in newsletters]
        transaction.on_commit(
            lambda: send_confirmation_task.enqueue(record.pk, newsletter_ids, name)
        )
    return SignupOutcome.CONFIRMATION_SENT


def transactional_from_email():
    """Sender of confirmation emails: NEWSLETTER_TRANSACTIONAL_FROM_EMAIL or the site's."""
    return settings.NEWSLETTER_TRANSACTIONAL_FROM_EMAIL or settings.DEFAULT_FROM_EMAIL


def send_confirmation_email(consent_record_id, newsletter_ids, name=""):
    """Send the double opt-in email for one opt-in record: HTML and plain text, no marketing."""
    record = ConsentRecord.objects.select_related("subscriber").filter(pk=consent_record_id).first()
    if record is None or is_suppressed(record.subscriber.email):
        return False
    subscriber = record.subscriber
    newsletters = list(Newsletter.objects.filter(pk__in=newsletter_ids))
    context = {
        "subscriber": subscriber,
        "newsletters": newsletters,
        "confirm_url": tokens.confirmation_url(subscriber, record, newsletter_ids, name),
        "outlet_name": outlet_name(),
        "valid_days": settings.NEWSLETTER_CONFIRM_MAX_AGE // (24 * 3600),
        "site_url": settings.SITE_URL,
    }
    subject = render_to_string("newsletter/transactional/confirm_subject.txt", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=render_to_string("newsletter/transactional/confirm.txt", context),
        from_email=transactional_from_email(),
        to=[subscriber.email],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(
        render_to_string("newsletter/transactional/confirm.html", context), "text/html"
    )
    message.send()
    return True


@task()
def send_confirmation_task(consent_record_id, newsletter_ids, name=""):
    """Background task: send one confirmation email (idempotent enough: a second copy of the
    same link is harmless)."""
    return send_confirmation_email(consent_record_id, newsletter_ids, name)


class ConfirmationNotApplicable(Exception):
    """A validly signed link whose opt-in record no longer matches (nothing is changed)."""


def confirm_subscription(confirmation, context):
    """Confirm the opt-in named by a checked confirmation link (see tokens.py).

    Marks the subscriber confirmed, activates the chosen newsletters, stamps the opt-in
    record with its confirmation time and adds a CONFIRM record. Following the same link
    again changes nothing, so an old link can never undo a later unsubscribe.
    """
    now = timezone.now()
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=confirmation.subscriber_id)
        record = ConsentRecord.objects.filter(
            pk=confirmation.consent_record_id,
            subscriber=subscriber,
            action__in=[ConsentRecord.Action.OPT_IN, ConsentRecord.Action.IMPORT],
        ).first()
        if record is None:
            raise ConfirmationNotApplicable
        if record.confirmed_at is not None:
            return subscriber, False
        newsletters = list(Newsletter.objects.filter(pk__in=confirmation.newsletter_ids))
        for newsletter in newsletters:
            Subscription.objects.update_or_create(
                subscriber=subscriber, newsletter=newsletter, defaults={"is_active": True}
            )
        if subscriber.status != Subscriber.Status.CONFIRMED:
            subscriber.status = Subscriber.Status.CONFIRMED
            subscriber.confirmed_at = now
            subscriber.unsubscribed_at = None
        if confirmation.name:
            subscriber.name = confirmation.name[:150]
        subscriber.save()
        record.confirmed_at = now
        record.save(update_fields=["confirmed_at"])
        ConsentRecord.objects.create(
            subscriber=subscriber,
            action=ConsentRecord.Action.CONFIRM,
            newsletters=_slugs(newsletters),
            wording=record.wording,
            wording_version=record.wording_version,
            source=context.source,
            ip_address=context.ip_address,
            user_agent=context.user_agent,
            confirmed_at=now,
        )
    return subscriber, True


# --- Preferences and unsubscribe -----------------------------------------------------------------


def offered_newsletters(subscriber):
    """Newsletters shown on a subscriber's preferences page: the public ones and any private
    one they belong to (so they can leave it)."""
    belongs = Subscription.objects.filter(
        subscriber=subscriber, newsletter=OuterRef("pk"), is_active=True
    )
    return Newsletter.objects.filter(is_public=True) | Newsletter.objects.filter(Exists(belongs))


def active_newsletter_ids(subscriber):
    return set(
        subscriber.subscriptions.filter(is_active=True).values_list("newsletter_id", flat=True)
    )


def purge_unconfirmed_subscribers(now=None):
    """Delete sign-ups that were never confirmed within ``NEWSLETTER_PENDING_RETENTION_DAYS``
    (with their consent records, which record no consent that was given). Returns how many
    went. Someone who once confirmed is never pending again, so no consent is lost."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.NEWSLETTER_PENDING_RETENTION_DAYS)
    stale = Subscriber.objects.filter(
        status=Subscriber.Status.PENDING, confirmed_at__isnull=True, created_at__lt=cutoff
    )
    _total, deleted = stale.delete()
    return deleted.get(Subscriber._meta.label, 0)


def revoke_links(subscriber):
    """Give ``subscriber`` a new secret, so every preferences, unsubscribe and confirmation
    link sent to them before stops working (a forwarded email's links included). Links in
    emails sent from now on carry the new secret."""
    subscriber.secret = new_secret()
    subscriber.save(update_fields=["secret"])
    return subscriber


def update_preferences(subscriber, wanted_newsletters, name, context, wording, wording_version):
    """Apply the preferences page: join and leave newsletters, change the name.

    Joining is recorded as a CHANGE consent record with the wording shown; leaving as
    OPT_OUT. Leaving every newsletter is the same as unsubscribing from all. The page is
    reached through a link sent to the address, which proves the reader controls it, so
    joining takes effect at once (and re-confirms an address that had unsubscribed).
    """
    wanted = {newsletter.pk: newsletter for newsletter in wanted_newsletters}
    if not wanted:
        with transaction.atomic():
            Subscriber.objects.filter(pk=subscriber.pk).update(name=name[:150])
        return unsubscribe_all(subscriber, context)
    now = timezone.now()
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        current = active_newsletter_ids(subscriber)
        added = [newsletter for pk, newsletter in wanted.items() if pk not in current]
        removed = list(Newsletter.objects.filter(pk__in=current - set(wanted)))
        for newsletter in added:
            Subscription.objects.update_or_create(
                subscriber=subscriber, newsletter=newsletter, defaults={"is_active": True}
            )
        Subscription.objects.filter(subscriber=subscriber, newsletter__in=removed).update(
            is_active=False, updated_at=now
        )
        subscriber.name = name[:150]
        if subscriber.status != Subscriber.Status.CONFIRMED:
            subscriber.status = Subscriber.Status.CONFIRMED
            subscriber.confirmed_at = now
            subscriber.unsubscribed_at = None
        subscriber.save()
        if added:
            ConsentRecord.objects.create(
                subscriber=subscriber,
                action=ConsentRecord.Action.CHANGE,
                newsletters=_slugs(added),
                wording=wording,
                wording_version=wording_version,
                source=context.source,
                ip_address=context.ip_address,
                user_agent=context.user_agent,
                confirmed_at=now,
            )
        if removed:
            ConsentRecord.objects.create(
                subscriber=subscriber,
                action=ConsentRecord.Action.OPT_OUT,
                newsletters=_slugs(removed),
                source=context.source,
                ip_address=context.ip_address,
                user_agent=context.user_agent,
            )
    return subscriber


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
                newsletters=_slugs(leaving),
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


# --- CSV import ----------------------------------------------------------------------------------

IMPORT_MAX_ROWS = 100_000
NEWSLETTER_SEPARATORS = re.compile(r"[;|,]")


@dataclass
class RejectedRow:
    """One line of an import that was not imported, and why."""

    line: int
    email: str
    reason: str


@dataclass
class ImportReport:
    """What an import did: how many were added, and every row it refused."""

    created: int = 0
    confirmation_emails: int = 0
    rejected: list = field(default_factory=list)


class ImportFileError(Exception):
    """The file as a whole cannot be read as a subscriber list."""


def _newsletter_lookup():
    lookup = {}
    for newsletter in Newsletter.objects.all():
        lookup[newsletter.slug.lower()] = newsletter
        lookup.setdefault(newsletter.name.strip().lower(), newsletter)
    return lookup


def import_subscribers(text, filename, uploader, default_newsletters=(), already_confirmed=False):
    """Import subscribers from CSV text with the columns email, name, newsletters.

    ``newsletters`` holds slugs or names separated by ``;`` (``|`` and ``,`` work too);
    when empty, ``default_newsletters`` apply. Each address is added once: duplicates in
    the file and addresses already known are refused, as are invalid addresses, unknown
    newsletters, suppressed addresses and people who unsubscribed — each with its line
    number and reason, so nothing is dropped silently. Every new subscriber gets an IMPORT
    consent record naming the uploader and the file. Only if the uploader declares that
    these people already confirmed are they confirmed and subscribed at once; otherwise
    they stay pending and are sent the usual confirmation email.
    """
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None:
        raise ImportFileError(_("The file is empty."))
    reader.fieldnames = [(name or "").strip().lower() for name in reader.fieldnames]
    if "email" not in reader.fieldnames:
        raise ImportFileError(_("The first line must name the columns: email, name, newsletters."))
    lookup = _newsletter_lookup()
    suppressed = set(Suppression.objects.values_list("email", flat=True))
    existing = dict(Subscriber.objects.values_list("email", "status"))
    seen = {}
    report = ImportReport()
    uploader_name = getattr(uploader, "get_username", lambda: "")() or "unknown user"
    source = f"CSV import of {filename} by {uploader_name}"[:MAX_SOURCE]
    wording = (
        _(
            "Imported by %(user)s from %(file)s. The uploader declared that these people "
            "had already confirmed their subscription."
        )
        if already_confirmed
        else _("Imported by %(user)s from %(file)s; a confirmation email was sent.")
    ) % {"user": uploader_name, "file": filename}
    now = timezone.now()
    pending_confirmations = []
    with transaction.atomic():
        for row_number, row in enumerate(reader, start=1):
            line = reader.line_num
            if row_number > IMPORT_MAX_ROWS:
                raise ImportFileError(
                    _("The file has more than %(count)d rows; split it.")
                    % {"count": IMPORT_MAX_ROWS}
                )
            raw_email = (row.get("email") or "").strip()
            email = normalise_email(raw_email)

            def reject(reason, email=raw_email, line=line):
                report.rejected.append(RejectedRow(line, email, reason))

            try:
                validate_email(email)
            except ValidationError:
                reject(_("invalid email address"))
                continue
            if email in seen:
                reject(_("duplicate of line %(line)d") % {"line": seen[email]})
                continue
            seen[email] = line
            name = (row.get("name") or "").strip()
            if len(name) > 150:
                reject(_("name longer than 150 characters"))
                continue
            wanted = [
                part.strip().lower()
                for part in NEWSLETTER_SEPARATORS.split(row.get("newsletters") or "")
                if part.strip()
            ]
            unknown = [part for part in wanted if part not in lookup]
            if unknown:
                reject(_("unknown newsletter: %(names)s") % {"names": ", ".join(unknown)})
                continue
            newsletters = (
                list({lookup[part].pk: lookup[part] for part in wanted}.values())
                if wanted
                else list(default_newsletters)
            )
            if not newsletters:
                reject(_("no newsletter given"))
                continue
            if email in suppressed:
                reject(_("address is on the suppression list"))
                continue
            if existing.get(email) == Subscriber.Status.UNSUBSCRIBED:
                reject(_("already unsubscribed; their opt-out stands"))
                continue
            if email in existing:
                reject(_("already a subscriber; left unchanged"))
                continue
            subscriber = Subscriber.objects.create(
                email=email,
                name=name,
                imported=True,
                source=source[:300],
                status=(
                    Subscriber.Status.CONFIRMED if already_confirmed else Subscriber.Status.PENDING
                ),
                confirmed_at=now if already_confirmed else None,
            )
            record = ConsentRecord.objects.create(
                subscriber=subscriber,
                action=ConsentRecord.Action.IMPORT,
                newsletters=_slugs(newsletters),
                wording=wording,
                wording_version="import",
                source=source,
            )
            if already_confirmed:
                Subscription.objects.bulk_create(
                    Subscription(subscriber=subscriber, newsletter=newsletter)
                    for newsletter in newsletters
                )
            else:
                pending_confirmations.append((record.pk, [n.pk for n in newsletters]))
            report.created += 1
        for record_id, newsletter_ids in pending_confirmations:
            transaction.on_commit(
                lambda record_id=record_id, newsletter_ids=newsletter_ids: (
                    send_confirmation_task.enqueue(record_id, newsletter_ids)
                )
            )
    report.confirmation_emails = len(pending_confirmations)
    logger.info(
        "Imported %s subscribers from %s, rejected %s rows",
        report.created,
        filename,
        len(report.rejected),
    )
    return report
