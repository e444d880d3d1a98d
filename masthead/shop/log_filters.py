"""The Printful webhook's secret never reaches a log line.

Printful v1 signs nothing, so the secret is the last part of the webhook's address
(/shop/webhooks/printful/<PRINTFUL_WEBHOOK_SECRET>/), and Django writes that address to its
logs: every answer of 400 or more ("Bad Request: /shop/webhooks/printful/..."), every
error report, and each request under the development server. ``HidePrintfulSecret`` is put
on those loggers by the shop's wiring, so whatever handler they reach (the console, an
email to the admins) gets the address with the secret replaced. nginx's access log is kept
from it by its own ``location`` (see the README's Security section).
"""

import logging
import re

from masthead.core.error_reports import MaskingLogFilter

MASK = "********"
# The webhook's path segment after /webhooks/printful/, wherever the shop is mounted.
_WEBHOOK_SECRET = re.compile(r"(/webhooks/printful/)[^/\s?#\"']+")
# Django's loggers that write a request's path.
REQUEST_LOGGERS = ("django.request", "django.server")


def hide_secret(text):
    """``text`` with the Printful webhook address's secret replaced by asterisks."""
    return _WEBHOOK_SECRET.sub(lambda match: f"{match[1]}{MASK}", text)


class HidePrintfulSecret(MaskingLogFilter):
    """Rewrites a log record so that the Printful webhook's secret is in neither its message
    nor its traceback."""

    mask = staticmethod(hide_secret)


def hide_secret_from_request_logs():
    """Put HidePrintfulSecret on Django's request loggers (once)."""
    for name in REQUEST_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, HidePrintfulSecret) for existing in logger.filters):
            logger.addFilter(HidePrintfulSecret())
