"""Credentials never reach an error report or a log line.

Connection strings carry passwords (``DATABASE_URL=postgres://masthead:secret@db/...``,
``EMAIL_URL``, ``CACHE_URL``, ``NEWSLETTER_EMAIL_URL``), and Django's error reports show
every setting and, under some servers, the process environment; a library's exception
message may quote the URL it failed to reach. Django's own filter hides settings whose
*names* look secret (KEY, PASS, TOKEN...), which misses a password inside a URL; these hide
it wherever it stands.
"""

import logging
import re

from django.views.debug import SafeExceptionReporterFilter

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
