"""Credentials never reach an error report or a log line.

Connection strings carry passwords (``DATABASE_URL=postgres://masthead:secret@db/...``,
``EMAIL_URL``, ``CACHE_URL``, ``NEWSLETTER_EMAIL_URL``), and Django's error reports show
every setting and, under some servers, the process environment; a library's exception
message may quote the URL it failed to reach. Django's own filter hides settings whose
*names* look secret (KEY, PASS, TOKEN...), which misses a password inside a URL; these hide
it wherever it stands.
"""

import hashlib
import logging
import re
import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.log import AdminEmailHandler
from django.views.debug import SafeExceptionReporterFilter

from masthead.core import resilient_cache

MASK = "********"
# scheme://user:password@host -> scheme://user:********@host (also a password with no user).
_URL_PASSWORD = re.compile(
    r"(?P<prefix>[a-z][a-z0-9+.-]*://[^/\s:@]*:)(?P<password>[^@\s/]+)@", re.I
)


def mask_url_passwords(text):
    """``text`` with the password of every URL in it replaced by asterisks."""
    return _URL_PASSWORD.sub(lambda match: f"{match['prefix']}{MASK}@", text)


class CredentialsReporterFilter(SafeExceptionReporterFilter):
    """Django's error-report filter, plus passwords inside URLs in settings and request
    metadata (the environment, under servers that copy it there)."""

    def cleanse_setting(self, key, value):
        cleansed = super().cleanse_setting(key, value)
        if isinstance(cleansed, str):
            return mask_url_passwords(cleansed)
        return cleansed


class MaskingLogFilter(logging.Filter):
    """Rewrites a log record through ``mask`` (a function of the text), in its message and
    its traceback, so that no handler writes what ``mask`` hides."""

    @staticmethod
    def mask(text):
        return text

    def filter(self, record):
        message = record.getMessage()
        masked = self.mask(message)
        if masked != message:
            record.msg = masked
            record.args = None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when it is set: the traceback is written masked.
            record.exc_text = self.mask(logging.Formatter().formatException(record.exc_info))
        return True


class MaskCredentialsLogFilter(MaskingLogFilter):
    """No URL password in any log line."""

    mask = staticmethod(mask_url_passwords)


def error_kind(record):
    """What makes two error reports "the same" for the admins: the exception's type and
    the place it was raised (file and line of the innermost frame), or, for an error
    logged without an exception (a 5xx answer), the logger and the message's template,
    not its arguments (which name the path)."""
    if record.exc_info and record.exc_info[0] is not None:
        error_type, _error, traceback = record.exc_info
        while traceback is not None and traceback.tb_next is not None:
            traceback = traceback.tb_next
        place = (
            f"{traceback.tb_frame.f_code.co_filename}:{traceback.tb_lineno}"
            if traceback is not None
            else ""
        )
        return f"{error_type.__module__}.{error_type.__qualname__} at {place}"
    return f"{record.name}: {record.msg} {getattr(record, 'status_code', '')}"


class ThrottledAdminEmailHandler(AdminEmailHandler):
    """Django's error emails to ADMINS, at most one per kind of error (``error_kind``)
    every ``ERROR_EMAIL_INTERVAL_SECONDS``.

    One fault (Redis gone, a bad deploy) fails every request the same way: one email tells
    the admins, a thousand bury it. Every occurrence is still logged. Which kinds were
    emailed lately is kept in the shared cache, so all processes share the allowance; while
    the cache is unreachable, in this process's memory.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._lock = threading.Lock()
        self._emailed_until = {}

    def emit(self, record):
        if self.is_first_of_its_kind(error_kind(record)):
            super().emit(record)

    def is_first_of_its_kind(self, kind):
        """True for the first report of ``kind`` in the current interval (and counts it)."""
        seconds = settings.ERROR_EMAIL_INTERVAL_SECONDS
        if seconds <= 0:
            return True
        digest = hashlib.blake2b(kind.encode(), digest_size=16).hexdigest()
        try:
            with resilient_cache.strict():
                return cache.add(f"masthead:error-email:{digest}", 1, timeout=seconds)
        except Exception:
            # The cache is down (or failing in a way that is itself being reported):
            # fall back to this process's memory rather than email on every request.
            return self._first_in_memory(digest, seconds)

    def _first_in_memory(self, digest, seconds):
        now = time.monotonic()
        with self._lock:
            if self._emailed_until.get(digest, 0) > now:
                return False
            self._emailed_until = {k: v for k, v in self._emailed_until.items() if v > now}
            self._emailed_until[digest] = now + seconds
            return True
