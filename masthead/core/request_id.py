"""One id per request, in every log line written while it is served, in the error email it
causes and in the ``X-Request-ID`` response header, so a reader's "it broke at 14:02" and a
traceback in the admins' mailbox can be matched to every line about the same request.

nginx makes the id (``proxy_set_header X-Request-ID $request_id;``) so that its own access
log carries it too; an incoming id is kept only when it looks like one (letters, digits and
``-._``, at most 64 characters), since it is written into logs and headers as it is. Without
one, the middleware makes its own. The id lives in a context variable for as long as the
request is served: logging filters and the error reporter read it from there, and nothing
has to pass it along.
"""

import contextvars
import logging
import os
import random
import re

from django.views.debug import ExceptionReporter

HEADER = "X-Request-ID"
META_KEY = "HTTP_X_REQUEST_ID"
# nginx's $request_id is 32 hexadecimal digits; other proxies use UUIDs or similar tokens.
ACCEPTED_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

_current = contextvars.ContextVar("masthead_request_id", default=None)


def current_request_id():
    """The id of the request being served in this thread, or None outside a request."""
    return _current.get()


# Ids need to be unique, not secret: a generator seeded once per process makes them without
# a system call per request (os.urandom, which uuid4 calls, is slow in some sandboxes).
# Reseeded in each forked worker, which would otherwise repeat its parent's sequence.
_random = random.Random()  # noqa: S311 - unique, not secret
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_random.seed)


def new_request_id():
    """A fresh id, shaped like nginx's: 32 hexadecimal digits."""
    return f"{_random.getrandbits(128):032x}"


def incoming_request_id(request):
    """The id the proxy in front sent, when it is one we can write into logs as it is."""
    value = request.META.get(META_KEY, "")
    return value if ACCEPTED_ID.fullmatch(value) else None


class RequestIdMiddleware:
    """Give each request its id, for everything that runs while it is served.

    First in MIDDLEWARE, so that the lines logged by every other middleware (and a page
    served from the cache) carry it, and the header is on every response.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = incoming_request_id(request) or new_request_id()
        request.request_id = request_id
        token = _current.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            # gunicorn's threads serve one request after another: none inherits the last id.
            _current.reset(token)
        response[HEADER] = request_id
        return response


class RequestIdLogFilter(logging.Filter):
    """Puts ``request_id`` on every record (None outside a request), for formatters.

    Django logs a 4xx or 5xx answer ("Not Found: /x") after the whole middleware chain has
    returned, when the context variable is already reset; that record carries the request
    itself, whose id is used then.
    """

    def filter(self, record):
        if getattr(record, "request_id", None) is None:
            request = getattr(record, "request", None)
            record.request_id = getattr(request, "request_id", None) or current_request_id()
        return True


def reported_request_id(request):
    """The id of the request an error report is about: the request's own, else the one
    being served (the report is written while it is)."""
    return getattr(request, "request_id", None) or current_request_id()


class RequestIdExceptionReporter(ExceptionReporter):
    """Django's plain-text error report (the admins' error email) with the request id on
    its first line, to search the logs for everything else that request did."""

    def get_traceback_text(self):
        text = super().get_traceback_text()
        request_id = reported_request_id(self.request)
        return f"Request ID: {request_id}\n\n{text}" if request_id else text
