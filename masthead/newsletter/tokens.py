"""Signed links sent to readers: confirm a sign-up, manage preferences, unsubscribe.

Preferences and unsubscribe links never expire, but each is an HMAC over the subscriber's id
and ``Subscriber.secret``, so changing the secret revokes every link sent before. The
confirmation link carries the chosen newsletters and the consent record it confirms, and
expires after ``NEWSLETTER_CONFIRM_MAX_AGE`` seconds (7 days by default). The sign-up form
carries a signed render time, identical for every visitor of a cached page, so the
subscribe endpoint can tell a bot that posts at once from a reader.
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

CONFIRM_SALT = "masthead.newsletter.confirm"
FORM_SALT = "masthead.newsletter.signup-form"
LINK_SALT = "masthead.newsletter.link"
UNSUBSCRIBE_MAILBOX_SALT = "masthead.newsletter.unsubscribe-mailbox"


def _absolute(path):
    return f"{settings.SITE_URL}{path}"


def link_signature(subscriber_id, secret, purpose, campaign_id=0, key=None):
    """The HMAC that proves a link was made by us for this subscriber and purpose (with
    SECRET_KEY, or ``key``)."""
    value = f"{purpose}:{subscriber_id}:{campaign_id}:{secret}"
    return salted_hmac(LINK_SALT, value, secret=key, algorithm="sha256").hexdigest()[:32]


def _signature_matches(subscriber, signature, purpose, campaign_id=0, length=32):
    """Whether ``signature`` (cut to ``length``) was made for this subscriber and purpose with
    SECRET_KEY or one of SECRET_KEY_FALLBACKS, so links in emails already sent keep working
    while the key is rotated."""
    for key in (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS):
        expected = link_signature(subscriber.pk, subscriber.secret, purpose, campaign_id, key)
        if constant_time_compare(expected[:length], signature or ""):
            return True
    return False


def check_link_signature(subscriber, signature, purpose, campaign_id=0):
    """Whether ``signature`` is the one we would put in this subscriber's link."""
    return _signature_matches(subscriber, signature, purpose, campaign_id)


def preferences_path(subscriber):
    signature = link_signature(subscriber.pk, subscriber.secret, "preferences")
    return reverse("newsletter:preferences", args=[subscriber.pk, signature])


def preferences_url(subscriber):
    """Absolute link to the subscriber's preferences page; valid until their secret changes."""
    return _absolute(preferences_path(subscriber))


def unsubscribe_path(subscriber, campaign=None):
    campaign_id = campaign.pk if campaign is not None else 0
    signature = link_signature(subscriber.pk, subscriber.secret, "unsubscribe", campaign_id)
    return reverse("newsletter:unsubscribe", args=[subscriber.pk, campaign_id, signature])


def unsubscribe_url(subscriber, campaign=None):
    """Absolute unsubscribe link, also the RFC 8058 one-click target of List-Unsubscribe.

    GET shows a page with one button; any POST (the button, or a mail provider's
    ``List-Unsubscribe=One-Click``, with no cookie and no CSRF token) unsubscribes from
    everything at once and answers 200. With a campaign, its delivery to this subscriber
    is counted as an unsubscribe in the campaign's figures.
    """
    return _absolute(unsubscribe_path(subscriber, campaign))


def unsubscribe_mailto(subscriber):
    """``mailto:`` address for the List-Unsubscribe header.

    The address is ``<local>+<token>@<domain>``: ``settings.NEWSLETTER_UNSUBSCRIBE_MAILBOX``
    (e.g. ``unsubscribe@news.example.org``) if set, otherwise ``unsubscribe@`` the domain of
    ``DEFAULT_FROM_EMAIL``. Masthead does not read that mailbox itself; whoever runs it can
    pass each token to :func:`subscriber_id_from_mailbox_token` (and then
    ``consent.unsubscribe_all``), or use the one-click URL, which every large mail
    provider prefers.
    """
    mailbox = settings.NEWSLETTER_UNSUBSCRIBE_MAILBOX
    if "@" not in mailbox:
        sender = settings.DEFAULT_FROM_EMAIL
        domain = sender.rsplit("@", 1)[-1].strip(" >") if "@" in sender else "localhost"
        mailbox = f"unsubscribe@{domain}"
    local, domain = mailbox.split("@", 1)
    signature = link_signature(subscriber.pk, subscriber.secret, "mailbox")[:16]
    return f"mailto:{local}+{subscriber.pk}-{signature}@{domain}?subject=unsubscribe"


def subscriber_id_from_mailbox_token(token, subscriber_lookup):
    """The subscriber id in a ``<id>-<signature>`` mailbox token, or None if it is not ours.

    ``subscriber_lookup(id)`` returns the Subscriber or None.
    """
    subscriber_id, _sep, signature = (token or "").partition("-")
    if not subscriber_id.isdigit():
        return None
    subscriber = subscriber_lookup(int(subscriber_id))
    if subscriber is None:
        return None
    return (
        subscriber.pk if _signature_matches(subscriber, signature, "mailbox", length=16) else None
    )


# --- Confirmation links (double opt-in) ----------------------------------------------------------


@dataclass(frozen=True)
class Confirmation:
    """What a valid confirmation link asks for."""

    subscriber_id: int
    consent_record_id: int
    newsletter_ids: tuple
    name: str = ""


class ConfirmationExpired(Exception):
    """The link was ours but is older than the confirmation window."""


class ConfirmationInvalid(Exception):
    """The link was altered, truncated or never ours."""


def make_confirmation_token(subscriber, consent_record, newsletter_ids, name=""):
    """A signed, timestamped token naming the subscriber, the opt-in and its newsletters.

    The name given on the form travels in the link too, so a stranger's sign-up can never
    rename a known subscriber; it is applied only when the mailbox owner confirms.
    """
    payload = {
        "s": subscriber.pk,
        "c": consent_record.pk,
        "n": sorted(int(pk) for pk in newsletter_ids),
        "m": name or "",
        # Part of the secret binds the link to the subscriber's current secret.
        "k": link_signature(subscriber.pk, subscriber.secret, "confirm")[:12],
    }
    return signing.dumps(payload, salt=CONFIRM_SALT, compress=True)


def confirmation_url(subscriber, consent_record, newsletter_ids, name=""):
    """Absolute link in the confirmation email."""
    token = make_confirmation_token(subscriber, consent_record, newsletter_ids, name)
    return _absolute(reverse("newsletter:confirm", args=[token]))


def read_confirmation_token(token, subscriber_lookup):
    """Check a confirmation token; raises ConfirmationExpired or ConfirmationInvalid.

    ``subscriber_lookup(id)`` returns the Subscriber or None.
    """
    try:
        payload = signing.loads(
            token, salt=CONFIRM_SALT, max_age=settings.NEWSLETTER_CONFIRM_MAX_AGE
        )
    except signing.SignatureExpired as error:
        raise ConfirmationExpired from error
    except signing.BadSignature as error:
        raise ConfirmationInvalid from error
    try:
        subscriber_id = int(payload["s"])
        consent_record_id = int(payload["c"])
        newsletter_ids = tuple(int(pk) for pk in payload["n"])
        key = str(payload["k"])
        name = str(payload.get("m") or "")
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise ConfirmationInvalid from error
    subscriber = subscriber_lookup(subscriber_id)
    if subscriber is None:
        raise ConfirmationInvalid
    if not _signature_matches(subscriber, key, "confirm", length=12):
        raise ConfirmationInvalid
    return Confirmation(subscriber_id, consent_record_id, newsletter_ids, name)


# --- The sign-up form's render time --------------------------------------------------------------


def form_timestamp_token(at=None):
    """The signed render time put in every sign-up form (the same for every visitor, and
    for every form rendered in the same second: the last one signed is kept, per key)."""
    global _last_form_token
    rendered_at = int(time.time() if at is None else at)
    signed_with = (rendered_at, settings.SECRET_KEY)
    last = _last_form_token
    if last[0] == signed_with:
        return last[1]
    token = signing.Signer(salt=FORM_SALT).sign(str(rendered_at))
    _last_form_token = (signed_with, token)
    return token


# (render time, key) and the token signed for them: two forms on a page, and every page
# rendered in that second, share one signature (HMAC-SHA256, a few µs each).
_last_form_token = (None, None)


def form_age_seconds(token, now=None):
    """Seconds since the form carrying ``token`` was rendered, or None if it is not ours."""
    try:
        value = signing.Signer(salt=FORM_SALT).unsign(token or "")
    except signing.BadSignature:
        return None
    if not value.isdigit():
        return None
    return (time.time() if now is None else now) - int(value)
