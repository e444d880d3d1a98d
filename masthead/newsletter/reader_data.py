"""The newsletter's share of what is held about a reader: linking their subscriber rows to
them, the copy of their data, and erasing them.

A reader is one mailbox (``readers.identity``), so every subscriber row whose address
reaches that mailbox (``Joe@x``, ``joe+news@x``) is theirs. Erasure deletes those rows with
their subscriptions and consent history, and leaves in their place one suppression entry
holding only the keyed hash of the mailbox, so neither a sign-up form nor an editor's
import can add the address again without the reader asking. Their deliveries stay, detached
from them and stripped of anything an ESP could tie back to them, so every campaign's
figures (sent, bounced, complained, unsubscribed) stay as they were.
"""

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from masthead.core.mailboxes import rows_reaching
from masthead.core.ratelimit import mailbox
from masthead.newsletter.models import (
    ConsentRecord,
    Delivery,
    Subscriber,
    Subscription,
    Suppression,
)
from masthead.readers.identity import address_hash
from masthead.readers.registry import PersonalData

MODELS = (
    "newsletter.Subscriber",
    "newsletter.Subscription",
    "newsletter.ConsentRecord",
    "newsletter.Delivery",
    "newsletter.Suppression",
)

KEPT = _(
    "A keyed hash of your address (not the address), so that no list we import "
    "adds you again unless you ask; and our count of each newsletter's emails sent, bounced "
    "and unsubscribed, no longer linked to you."
)


def same_mailbox(queryset, field, box):
    """The rows of ``queryset`` whose address in ``field`` reaches mailbox ``box``."""
    return rows_reaching(queryset, field, box)


def _box(reader):
    return reader.mailbox or mailbox(reader.email)


def reader_subscribers(reader):
    """Every subscriber row of ``reader``: linked to them, or under their mailbox (an
    unsaved Reader, from an editor's search, has only the mailbox)."""
    ids = {row.pk for row in same_mailbox(Subscriber.objects.all(), "email", _box(reader))}
    query = Q(pk__in=ids)
    if reader.pk is not None:
        query |= Q(reader=reader)
    return Subscriber.objects.filter(query).order_by("pk")


def _suppressions(reader, addresses):
    hashes = {address_hash(address) for address in addresses}
    listed = {row.pk for row in same_mailbox(Suppression.objects.all(), "email", _box(reader))}
    return Suppression.objects.filter(
        Q(pk__in=listed) | Q(email__in=addresses) | Q(address_hash__in=hashes)
    ).order_by("pk")


# --- Linking ------------------------------------------------------------------------------------


def link(reader):
    """Link every subscriber row under ``reader``'s mailbox to the reader."""
    rows = same_mailbox(Subscriber.objects.exclude(reader=reader), "email", _box(reader))
    if rows:
        Subscriber.objects.filter(pk__in=[row.pk for row in rows]).update(reader=reader)


# --- The copy of their data ----------------------------------------------------------------------


def _when(value):
    return value.isoformat() if value else None


def export(reader):
    """Everything the newsletter holds about ``reader``, as tables of rows."""
    subscribers = list(reader_subscribers(reader))
    addresses = sorted({row.email for row in subscribers} | {reader.email.strip().lower()})
    return {
        "subscribers": [
            {
                "email": row.email,
                "name": row.name,
                "status": row.get_status_display(),
                "signed_up_at": _when(row.created_at),
                "confirmed_at": _when(row.confirmed_at),
                "unsubscribed_at": _when(row.unsubscribed_at),
                "source": row.source,
                "imported": row.imported,
            }
            for row in subscribers
        ],
        "subscriptions": [
            {
                "email": row.subscriber.email,
                "newsletter": row.newsletter.name,
                "newsletter_slug": row.newsletter.slug,
                "active": row.is_active,
                "joined_at": _when(row.created_at),
                "changed_at": _when(row.updated_at),
            }
            for row in Subscription.objects.filter(subscriber__in=subscribers)
            .select_related("subscriber", "newsletter")
            .order_by("subscriber_id", "newsletter__sort_order", "newsletter__name")
        ],
        "consent_records": [
            {
                "email": row.subscriber.email,
                "action": row.get_action_display(),
                "newsletters": row.newsletters,
                "wording": row.wording,
                "wording_version": row.wording_version,
                "source": row.source,
                "ip_address": row.ip_address,
                "user_agent": row.user_agent,
                "recorded_at": _when(row.created_at),
                "confirmed_at": _when(row.confirmed_at),
            }
            for row in ConsentRecord.objects.filter(subscriber__in=subscribers)
            .select_related("subscriber")
            .order_by("created_at", "pk")
        ],
        "deliveries": [
            {
                "email": row.subscriber.email,
                "campaign": row.campaign.subject,
                "status": row.get_status_display(),
                "attempts": row.attempts,
                "sent_at": _when(row.sent_at),
                "complained": row.complained,
                "unsubscribed": row.unsubscribed,
            }
            for row in Delivery.objects.filter(subscriber__in=subscribers)
            .select_related("subscriber", "campaign")
            .order_by("campaign__created_at", "pk")
        ],
        "suppressions": [
            {
                "email": row.email or gettext("(kept only as a keyed hash)"),
                "reason": row.get_reason_display(),
                "detail": row.detail,
                "since": _when(row.created_at),
            }
            for row in _suppressions(reader, addresses)
        ],
    }


# --- Erasure -------------------------------------------------------------------------------------


def erase(reader):
    """Erase ``reader`` from the newsletter.

    Their subscriber rows go, with their subscriptions and consent history; suppression
    entries naming their addresses go too, and one entry holding only the keyed hash of
    each of their mailboxes takes their place. Deliveries not yet sent are skipped, and
    every delivery is detached from them and loses its message id and error text (an ESP's
    error names the address), keeping its campaign, status and flags for the figures.
    """
    subscribers = list(reader_subscribers(reader))
    addresses = {row.email for row in subscribers} | {reader.email.strip().lower()}
    ids = [row.pk for row in subscribers]
    with transaction.atomic():
        Delivery.objects.filter(
            subscriber_id__in=ids, status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING]
        ).update(
            status=Delivery.Status.SKIPPED,
            claimed_by="",
            lease_expires_at=None,
            next_attempt_at=None,
        )
        Delivery.objects.filter(subscriber_id__in=ids).update(
            subscriber=None, message_id="", last_error=""
        )
        _suppressions(reader, sorted(addresses)).exclude(email="").delete()
        Subscriber.objects.filter(pk__in=ids).delete()
        for digest in sorted({address_hash(address) for address in addresses}):
            Suppression.objects.get_or_create(
                address_hash=digest, defaults={"reason": Suppression.Reason.ERASED}
            )


share = PersonalData(
    name="newsletter",
    title=_("Newsletters"),
    models=MODELS,
    export=export,
    erase=erase,
    link=link,
    kept=KEPT,
    order=10,
)
