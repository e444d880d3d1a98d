"""Passwordless sign-in: a reader types their address and gets an email with a link and a
6-digit code; either signs in the browser that asked, once, within READERS_SIGN_IN_MINUTES.

Threat model and the answers to it:

- **Learning who reads here.** Whatever address is typed, known or not, the answer is the
  same page and an email is sent (signing in is what makes the Reader), so the answer says
  nothing about the address. Over a rate limit the page is the same too; only the email
  is not sent, and the refusal is logged.
- **Flooding a stranger's inbox.** Requests are limited per network (an IPv6 /64 counts
  as one client) and per mailbox (``ratelimit.mailbox``: case, ``+tags`` and Gmail's dots
  do not make new mailboxes). The limits fail closed: with the shared cache down nothing
  is sent (``REFUSE``).
- **A copy of the database.** Only SHA-256 hashes of the link token and of the browser's
  nonce are stored, and the code is kept as an HMAC keyed with SECRET_KEY over the
  request's link hash: a million possible codes cannot be tried against a stolen row
  without the key.
- **A link forwarded, leaked or opened by someone else.** The request is bound to the
  browser that asked by a random nonce in the HttpOnly ``reader_sign_in`` cookie (only
  its hash is stored): the link and the code work only there. That also covers the
  task queue, which keeps a task's arguments (the link token and the code, never the
  address) in the database until it is cleaned up: without the browser's cookie they
  sign no one in, and they are dead within minutes anyway.
- **Mail scanners that follow links.** Opening the link shows a button; only its POST
  signs in.
- **Guessing the code.** READERS_CODE_ATTEMPTS tries per request, claimed one at a time by
  a conditional UPDATE before the comparison (so parallel guesses cannot exceed it), then
  the whole request (link too) is dead; comparisons are constant-time.
"""

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from masthead.core import ratelimit
from masthead.readers import identity, tasks
from masthead.readers.models import SignInRequest

logger = logging.getLogger("masthead.readers")

NONCE_COOKIE = "reader_sign_in"
NONCE_COOKIE_PATH = "/account/"
CODE_DIGITS = 6
# How many of a browser's pending requests a typed code is checked against (the reader may
# have asked twice before the first email arrived).
CODE_CANDIDATES = 3
_NONCE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")


class Refusal:
    """Why a link or a code did not sign anyone in (``SignInRefused.reason``)."""

    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    SPENT = "spent"
    OTHER_BROWSER = "other_browser"
    WRONG_CODE = "wrong_code"
    NOTHING_PENDING = "nothing_pending"


class SignInRefused(Exception):
    """A link or code that signs no one in; ``reason`` is one of ``Refusal``'s."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Started:
    """What a sign-in request left with the browser: the nonce for its cookie, and
    whether an email went out (False when a limit refused it; the reader is not told)."""

    browser_nonce: str
    sent: bool


def _sha256(value):
    return hashlib.sha256(value.encode()).hexdigest()


def code_hash(link_hash, code):
    """The stored form of a code: an HMAC keyed with SECRET_KEY over the request's link
    hash and the code, so it is tied to its request and cannot be reversed without the key."""
    message = f"masthead.readers.sign-in-code:{link_hash}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def browser_nonce(request):
    """The nonce already in this browser's ``reader_sign_in`` cookie, or a new one (so two
    requests from one browser both work there)."""
    value = request.COOKIES.get(NONCE_COOKIE, "")
    return value if _NONCE_PATTERN.match(value) else secrets.token_urlsafe(32)


def set_nonce_cookie(response, nonce):
    """Bind the browser: the nonce in an HttpOnly cookie only /account/ receives."""
    response.set_cookie(
        NONCE_COOKIE,
        nonce,
        max_age=settings.READERS_SIGN_IN_MINUTES * 60,
        path=NONCE_COOKIE_PATH,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def clear_nonce_cookie(response):
    response.delete_cookie(NONCE_COOKIE, path=NONCE_COOKIE_PATH, samesite="Lax")


def safe_next(request, value):
    """``value`` if it is a path on this site (no scheme, no host, no ``//``), else ""."""
    value = (value or "").strip()
    if (
        not value.startswith("/")
        or value.startswith(("//", "/\\"))
        or len(value) > SignInRequest._meta.get_field("next_path").max_length
    ):
        return ""
    allowed = url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return value if allowed else ""


def _within_limits(address, network):
    limit, window = settings.READERS_SIGN_IN_LIMIT_PER_IP
    if not ratelimit.allow(
        f"readers-sign-in-ip:{network or 'unknown'}",
        limit,
        window,
        when_unavailable=ratelimit.REFUSE,
    ):
        logger.warning("Sign-in email refused: too many requests from network %s", network)
        return False
    box = ratelimit.hashed(ratelimit.mailbox(address))
    limit, window = settings.READERS_SIGN_IN_LIMIT_PER_ADDRESS
    if not ratelimit.allow(
        f"readers-sign-in-address:{box}", limit, window, when_unavailable=ratelimit.REFUSE
    ):
        logger.warning("Sign-in email refused: too many requests for mailbox %s", box[:12])
        return False
    return True


def start(address, *, nonce, next_path, network):
    """Ask to sign ``address`` in on the browser holding ``nonce``: store the request and
    email its link and code (after commit), unless a limit refuses. The same for any
    address, known or not."""
    if not _within_limits(address, network):
        return Started(browser_nonce=nonce, sent=False)
    token = secrets.token_urlsafe(32)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    link_hash = _sha256(token)
    with transaction.atomic():
        pending = SignInRequest.objects.create(
            email=identity.normalise(address),
            mailbox=ratelimit.mailbox(address),
            link_hash=link_hash,
            code_hash=code_hash(link_hash, code),
            browser_hash=_sha256(nonce),
            next_path=next_path,
            expires_at=timezone.now() + timedelta(minutes=settings.READERS_SIGN_IN_MINUTES),
        )
        transaction.on_commit(
            lambda: tasks.send_sign_in_email_task.enqueue(pending.pk, token, code)
        )
    return Started(browser_nonce=nonce, sent=True)


def check_link(token, nonce):
    """The pending request ``token`` signs in on the browser holding ``nonce``; raises
    ``SignInRefused`` saying why not. Changes nothing."""
    pending = SignInRequest.objects.filter(link_hash=_sha256(token or "")).first()
    if pending is None:
        raise SignInRefused(Refusal.UNKNOWN)
    if pending.used_at is not None:
        raise SignInRefused(Refusal.USED)
    if pending.expires_at <= timezone.now():
        raise SignInRefused(Refusal.EXPIRED)
    if pending.attempts >= settings.READERS_CODE_ATTEMPTS:
        raise SignInRefused(Refusal.SPENT)
    if not nonce or not hmac.compare_digest(_sha256(nonce), pending.browser_hash):
        raise SignInRefused(Refusal.OTHER_BROWSER)
    return pending


def use(pending):
    """Mark ``pending`` used, once (a conditional UPDATE: of two racing requests, one wins)."""
    now = timezone.now()
    used = SignInRequest.objects.filter(
        pk=pending.pk, used_at__isnull=True, expires_at__gt=now
    ).update(used_at=now)
    if not used:
        raise SignInRefused(Refusal.USED)
    pending.used_at = now
    return pending


def normalise_code(value):
    """A typed code without the spaces or dashes people put in; None if not 6 digits."""
    digits = re.sub(r"[\s-]", "", value or "")
    return digits if re.fullmatch(rf"\d{{{CODE_DIGITS}}}", digits) else None


def _pending_for_browser(nonce):
    return list(
        SignInRequest.objects.filter(
            browser_hash=_sha256(nonce),
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
            attempts__lt=settings.READERS_CODE_ATTEMPTS,
        ).order_by("-created_at")[:CODE_CANDIDATES]
    )


def pending_address(nonce):
    """The address this browser's newest pending request was sent to, or ""."""
    pending = _pending_for_browser(nonce) if nonce else []
    return pending[0].email if pending else ""


def _claim_attempt(pending):
    return SignInRequest.objects.filter(
        pk=pending.pk, used_at__isnull=True, attempts__lt=settings.READERS_CODE_ATTEMPTS
    ).update(attempts=F("attempts") + 1)


def match_code(code, nonce):
    """The pending request a typed ``code`` belongs to on the browser holding ``nonce``
    (still to be ``use``d). Every try spends one of READERS_CODE_ATTEMPTS on each of the browser's
    pending requests; raises ``SignInRefused`` (wrong code, or nothing pending here)."""
    candidates = _pending_for_browser(nonce) if nonce else []
    if not candidates:
        raise SignInRefused(Refusal.NOTHING_PENDING)
    match = None
    for pending in candidates:
        if not _claim_attempt(pending):
            continue
        if match is None and hmac.compare_digest(
            code_hash(pending.link_hash, code), pending.code_hash
        ):
            match = pending
    if match is None:
        raise SignInRefused(Refusal.WRONG_CODE)
    return match


def attempts_left(nonce):
    """How many more codes this browser may try on its newest pending request."""
    pending = _pending_for_browser(nonce) if nonce else []
    return settings.READERS_CODE_ATTEMPTS - pending[0].attempts if pending else 0


def complete(pending):
    """The Reader a used request signs in: the address is verified now (made a Reader, and
    every app's records under it linked), and the address's other pending requests end."""
    reader = identity.verified(pending.email)
    SignInRequest.objects.filter(mailbox=pending.mailbox, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    return reader
