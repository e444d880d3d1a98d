"""Sign-in throttling for the admin, kept in Django's cache so every web process shares it.

Threat: someone guessing an editor's password, one account at a time or many accounts from
one network, and someone flooding editors' inboxes with password-reset emails.

- Every failed sign-in counts against its account (the username as typed, case-folded, so
  whether the account exists makes no difference) and against its network (an IPv4 address,
  or an IPv6 /64: ``core.ratelimit.client_network``). An account or network that reaches its
  limit within ``ADMIN_SIGNIN_LOCKOUT_SECONDS`` is locked for that long: every sign-in to it,
  or from it, is refused, even with the right password, and attempts while locked do not
  extend the lock. A successful sign-in forgets its account's earlier failures.
- Password-reset requests are limited per network and per mailbox.
- While the cache is unreachable no lockout can be checked, so every sign-in is refused
  (``ratelimit.LimitsUnavailable``, answered 503 by ``core.middleware``); editors already
  signed in carry on, their sessions being in the database too.
"""

import logging
import math
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils.translation import ngettext

from masthead.core import ratelimit, resilient_cache

logger = logging.getLogger(__name__)


def _subjects(username, request):
    """What a sign-in attempt counts against, as (kind, limit, digest): its account, and the
    network it came from (when it came through a request)."""
    subjects = []
    if username:
        digest = ratelimit.hashed(str(username).strip().casefold())
        subjects.append(("account", settings.ADMIN_SIGNIN_FAILURES_PER_ACCOUNT, digest))
    network = ratelimit.client_network(request) if request is not None else None
    if network:
        subjects.append(
            ("network", settings.ADMIN_SIGNIN_FAILURES_PER_IP, ratelimit.hashed(network))
        )
    return subjects


def _lock_key(kind, digest):
    return f"signin:locked:{kind}:{digest}"


def _failures_key(kind, digest):
    return f"signin:failures:{kind}:{digest}"


def locked_until(username, request):
    """When the lockout that covers a sign-in as ``username`` from ``request`` ends (a Unix
    time), or None when neither the account nor the network is locked out."""
    keys = [_lock_key(kind, digest) for kind, _limit, digest in _subjects(username, request)]
    now = time.time()
    try:
        with resilient_cache.strict():
            stored = cache.get_many(keys)
    except resilient_cache.CacheUnavailable:
        ratelimit.refuse_unchecked("admin sign-in")
    ends = [until for until in stored.values() if until > now]
    return max(ends) if ends else None


def lockout_message(until):
    """What a locked-out person is told: that sign-in is paused, and for how long."""
    minutes = max(1, math.ceil((until - time.time()) / 60))
    return ngettext(
        "Too many failed sign-in attempts. Signing in is paused; try again in %(minutes)d minute.",
        "Too many failed sign-in attempts. Signing in is paused; try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def _count(key, window):
    """Add one to the counter under ``key``, which lives ``window`` seconds from its first
    count; return the new count. add() and incr() are atomic on every cache we use."""
    if cache.add(key, 1, timeout=window):
        return 1
    try:
        return cache.incr(key)
    except ValueError:
        # The counter expired between add() and incr(): this is the first count again.
        cache.add(key, 1, timeout=window)
        return 1


def record_failure(username, request):
    """Count a failed sign-in against its account and its network, and lock out whichever of
    them reached its limit."""
    if locked_until(username, request):
        return
    window = settings.ADMIN_SIGNIN_LOCKOUT_SECONDS
    for kind, limit, digest in _subjects(username, request):
        if limit <= 0:
            continue
        if _count(_failures_key(kind, digest), window) >= limit:
            cache.set(_lock_key(kind, digest), time.time() + window, timeout=window)
            cache.delete(_failures_key(kind, digest))
            logger.warning(
                "Admin sign-in locked out for %s seconds after %s failures (%s %s)",
                window,
                limit,
                kind,
                username if kind == "account" else ratelimit.client_network(request),
            )


def record_success(username):
    """Forget the failures counted against an account once its owner has signed in."""
    for kind, _limit, digest in _subjects(username, None):
        cache.delete(_failures_key(kind, digest))


def allow_password_reset(email, request):
    """Count a password-reset request against its network and its mailbox; False when either
    is over its limit (``ADMIN_PASSWORD_RESET_LIMIT_PER_IP`` / ``_PER_ADDRESS``)."""
    allowed = True
    network = ratelimit.client_network(request)
    if network:
        limit, window = settings.ADMIN_PASSWORD_RESET_LIMIT_PER_IP
        allowed &= ratelimit.allow(
            f"password-reset:network:{ratelimit.hashed(network)}",
            limit,
            window,
            when_unavailable=ratelimit.REFUSE,
        )
    limit, window = settings.ADMIN_PASSWORD_RESET_LIMIT_PER_ADDRESS
    allowed &= ratelimit.allow(
        f"password-reset:address:{ratelimit.hashed(ratelimit.mailbox(email))}",
        limit,
        window,
        when_unavailable=ratelimit.REFUSE,
    )
    return allowed


def count_failed_sign_in(sender, credentials, request=None, **kwargs):
    """``user_login_failed``: count the failure (the password itself is never seen here)."""
    record_failure(credentials.get(get_user_model().USERNAME_FIELD), request)


def forget_failures_on_sign_in(sender, request, user, **kwargs):
    """``user_logged_in``: the account's owner is in, so its earlier failures are forgotten."""
    record_success(user.get_username())
