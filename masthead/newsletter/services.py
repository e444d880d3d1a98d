"""What a reader or an editor does to newsletter subscriptions: sign-up and double opt-in,
preferences, revoking links, purging sign-ups never confirmed, and CSV import. Eligibility,
unsubscribing from everything and suppression are in ``consent``, which the sending
engine uses too."""

import csv
import io
import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta
from enum import Enum

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.models import Site

from masthead.audience import attribution as audience
from masthead.audience.models import Conversion
from masthead.core import ratelimit
from masthead.newsletter import consent, imported_lists, tasks
from masthead.newsletter.consent import (
    MAX_SOURCE,
    forget_erasure,
    refuses_sign_up,
    slugs,
    unsubscribe_all,
)
from masthead.newsletter.models import (
    ConsentRecord,
    Newsletter,
    NewsletterSettings,
    Subscriber,
    Subscription,
    Suppression,
    new_secret,
    normalise_email,
)
from masthead.readers import identity

logger = logging.getLogger("masthead.newsletter")


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


# --- Sign-up and double opt-in -------------------------------------------------------------------


class SignupOutcome(Enum):
    """What became of a sign-up; never shown to the reader, who always sees the same page."""

    CONFIRMATION_SENT = "confirmation_sent"
    SUPPRESSED = "suppressed"
    RATE_LIMITED = "rate_limited"


SIGNUP_SOURCE = "newsletter.ConsentRecord"


def sign_up(email, name, newsletters, context, wording, wording_version, attribution=None):
    """Record an opt-in and send the confirmation email (double opt-in).

    ``attribution`` (``audience.attribution.capture`` of the form's post) records the
    sign-up as a conversion, completed when the link is followed.

    Works the same for a new address, a pending one, a confirmed one and one that
    unsubscribed: nothing about a known address changes until the link is followed, so a
    stranger cannot change anyone's subscriptions. Re-signing up re-sends the confirmation,
    at most ``NEWSLETTER_SIGNUP_LIMIT_PER_ADDRESS`` times per window.
    """
    email = normalise_email(email)
    if refuses_sign_up(email):
        return SignupOutcome.SUPPRESSED
    limit, window = settings.NEWSLETTER_SIGNUP_LIMIT_PER_ADDRESS
    mailbox = ratelimit.hashed(ratelimit.mailbox(email))
    if not ratelimit.allow(
        f"newsletter-signup-address:{mailbox}", limit, window, when_unavailable=ratelimit.REFUSE
    ):
        return SignupOutcome.RATE_LIMITED
    # Every form that can start a confirmation email (the sign-up form, the donate form's
    # opt-in) is held to one per-network limit here, whatever its own limits are.
    network = ratelimit.network(context.ip_address)
    if network is not None:
        limit, window = settings.NEWSLETTER_SIGNUP_LIMIT_PER_IP
        if not ratelimit.allow(
            f"newsletter-confirmations-network:{network}",
            limit,
            window,
            when_unavailable=ratelimit.REFUSE,
        ):
            return SignupOutcome.RATE_LIMITED
    newsletters = list(newsletters)
    with transaction.atomic():
        subscriber, _created = Subscriber.objects.get_or_create(
            email=email, defaults={"name": name, "source": context.source[:300]}
        )
        record = ConsentRecord.objects.create(
            subscriber=subscriber,
            action=ConsentRecord.Action.OPT_IN,
            newsletters=slugs(newsletters),
            wording=wording,
            wording_version=wording_version,
            source=context.source,
            ip_address=context.ip_address,
            user_agent=context.user_agent,
        )
        if attribution is not None:
            audience.record(attribution, Conversion.Kind.SIGNUP, SIGNUP_SOURCE, record.pk)
        newsletter_ids = [newsletter.pk for newsletter in newsletters]
        transaction.on_commit(
            lambda: tasks.send_confirmation_task.enqueue(record.pk, newsletter_ids, name)
        )
    return SignupOutcome.CONFIRMATION_SENT


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
        already = active_newsletter_ids(subscriber)
        if any(newsletter.pk not in already for newsletter in newsletters):
            # Only a newsletter the reader did not already receive makes it a sign-up.
            audience.complete(SIGNUP_SOURCE, record.pk, Conversion.Kind.SIGNUP, when=now)
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
        forget_erasure(subscriber.email)
        record.confirmed_at = now
        record.save(update_fields=["confirmed_at"])
        ConsentRecord.objects.create(
            subscriber=subscriber,
            action=ConsentRecord.Action.CONFIRM,
            newsletters=slugs(newsletters),
            wording=record.wording,
            wording_version=record.wording_version,
            source=context.source,
            ip_address=context.ip_address,
            user_agent=context.user_agent,
            confirmed_at=now,
        )
    # The click proved the address is its owner's: the subscriber is one of that reader's.
    reader = identity.verified(subscriber.email, name=subscriber.name)
    if subscriber.reader_id != reader.pk:
        Subscriber.objects.filter(pk=subscriber.pk).update(reader=reader)
    subscriber.reader = reader
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


def clear_old_consent_evidence(now=None):
    """Clear the IP address and browser of consent records older than
    ``NEWSLETTER_CONSENT_EVIDENCE_DAYS``; the record of the consent itself stays. Returns
    how many records were cleared."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.NEWSLETTER_CONSENT_EVIDENCE_DAYS)
    return (
        ConsentRecord.objects.filter(created_at__lt=cutoff)
        .exclude(ip_address__isnull=True, user_agent="")
        .update(ip_address=None, user_agent="")
    )


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
                newsletters=slugs(added),
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
                newsletters=slugs(removed),
                source=context.source,
                ip_address=context.ip_address,
                user_agent=context.user_agent,
            )
    return subscriber


# --- The reader's account ------------------------------------------------------------------------

ACCOUNT_SOURCE = "account page"


class AddressSuppressed(Exception):
    """The address may not be mailed (a hard bounce, a complaint, an editor's decision), so
    joining a newsletter is refused; ``suppression`` says why."""

    def __init__(self, suppression):
        super().__init__(suppression.get_reason_display())
        self.suppression = suppression


def account_subscriber(reader):
    """The subscriber row a signed-in reader's choices apply to: the one with the reader's
    own address, else their earliest linked one; None when they have none yet."""
    subscribers = list(reader.subscribers.order_by("pk"))
    for subscriber in subscribers:
        if subscriber.email == normalise_email(reader.email):
            return subscriber
    return subscribers[0] if subscribers else None


def join_from_account(reader, newsletter, context, wording, wording_version, attribution=None):
    """A signed-in reader joins ``newsletter`` from their account page. Returns the
    subscriber and whether anything changed.

    Signing in proved the address is theirs, so no confirmation email is sent, but the
    consent is recorded as on the preferences page: a CHANGE record with the wording and
    its version, the source, the time, IP address and browser. A reader with no subscriber
    row gets one, confirmed and linked. A suppressed address raises ``AddressSuppressed``,
    except the hash-only entry an erasure left: the same person, verified again, asking
    again, overrides their own earlier request. A newsletter they did not receive yet is a
    sign-up, recorded and completed at once with ``attribution`` (the account page's form
    carries the article the reader came from, like every sign-up form).
    """
    subscriber = account_subscriber(reader)
    address = subscriber.email if subscriber is not None else normalise_email(reader.email)
    suppression = consent.suppression_for(address)
    if suppression is not None and suppression.reason != Suppression.Reason.ERASED:
        raise AddressSuppressed(suppression)
    now = timezone.now()
    with transaction.atomic():
        if suppression is not None:
            suppression.delete()
        if subscriber is None:
            subscriber, _created = Subscriber.objects.get_or_create(
                email=address,
                defaults={
                    "name": reader.name,
                    "status": Subscriber.Status.CONFIRMED,
                    "confirmed_at": now,
                    "source": ACCOUNT_SOURCE,
                    "reader": reader,
                },
            )
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        if subscriber.reader_id != reader.pk:
            subscriber.reader = reader
        joined = newsletter.pk in active_newsletter_ids(subscriber)
        if joined and subscriber.status == Subscriber.Status.CONFIRMED:
            subscriber.save(update_fields=["reader"])
            return subscriber, False
        Subscription.objects.update_or_create(
            subscriber=subscriber, newsletter=newsletter, defaults={"is_active": True}
        )
        if subscriber.status != Subscriber.Status.CONFIRMED:
            subscriber.status = Subscriber.Status.CONFIRMED
            subscriber.confirmed_at = now
            subscriber.unsubscribed_at = None
        subscriber.save()
        record = ConsentRecord.objects.create(
            subscriber=subscriber,
            action=ConsentRecord.Action.CHANGE,
            newsletters=slugs([newsletter]),
            wording=wording,
            wording_version=wording_version,
            source=context.source,
            ip_address=context.ip_address,
            user_agent=context.user_agent,
            confirmed_at=now,
        )
        if not joined:
            audience.record(attribution, Conversion.Kind.SIGNUP, SIGNUP_SOURCE, record.pk)
            audience.complete(SIGNUP_SOURCE, record.pk, Conversion.Kind.SIGNUP, when=now)
    return subscriber, True


def leave_from_account(reader, newsletter, context):
    """A signed-in reader leaves ``newsletter`` on every subscriber row linked to them,
    recorded as an OPT_OUT as on the preferences page; leaving the last one is unsubscribing
    from everything. Returns whether anything changed."""
    changed = False
    for subscriber in reader.subscribers.order_by("pk"):
        with transaction.atomic():
            subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
            active = active_newsletter_ids(subscriber)
            if newsletter.pk not in active:
                continue
            changed = True
            if active == {newsletter.pk}:
                unsubscribe_all(subscriber, context)
                continue
            Subscription.objects.filter(subscriber=subscriber, newsletter=newsletter).update(
                is_active=False, updated_at=timezone.now()
            )
            ConsentRecord.objects.create(
                subscriber=subscriber,
                action=ConsentRecord.Action.OPT_OUT,
                newsletters=slugs([newsletter]),
                source=context.source,
                ip_address=context.ip_address,
                user_agent=context.user_agent,
            )
    return changed


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
    # For people declared already confirmed: the list an editor must confirm before they
    # are sent any campaign.
    imported_list: object = None


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
    newsletters, suppressed addresses (erased readers' included, known by the keyed hash of
    their address) and people who unsubscribed — each with its line
    number and reason, so nothing is dropped silently. Every new subscriber gets an IMPORT
    consent record naming the uploader and the file. Only if the uploader declares that
    these people already confirmed are they confirmed and subscribed at once, on an
    imported list no campaign reaches until an editor confirms its consent basis
    (``imported_lists``); otherwise they stay pending and are sent the usual confirmation
    email.
    """
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None:
        raise ImportFileError(_("The file is empty."))
    reader.fieldnames = [(name or "").strip().lower() for name in reader.fieldnames]
    if "email" not in reader.fieldnames:
        raise ImportFileError(_("The first line must name the columns: email, name, newsletters."))
    lookup = _newsletter_lookup()
    suppressed = set(
        Suppression.objects.exclude(email="").values_list("email", flat=True).iterator()
    )
    erased = set(
        Suppression.objects.exclude(address_hash="")
        .values_list("address_hash", flat=True)
        .iterator()
    )
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
    imported_list = None
    with transaction.atomic():
        if already_confirmed:
            # Declared confirmed elsewhere: not mailed until an editor confirms the basis.
            imported_list = imported_lists.start_list(
                "csv", filename, uploader, consent_basis=wording
            )
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
            if erased and identity.address_hash(email) in erased:
                reject(_("erased at the reader's request"))
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
                imported_list=imported_list,
                source=source[:300],
                status=(
                    Subscriber.Status.CONFIRMED if already_confirmed else Subscriber.Status.PENDING
                ),
                confirmed_at=now if already_confirmed else None,
            )
            record = ConsentRecord.objects.create(
                subscriber=subscriber,
                action=ConsentRecord.Action.IMPORT,
                newsletters=slugs(newsletters),
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
        if imported_list is not None:
            if report.created:
                imported_lists.count_list(imported_list)
            else:
                imported_list.delete()
                imported_list = None
        report.imported_list = imported_list
        for record_id, newsletter_ids in pending_confirmations:
            transaction.on_commit(
                lambda record_id=record_id, newsletter_ids=newsletter_ids: (
                    tasks.send_confirmation_task.enqueue(record_id, newsletter_ids)
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
