"""The sending engine: one Delivery row per recipient, claimed in batches with a lease.

A batch task claims pending deliveries (pending → sending, with a lease), sends them over one
reused connection, and records each chunk as soon as it is sent. This module knows nothing of
tasks: it starts a campaign and sends one batch at a time, saying what is left; tasks.py
queues the tasks that call it. A worker that dies leaves
its claim behind; once the lease runs out the deliveries are claimable again, so nobody is
lost and at most the claimed-but-unrecorded messages are sent twice. Nothing here is
specific to SMTP except the classification of errors: any Django email backend works,
including anymail's.
"""

import binascii
import hashlib
import hmac
import logging
import re
import smtplib
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import formataddr, formatdate
from enum import StrEnum

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import forbid_multi_line_headers, sanitize_address
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import CharField, Exists, F, Min, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Site

from masthead.newsletter import consent, tokens
from masthead.newsletter.models import (
    Campaign,
    Delivery,
    NewsletterSettings,
    Subscriber,
    Subscription,
    Suppression,
)
from masthead.newsletter.rendering import fallback_name, render_campaign, site_host

logger = logging.getLogger("masthead.newsletter")

# Results are written after every chunk, so a crash re-sends at most the chunk in flight
# (plus whatever else the dead worker had claimed but not yet started).
RECORD_CHUNK = 100
HARD_BOUNCE_CODES = {550, 551, 553}
HARD_BOUNCE_STATUS = re.compile(r"\b5\.1\.[0-9]\b")

_EMAIL_OPTIONS = {
    "EMAIL_HOST": "host",
    "EMAIL_PORT": "port",
    "EMAIL_HOST_USER": "username",
    "EMAIL_HOST_PASSWORD": "password",
    "EMAIL_USE_TLS": "use_tls",
    "EMAIL_USE_SSL": "use_ssl",
    "EMAIL_TIMEOUT": "timeout",
    "EMAIL_FILE_PATH": "file_path",
}


def newsletter_connection():
    """A connection for bulk mail: NEWSLETTER_EMAIL_URL's transport, or the site's own."""
    config = settings.NEWSLETTER_EMAIL
    if not config:
        return get_connection()
    options = {_EMAIL_OPTIONS[key]: value for key, value in config.items() if key in _EMAIL_OPTIONS}
    return get_connection(config["EMAIL_BACKEND"], **options)


def mailable_subscribers(campaign):
    """Subscribers the campaign may mail right now (the subscription rules live in services)."""
    return consent.mailable_subscribers(campaign.newsletters.values_list("pk", flat=True))


class BatchOutcome(StrEnum):
    """What one run of a campaign's batch task found, and so what happens next."""

    # Paused, cancelled, or superseded by a newer round of batch tasks: this chain ends.
    STOPPED = "stopped"
    # It claimed deliveries, so more may remain: the next batch runs straight away.
    CONTINUED = "continued"
    # Nothing pending or in flight: the campaign is sent.
    FINISHED = "finished"
    # The rest falls due later (a retry, or a dead worker's lease): the next batch waits.
    WAITING = "waiting"
    # Too long to wait in-process: left to the scheduler's stalled-campaign check.
    STALLED = "stalled"


def start_sending(campaign_id):
    """Turn a scheduled campaign whose time has come into a sending one, with one pending
    delivery per recipient and a new sending round; returns it, or None when it is not
    due or was started already. Its batch tasks are queued by the caller, in the same
    transaction."""
    now = timezone.now()
    started = Campaign.objects.filter(
        pk=campaign_id, status=Campaign.Status.SCHEDULED, scheduled_at__lte=now
    ).update(
        status=Campaign.Status.SENDING,
        started_at=now,
        send_generation=F("send_generation") + 1,
        updated_at=now,
    )
    if not started:
        return None
    campaign = Campaign.objects.get(pk=campaign_id)
    create_deliveries(campaign)
    return campaign


def create_deliveries(campaign):
    """One pending Delivery per mailable subscriber; running it again creates nothing new.

    One INSERT ... SELECT inside the database: 100,000 recipients never pass through Python.
    """
    recipients = (
        mailable_subscribers(campaign)
        .exclude(Exists(Delivery.objects.filter(campaign=campaign, subscriber=OuterRef("pk"))))
        .values(recipient_id=F("pk"))
    )
    select, params = recipients.query.sql_with_params()
    table = db_connection.ops.quote_name(Delivery._meta.db_table)
    insert = (
        f"INSERT INTO {table} (campaign_id, subscriber_id, status, attempts, claimed_by, "  # noqa: S608 - the table name and the ORM's own SQL; values are parameters
        "message_id, last_error, complained, unsubscribed) "
        "SELECT %s, recipient.recipient_id, %s, 0, '', '', '', %s, %s "
        f"FROM ({select}) recipient "
        # "WHERE 1 = 1" lets SQLite tell the ON CONFLICT clause from a join constraint.
        "WHERE 1 = 1 ON CONFLICT DO NOTHING"
    )
    with db_connection.cursor() as cursor:
        cursor.execute(insert, [campaign.pk, Delivery.Status.PENDING, False, False, *params])
        return cursor.rowcount


def claimable_deliveries(campaign, now):
    """Deliveries a batch may take: pending and due, or claimed by a worker whose lease ran
    out (it died), which puts them back in play. Never one whose reader was erased (it has
    no subscriber left to send to)."""
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    return Delivery.objects.filter(campaign=campaign, subscriber__isnull=False).filter(
        (Q(status=Delivery.Status.PENDING) & due)
        | Q(status=Delivery.Status.SENDING, lease_expires_at__lt=now)
    )


@dataclass(slots=True)
class Recipient:
    """The subscriber fields a message needs (name, address, the secret behind their links)."""

    pk: int
    email: str
    name: str
    secret: str


@dataclass(slots=True)
class Claim:
    """One claimed delivery as sending and recording see it: plain values, no ORM instance
    per message, and the outcome to write back."""

    pk: int
    campaign_id: int
    attempts: int
    subscriber: Recipient
    status: str = Delivery.Status.SENDING
    message_id: str = ""
    sent_at: object = None
    last_error: str = ""
    next_attempt_at: object = None

    @property
    def subscriber_id(self):
        return self.subscriber.pk


def claim_deliveries(campaign, size, claimer):
    """Atomically move up to ``size`` claimable deliveries to sending under ``claimer``."""
    now = timezone.now()
    candidates = claimable_deliveries(campaign, now).order_by("pk")
    with transaction.atomic():
        if db_connection.features.has_select_for_update_skip_locked:
            # PostgreSQL: concurrent workers each lock a different set of rows, in the same
            # statement that claims them (no round trip with 500 ids in between).
            chosen = Delivery.objects.filter(
                pk__in=candidates.select_for_update(skip_locked=True).values("pk")[:size]
            )
        else:
            # SQLite: the IMMEDIATE transaction serialises writers, so one UPDATE with a
            # subquery cannot hand the same row to two workers.
            chosen = Delivery.objects.filter(pk__in=candidates.values("pk")[:size])
        chosen.update(
            status=Delivery.Status.SENDING,
            claimed_by=claimer,
            lease_expires_at=now + timedelta(seconds=settings.NEWSLETTER_LEASE_SECONDS),
            attempts=F("attempts") + 1,
        )
    rows = Delivery.objects.filter(
        campaign=campaign, status=Delivery.Status.SENDING, claimed_by=claimer
    ).values_list(
        "pk",
        "campaign_id",
        "attempts",
        "message_id",
        "subscriber_id",
        "subscriber__email",
        "subscriber__name",
        "subscriber__secret",
    )
    return [
        Claim(pk, campaign_id, attempts, Recipient(*subscriber), message_id=message_id)
        for pk, campaign_id, attempts, message_id, *subscriber in rows
    ]


@dataclass
class Failure:
    """How one failed message is to be treated."""

    temporary: bool
    hard_bounce: bool
    detail: str


def classify_error(error, recipient):
    """Temporary (retry later) or permanent, and whether it is a hard bounce to suppress."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, message = error.recipients.get(recipient, next(iter(error.recipients.values())))
        return _classify_code(code, message)
    if isinstance(error, smtplib.SMTPResponseException):
        return _classify_code(error.smtp_code, error.smtp_error)
    # Lost connections, timeouts and any transport's own errors: worth another try.
    return Failure(temporary=True, hard_bounce=False, detail=repr(error)[:500])


def _classify_code(code, message):
    text = message.decode(errors="replace") if isinstance(message, bytes) else str(message)
    detail = f"{code} {text}"[:500]
    if 400 <= code < 500:
        return Failure(temporary=True, hard_bounce=False, detail=detail)
    hard = code in HARD_BOUNCE_CODES or bool(HARD_BOUNCE_STATUS.search(text))
    return Failure(temporary=False, hard_bounce=hard, detail=detail)


def retry_delay(attempts):
    """Exponential backoff: NEWSLETTER_RETRY_SECONDS, then twice as long each time."""
    return timedelta(seconds=settings.NEWSLETTER_RETRY_SECONDS * 2 ** max(attempts - 1, 0))


def sender_address(site=None):
    """The From of newsletters: NewsletterSettings' name and address, or the site's sender."""
    site = site or Site.objects.filter(is_default_site=True).first()
    newsletter_settings = NewsletterSettings.for_site(site) if site else None
    if newsletter_settings and newsletter_settings.from_email:
        return formataddr((newsletter_settings.from_name, newsletter_settings.from_email))
    return settings.DEFAULT_FROM_EMAIL


def list_id(newsletter):
    return formataddr((newsletter.name, f"{newsletter.slug}.newsletters.{site_host()}"))


def message_id_for(delivery, host=None):
    """The same Message-ID on every attempt, so a copy re-sent after a crash is recognisable."""
    return f"<newsletter.{delivery.campaign_id}.{delivery.pk}@{host or site_host()}>"


# Stand-ins reversed once per campaign, so each reader's links need no URL resolving.
_LINK_ID = "918273645"
_LINK_SIGNATURE = "mhsignature"


def _link_format(path):
    """An absolute URL format string with {pk} and {signature} in place of the stand-ins."""
    escaped = (settings.SITE_URL + path).replace("{", "{{").replace("}", "}}")
    return escaped.replace(_LINK_ID, "{pk}").replace(_LINK_SIGNATURE, "{signature}")


def _quoted_printable(text):
    """One body part as quoted-printable UTF-8 with CRLF line ends.

    Substitution happens before encoding, so a reader's name in any script is encoded like
    the rest. The final CRLF guarantees b2a_qp sees CRLF and breaks long lines with it too.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n") + "\r\n"
    return binascii.b2a_qp(text.encode(), istext=True)


class SMTPStream:
    """Messages over one SMTP connection at one write and one round trip each (RFC 2920).

    The server must advertise PIPELINING. Each write carries the previous message's content
    and this message's MAIL, RCPT and DATA; smtplib's sendmail needs four round trips. So
    outcomes arrive one message late: ``send`` returns those settled by its replies and
    ``finish`` the last one, each as (token, None) or (token, the exception smtplib's
    sendmail would have raised). After a lost connection ``broken`` is set and everything
    in flight is reported with that error.
    """

    def __init__(self, smtp, sender):
        self.smtp = smtp
        self.sender = sender
        # (token, content, refusal): content follows the next write; a refusal is reported
        # instead of the server's answer when the server opened DATA despite refusing.
        self.pending = None
        self.needs_reset = False
        self.broken = False

    def send(self, token, recipient, data):
        envelope = f"MAIL FROM:{self.sender}\r\nRCPT TO:<{recipient}>\r\nDATA\r\n".encode()
        return self._exchange(envelope, (token, recipient, data))

    def finish(self):
        settled = self._exchange(b"", None) if self.pending else []
        if self.needs_reset and not self.broken:
            # Leave no refused transaction open for whatever uses the connection next.
            self.needs_reset = False
            try:
                self.smtp.rset()
            except (smtplib.SMTPServerDisconnected, OSError):
                self.broken = True
        return settled

    def _exchange(self, envelope, transaction):
        pending, self.pending = self.pending, None
        reset = self.needs_reset and transaction is not None
        if reset:
            self.needs_reset = False
        out = []
        if pending:
            # Dot-stuffing as smtplib does it (every line ends in CRLF, none starts the data).
            out.append(pending[1].replace(b"\r\n.", b"\r\n..") + b".\r\n")
        if reset:
            out.append(b"RSET\r\n")
        settled = []
        try:
            self.smtp.send(b"".join(out) + envelope)
            if pending:
                code, reply = self.smtp.getreply()
                error = pending[2] or (None if code == 250 else smtplib.SMTPDataError(code, reply))
                settled.append((pending[0], error))
                pending = None
            if reset:
                self.smtp.getreply()
            if transaction is not None:
                settled.extend(self._start(*transaction))
        # A lost connection, or a reply that makes no sense: the stream cannot go on.
        except Exception as error:
            self.broken = True
            self.pending = None
            lost = [pending[0]] if pending else []
            if transaction is not None:
                lost.append(transaction[0])
            settled.extend((token, error) for token in lost)
        return settled

    def _start(self, token, recipient, data):
        (mail_code, mail_reply), (rcpt_code, rcpt_reply), (data_code, data_reply) = (
            self.smtp.getreply(),
            self.smtp.getreply(),
            self.smtp.getreply(),
        )
        if mail_code != 250:
            refusal = smtplib.SMTPSenderRefused(mail_code, mail_reply, self.sender)
        elif rcpt_code not in (250, 251):
            refusal = smtplib.SMTPRecipientsRefused({recipient: (rcpt_code, rcpt_reply)})
        elif data_code != 354:
            refusal = smtplib.SMTPDataError(data_code, data_reply)
        else:
            self.pending = (token, data, None)
            return []
        if data_code == 354:
            # The server opened DATA despite refusing: end it empty with the next write.
            self.pending = (token, b"", refusal)
            return []
        self.needs_reset = True
        return [(token, refusal)]


def _mailto_format():
    """``tokens.unsubscribe_mailto`` as a format string with {pk} and {signature}."""
    stand_in = Subscriber(pk=int(_LINK_ID), secret=_LINK_SIGNATURE)
    signature = tokens.link_signature(stand_in.pk, stand_in.secret, "mailbox")[:16]
    escaped = tokens.unsubscribe_mailto(stand_in).replace("{", "{{").replace("}", "}}")
    return escaped.replace(f"{_LINK_ID}-{signature}", "{pk}-{signature}")


def _header(name, value):
    """One header line as Django would write it (RFC 2047 for non-ASCII, no injection)."""
    name, value = forbid_multi_line_headers(name, value, settings.DEFAULT_CHARSET)
    return f"{name}: {value}".replace("\r\n", "\n").replace("\n", "\r\n") + "\r\n"


@dataclass
class CampaignMessages:
    """Builds each recipient's message from a campaign rendered once.

    For SMTP the whole message is a byte template made once per campaign: per reader only
    their links, name and header values are filled in and the two parts quoted-printable
    encoded, which is a small fraction of what building a MIME tree per message costs.
    Other transports (anymail's ESPs) get an EmailMultiAlternatives from ``build``.
    """

    campaign: Campaign
    from_email: str = ""
    rendered: object = None
    newsletters: dict = field(default_factory=dict)

    def __post_init__(self):
        self.rendered = render_campaign(self.campaign)
        self.from_email = self.from_email or sender_address()
        self.newsletters = {item.pk: item for item in self.campaign.newsletters.all()}
        self.fallback_name = fallback_name()
        self.preferences_format = _link_format(
            reverse("newsletter:preferences", args=[_LINK_ID, _LINK_SIGNATURE])
        )
        self.unsubscribe_format = _link_format(
            reverse("newsletter:unsubscribe", args=[_LINK_ID, self.campaign.pk, _LINK_SIGNATURE])
        )
        self.host = site_host()
        self.envelope_from = sanitize_address(self.from_email, settings.DEFAULT_CHARSET)
        self.quoted_from = smtplib.quoteaddr(self.envelope_from)
        # tokens.link_signature with its salted key derived once, not three times a message.
        self.link_key = hashlib.sha256((tokens.LINK_SALT + settings.SECRET_KEY).encode()).digest()
        self.mailto_format = _mailto_format()
        # "=" never survives quoted-printable encoding, so no body line can equal this.
        self.boundary = f"===============mh{uuid.uuid4().hex}=="
        self.head = (
            "MIME-Version: 1.0\r\n"
            f'Content-Type: multipart/alternative; boundary="{self.boundary}"\r\n'
            + _header("Subject", self.rendered.subject)
            + _header("From", self.from_email)
            + "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
        )
        self.list_id_headers = {
            pk: _header("List-Id", list_id(newsletter))
            for pk, newsletter in self.newsletters.items()
        }
        part = '--{}\r\nContent-Type: text/{}; charset="utf-8"\r\n'
        part += "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        self.text_opening = ("\r\n" + part.format(self.boundary, "plain")).encode()
        self.html_opening = part.format(self.boundary, "html").encode()
        self.closing = f"--{self.boundary}--\r\n".encode()
        self.date = (0, "")

    def signature(self, subscriber, purpose, campaign_id=0):
        value = f"{purpose}:{subscriber.pk}:{campaign_id}:{subscriber.secret}"
        return hmac.new(self.link_key, value.encode(), hashlib.sha256).hexdigest()[:32]

    def links(self, subscriber):
        """The reader's own preferences and unsubscribe links (as ``tokens`` makes them)."""
        pk = subscriber.pk
        return {
            "preferences_url": self.preferences_format.format(
                pk=pk, signature=self.signature(subscriber, "preferences")
            ),
            "unsubscribe_url": self.unsubscribe_format.format(
                pk=pk, signature=self.signature(subscriber, "unsubscribe", self.campaign.pk)
            ),
        }

    def mailto(self, subscriber):
        """The List-Unsubscribe mailto: of ``tokens.unsubscribe_mailto``."""
        signature = self.signature(subscriber, "mailbox")[:16]
        return self.mailto_format.format(pk=subscriber.pk, signature=signature)

    def personal_values(self, subscriber, newsletter, links):
        return {
            "name": subscriber.name.strip() or self.fallback_name,
            "newsletter": newsletter.name,
            **links,
        }

    def date_header(self):
        """The Date header, formatted at most once a second."""
        now = int(time.time())
        if self.date[0] != now:
            self.date = (now, formatdate(now, localtime=settings.EMAIL_USE_LOCALTIME))
        return self.date[1]

    def raw(self, subscriber, newsletter, message_id):
        """One reader's message for SMTP: (envelope sender, recipient, message bytes)."""
        links = self.links(subscriber)
        html_part, text_part = self.rendered.personalise(
            self.personal_values(subscriber, newsletter, links)
        )
        address = subscriber.email
        if address.isascii():
            to_header = f"To: {address}\r\n"
        else:
            address = sanitize_address(address, settings.DEFAULT_CHARSET)
            to_header = _header("To", subscriber.email)
        head = (
            self.head
            + to_header
            + f"Date: {self.date_header()}\r\n"
            + f"Message-ID: {message_id}\r\n"
            + f"List-Unsubscribe: <{links['unsubscribe_url']}>,\r\n"
            + f" <{self.mailto(subscriber)}>\r\n"
            + self.list_id_headers[newsletter.pk]
        )
        data = b"".join(
            [
                head.encode(),
                self.text_opening,
                _quoted_printable(text_part),
                self.html_opening,
                _quoted_printable(html_part),
                self.closing,
            ]
        )
        return self.envelope_from, address, data

    def build(self, subscriber, newsletter, message_id, connection=None, links=None):
        """One reader's message; ``links`` replaces their own links (for tests to editors)."""
        links = links or {
            "preferences_url": tokens.preferences_url(subscriber),
            "unsubscribe_url": tokens.unsubscribe_url(subscriber, campaign=self.campaign),
        }
        unsubscribe_url = links["unsubscribe_url"]
        html_part, text_part = self.rendered.personalise(
            self.personal_values(subscriber, newsletter, links)
        )
        message = EmailMultiAlternatives(
            subject=self.rendered.subject,
            body=text_part,
            from_email=self.from_email,
            to=[subscriber.email],
            connection=connection,
            headers={
                "Message-ID": message_id,
                "List-Unsubscribe": (
                    f"<{unsubscribe_url}>, <{tokens.unsubscribe_mailto(subscriber)}>"
                    if subscriber.pk
                    else f"<{unsubscribe_url}>"
                ),
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "List-Id": list_id(newsletter),
            },
        )
        message.attach_alternative(html_part, "text/html")
        return message


_rendered_cache = {}


def campaign_messages(campaign):
    """The campaign's message builder, rendered once per process rather than per batch."""
    key = (campaign.pk, campaign.updated_at)
    if key not in _rendered_cache:
        _rendered_cache.clear()
        _rendered_cache[key] = CampaignMessages(campaign)
    return _rendered_cache[key]


def recipient_newsletters(deliveries, newsletters):
    """For each claimed delivery still mailable, the newsletter it is sent as (by sort order).

    Read at send time, so an unsubscribe or a suppression takes effect at once.
    """
    subscriber_ids = [delivery.subscriber_id for delivery in deliveries]
    mailable = set(
        consent.mailable_subscribers(list(newsletters))
        .filter(pk__in=subscriber_ids)
        .values_list("pk", flat=True)
    )
    memberships = (
        Subscription.objects.filter(
            subscriber_id__in=mailable, newsletter_id__in=list(newsletters), is_active=True
        )
        .order_by("-newsletter__sort_order", "-newsletter__name")
        .values_list("subscriber_id", "newsletter_id")
    )
    # Read last-to-first, so the first newsletter by sort order is the one kept.
    return {
        subscriber_id: newsletters[newsletter_id]
        for subscriber_id, newsletter_id in dict(memberships).items()
    }


@dataclass
class BatchResult:
    """What one batch did."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    released: int = 0


class RateLimiter:
    """Keeps one process under its share of NEWSLETTER_RATE_LIMIT."""

    def __init__(self):
        total = settings.NEWSLETTER_RATE_LIMIT
        self.interval = max(settings.NEWSLETTER_PARALLELISM, 1) / total if total > 0 else 0
        self.next_at = time.monotonic()

    def wait(self):
        if not self.interval:
            return
        now = time.monotonic()
        if self.next_at > now:
            time.sleep(self.next_at - now)
        self.next_at = max(self.next_at, now) + self.interval


def suppress_hard_bounce(address, detail):
    """Never mail an address again after a hard bounce."""
    consent.suppress_address(
        address, Suppression.Reason.HARD_BOUNCE, detail=detail, source="newsletter sending"
    )


def send_batch(campaign, messages=None, batch_size=None):
    """Claim one batch of the campaign's deliveries, send them and record the results."""
    result = BatchResult()
    claimer = uuid.uuid4().hex
    claimed = claim_deliveries(campaign, batch_size or settings.NEWSLETTER_BATCH_SIZE, claimer)
    result.claimed = len(claimed)
    if not claimed:
        return result
    messages = messages or campaign_messages(campaign)
    mailable = recipient_newsletters(claimed, messages.newsletters)
    skipped = [delivery.pk for delivery in claimed if delivery.subscriber_id not in mailable]
    if skipped:
        # Unsubscribed or suppressed since the campaign started: the choice takes effect now.
        Delivery.objects.filter(pk__in=skipped, claimed_by=claimer).update(
            status=Delivery.Status.SKIPPED, claimed_by="", lease_expires_at=None
        )
        result.skipped = len(skipped)
    to_send = [delivery for delivery in claimed if delivery.subscriber_id in mailable]
    limiter = RateLimiter()
    connection = newsletter_connection()
    try:
        connection.open()
    except Exception as error:
        # The transport is unreachable: every claimed message is a temporary failure.
        for delivery in to_send:
            _note_failure(delivery, error)
        _record(to_send, result)
        return result
    sender = BatchSender(connection, messages, mailable)
    try:
        for start in range(0, len(to_send), RECORD_CHUNK):
            if start and not _still_sending(campaign):
                result.released = _release(to_send[start:], claimer)
                break
            chunk = to_send[start : start + RECORD_CHUNK]
            for delivery in chunk:
                limiter.wait()
                sender.send(delivery)
            sender.finish()
            _record(chunk, result)
    finally:
        connection.close()
    return result


def _still_sending(campaign):
    return Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.SENDING).exists()


def _release(deliveries, claimer):
    """Hand back unsent claims when the campaign is paused or cancelled mid-batch."""
    return Delivery.objects.filter(
        pk__in=[delivery.pk for delivery in deliveries], claimed_by=claimer
    ).update(
        status=Delivery.Status.PENDING,
        claimed_by="",
        lease_expires_at=None,
        attempts=F("attempts") - 1,
    )


class BatchSender:
    """Sends one batch's messages over one connection and notes each outcome on its delivery.

    SMTP servers get the bytes from the campaign's template, streamed when they offer
    PIPELINING; other transports (anymail's ESPs) get one EmailMultiAlternatives each.
    """

    def __init__(self, connection, messages, newsletters):
        self.connection = connection
        self.messages = messages
        self.newsletters = newsletters
        self.stream = None
        self.pipelining = None

    def send(self, delivery):
        """Send one message; the deliveries whose outcome is now known have it noted."""
        delivery.message_id = message_id_for(delivery, self.messages.host)
        newsletter = self.newsletters[delivery.subscriber_id]
        message = None
        try:
            if isinstance(self.connection, SMTPBackend):
                sender, recipient, data = self.messages.raw(
                    delivery.subscriber, newsletter, delivery.message_id
                )
                stream = self._stream()
                if stream is not None and recipient.isascii():
                    self._settle(stream.send(delivery, recipient, data))
                    return
                # smtplib for the rest (an address beyond ASCII needs SMTPUTF8), in order.
                self.finish()
                self.connection.connection.sendmail(sender, [recipient], data)
            else:
                message = self.messages.build(
                    delivery.subscriber, newsletter, delivery.message_id, self.connection
                )
                message.send()
        # One bad recipient must not stop the batch: every failure is classified and recorded.
        except Exception as error:
            self._settle([(delivery, error)])
            return
        status = getattr(message, "anymail_status", None)
        if status is not None and status.message_id:
            # An ESP's own id is what its bounce and complaint webhooks will quote.
            delivery.message_id = str(status.message_id)[:255]
        self._settle([(delivery, None)])

    def finish(self):
        """Settle the message still in flight (call before recording a chunk)."""
        if self.stream is not None:
            self._settle(self.stream.finish())

    def _stream(self):
        """The pipelined stream, if the server offers PIPELINING."""
        if self.stream is None and self.pipelining is not False:
            smtp = self.connection.connection
            smtp.ehlo_or_helo_if_needed()
            self.pipelining = smtp.has_extn("pipelining")
            if self.pipelining:
                self.stream = SMTPStream(smtp, self.messages.quoted_from)
        return self.stream

    def _settle(self, outcomes):
        reconnect = self.stream is not None and self.stream.broken
        for delivery, error in outcomes or []:
            if error is None:
                delivery.status = Delivery.Status.SENT
                delivery.sent_at = timezone.now()
                delivery.last_error = ""
            else:
                _note_failure(delivery, error)
                reconnect = reconnect or isinstance(error, smtplib.SMTPServerDisconnected | OSError)
        if reconnect:
            # The server hung up: start afresh for the rest of the batch.
            self.stream = self.pipelining = None
            self.connection.close()
            self.connection.open()


def _note_failure(delivery, error):
    """Retry later after a temporary failure (until attempts run out), otherwise fail."""
    failure = classify_error(error, delivery.subscriber.email)
    delivery.last_error = failure.detail
    if failure.temporary and delivery.attempts < settings.NEWSLETTER_MAX_ATTEMPTS:
        delivery.status = Delivery.Status.PENDING
        delivery.next_attempt_at = timezone.now() + retry_delay(delivery.attempts)
    else:
        delivery.status = Delivery.Status.FAILED
        if failure.hard_bounce:
            suppress_hard_bounce(delivery.subscriber.email, failure.detail)


def _record(chunk, result):
    """Write one chunk's outcomes: all plain successes in one UPDATE, the rest row by row."""
    host = site_host()
    sent_ids, others = [], []
    for delivery in chunk:
        if delivery.status == Delivery.Status.SENT:
            result.sent += 1
        elif delivery.status == Delivery.Status.PENDING:
            result.retried += 1
        else:
            result.failed += 1
        if delivery.status == Delivery.Status.SENT and delivery.message_id == message_id_for(
            delivery, host
        ):
            sent_ids.append(delivery.pk)
        else:
            others.append(delivery)
    with transaction.atomic():
        if sent_ids:
            prefix = f"<newsletter.{chunk[0].campaign_id}."
            Delivery.objects.filter(pk__in=sent_ids).update(
                status=Delivery.Status.SENT,
                sent_at=timezone.now(),
                message_id=Concat(Value(prefix), Cast("pk", CharField()), Value(f"@{host}>")),
                last_error="",
                claimed_by="",
                lease_expires_at=None,
            )
        for delivery in others:
            Delivery.objects.filter(pk=delivery.pk).update(
                status=delivery.status,
                sent_at=delivery.sent_at,
                message_id=delivery.message_id,
                last_error=delivery.last_error,
                next_attempt_at=delivery.next_attempt_at,
                claimed_by="",
                lease_expires_at=None,
            )


def finish_if_done(campaign):
    """Mark the campaign sent once no delivery is pending or in flight; True if it is done."""
    remaining = Delivery.objects.filter(
        campaign=campaign, status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING]
    ).exists()
    if remaining:
        return False
    Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.SENDING).update(
        status=Campaign.Status.SENT, finished_at=timezone.now()
    )
    return True


def next_work_at(campaign_id):
    """When the next delivery becomes claimable: a retry falls due or a lease runs out."""
    times = Delivery.objects.filter(campaign_id=campaign_id).aggregate(
        retry=Min("next_attempt_at", filter=Q(status=Delivery.Status.PENDING)),
        lease=Min("lease_expires_at", filter=Q(status=Delivery.Status.SENDING)),
    )
    candidates = [value for value in times.values() if value is not None]
    return min(candidates) if candidates else timezone.now()


def send_next_batch(campaign_id, generation):
    """One batch of the campaign's sending round ``generation``, and what is left: STOPPED
    if the campaign is no longer sending in that round, CONTINUED after claiming
    deliveries, FINISHED once none is pending or in flight, WAITING otherwise."""
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if (
        campaign is None
        or campaign.status != Campaign.Status.SENDING
        or campaign.send_generation != generation
    ):
        return BatchOutcome.STOPPED
    Campaign.objects.filter(pk=campaign.pk).update(last_batch_at=timezone.now())
    result = send_batch(campaign)
    if result.claimed:
        return BatchOutcome.CONTINUED
    if finish_if_done(campaign):
        return BatchOutcome.FINISHED
    return BatchOutcome.WAITING
