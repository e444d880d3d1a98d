"""Subscribers brought in from elsewhere, and the gate they wait behind.

Every import that brings people in as already subscribed (a CSV whose uploader declared
that they had confirmed, a Ghost members file, a Substack email list) puts them on one
``ImportedList``. No campaign reaches anyone on a list until an editor who may send
campaigns states the list's consent basis and confirms it in the admin
(``ConfirmImportedList`` in actions.py: who and when is kept on the list and in the audit
log). A reader on an unconfirmed list who confirms or chooses their newsletters here
themselves is mailable from then on: their own consent is recorded (see
``consent.mailable_subscribers``).

``import_member`` applies the rules every import of a subscriber follows (the same as the
CSV import's): an invalid, suppressed or erased address is refused; someone who
unsubscribed here keeps their opt-out; someone already subscribed here by other means is
left as they are. The caller (``transfer.members``) keeps the source records that make a
re-run update the subscribers it created instead of adding them again.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from masthead.newsletter import consent
from masthead.newsletter.consent import ConsentContext, slugs
from masthead.newsletter.models import (
    ConsentRecord,
    ImportedList,
    Subscriber,
    Subscription,
    Suppression,
    normalise_email,
)

logger = logging.getLogger("masthead.newsletter")

IMPORT_WORDING_VERSION = "import"


def start_list(source, filename="", user=None, description="", consent_basis=""):
    """A new, unconfirmed imported list."""
    return ImportedList.objects.create(
        source=source,
        filename=filename[:255],
        description=description[:300],
        created_by=user if getattr(user, "pk", None) else None,
        consent_basis=consent_basis,
    )


def count_list(imported_list):
    """Store how many subscribers the list holds now."""
    number = Subscriber.objects.filter(imported_list=imported_list).count()
    ImportedList.objects.filter(pk=imported_list.pk).update(count=number)
    imported_list.count = number
    return number


class ListAlreadyConfirmed(ValueError):
    """The list was confirmed before (by whom and when is kept); nothing changed."""


def confirm_list(imported_list, user, consent_basis):
    """Record that ``user`` confirmed the list's consent basis, in their words: from now on
    its subscribers may be sent campaigns. Confirming again changes nothing."""
    consent_basis = (consent_basis or "").strip()
    if not consent_basis:
        raise ValueError(_("Say how these people agreed to receive the newsletter."))
    now = timezone.now()
    with transaction.atomic():
        updated = ImportedList.objects.filter(
            pk=imported_list.pk, confirmed_at__isnull=True
        ).update(consent_basis=consent_basis, confirmed_by=user, confirmed_at=now)
        imported_list.refresh_from_db()
        if not updated:
            raise ListAlreadyConfirmed(_("This list's consent basis was confirmed already."))
    logger.info("Imported list %s confirmed by %s", imported_list.pk, user)
    return imported_list


# --- One subscriber of an import ------------------------------------------------------------------


@dataclass
class ImportedMember:
    """One person in an imported file, as the newsletter needs them."""

    email: str
    name: str = ""
    newsletters: list = field(default_factory=list)
    # False: they had unsubscribed on the old platform, and are imported as unsubscribed.
    subscribed: bool = True
    # When they joined the old platform's list (their consent there), if the file says.
    joined_at: datetime | None = None


class MemberOutcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REFUSED = "refused"


@dataclass
class MemberResult:
    outcome: MemberOutcome
    subscriber: Subscriber | None = None
    reason: str = ""


def refusal(email):
    """Why ``email`` may not be imported at all, or "" (the CSV import's rules)."""
    try:
        validate_email(email)
    except ValidationError:
        return _("invalid email address")
    suppression = consent.suppression_for(email)
    if suppression is not None:
        if suppression.reason == Suppression.Reason.ERASED:
            return _("erased at the reader's request")
        return _("address is on the suppression list")
    return ""


def import_member(member, *, imported_list, source, wording, existing=None):
    """Import one person. ``existing`` is the subscriber an earlier run of the same import
    made of them (found by the caller's source record), updated rather than duplicated;
    ``imported_list`` is a callable returning the list new subscribers join (so a run that
    adds nobody creates none). Returns a MemberResult."""
    email = normalise_email(member.email)
    reason = refusal(email)
    if reason:
        return MemberResult(MemberOutcome.REFUSED, reason=reason)
    if existing is not None:
        return _update_member(existing, member, source=source, wording=wording)
    known = Subscriber.objects.filter(email=email).first()
    if known is not None:
        if known.status == Subscriber.Status.UNSUBSCRIBED:
            return MemberResult(
                MemberOutcome.UNCHANGED, known, _("already unsubscribed; their opt-out stands")
            )
        return MemberResult(
            MemberOutcome.UNCHANGED, known, _("already a subscriber; left unchanged")
        )
    if not member.newsletters and member.subscribed:
        return MemberResult(MemberOutcome.REFUSED, reason=_("no newsletter given"))
    now = timezone.now()
    joined = member.joined_at or now
    subscriber = Subscriber.objects.create(
        email=email,
        name=member.name[:150],
        imported=True,
        imported_list=imported_list(),
        source=source[:300],
        status=Subscriber.Status.CONFIRMED if member.subscribed else Subscriber.Status.UNSUBSCRIBED,
        confirmed_at=joined if member.subscribed else None,
        unsubscribed_at=None if member.subscribed else now,
    )
    ConsentRecord.objects.create(
        subscriber=subscriber,
        action=ConsentRecord.Action.IMPORT,
        newsletters=slugs(member.newsletters),
        wording=wording,
        wording_version=IMPORT_WORDING_VERSION,
        source=source[: consent.MAX_SOURCE],
        confirmed_at=member.joined_at,
    )
    if member.subscribed:
        Subscription.objects.bulk_create(
            Subscription(subscriber=subscriber, newsletter=newsletter)
            for newsletter in member.newsletters
        )
    else:
        ConsentRecord.objects.create(
            subscriber=subscriber,
            action=ConsentRecord.Action.OPT_OUT,
            source=_("%(source)s: had unsubscribed there") % {"source": source[:400]},
        )
    return MemberResult(MemberOutcome.CREATED, subscriber)


def _update_member(subscriber, member, *, source, wording):
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    if subscriber.status == Subscriber.Status.UNSUBSCRIBED:
        return MemberResult(
            MemberOutcome.UNCHANGED, subscriber, _("unsubscribed; their opt-out stands")
        )
    if not member.subscribed:
        consent.unsubscribe_all(
            subscriber,
            ConsentContext(source=_("%(source)s: unsubscribed there") % {"source": source[:400]}),
        )
        return MemberResult(MemberOutcome.UPDATED, subscriber)
    changed = False
    if member.name and not subscriber.name:
        subscriber.name = member.name[:150]
        subscriber.save(update_fields=["name"])
        changed = True
    # Only newsletters they never had here: one they left here stays left.
    had = set(subscriber.subscriptions.values_list("newsletter_id", flat=True))
    added = [newsletter for newsletter in member.newsletters if newsletter.pk not in had]
    if added:
        Subscription.objects.bulk_create(
            Subscription(subscriber=subscriber, newsletter=newsletter) for newsletter in added
        )
        ConsentRecord.objects.create(
            subscriber=subscriber,
            action=ConsentRecord.Action.IMPORT,
            newsletters=slugs(added),
            wording=wording,
            wording_version=IMPORT_WORDING_VERSION,
            source=source[: consent.MAX_SOURCE],
            confirmed_at=member.joined_at,
        )
        changed = True
    return MemberResult(MemberOutcome.UPDATED if changed else MemberOutcome.UNCHANGED, subscriber)
