"""How log lines are written: plain text by default, one JSON object per line with
``LOG_FORMAT=json`` for a log collector (Loki, Elasticsearch, journald's JSON readers).

Both carry the request id (``masthead.core.request_id``) of the request a line was written
for. The JSON line holds ``time`` (UTC, ISO 8601 with milliseconds), ``level``, ``logger``,
``message``, ``request_id`` (null outside a request) and, when there is one, ``exception``
(the traceback as text) and ``stack``; a record's HTTP ``status_code`` (Django's request
logger gives one) is kept too. A line never spans two lines: JSON escapes the newlines of
a traceback.

A filter that rewrote the traceback (``MaskCredentialsLogFilter`` hides URL passwords) left
it in ``record.exc_text``; both formatters write that text rather than formatting the
exception again.
"""

import datetime
import json
import logging


def _exception_text(formatter, record):
    if record.exc_info and not record.exc_text:
        record.exc_text = formatter.formatException(record.exc_info)
    return record.exc_text or None


class TextFormatter(logging.Formatter):
    """The message, after the request id in brackets when there is one."""

    def format(self, record):
        text = super().format(record)
        request_id = getattr(record, "request_id", None)
        return f"[{request_id}] {text}" if request_id else text


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record):
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        status_code = getattr(record, "status_code", None)
        if isinstance(status_code, int):
            entry["status_code"] = status_code
        exception = _exception_text(self, record)
        if exception:
            entry["exception"] = exception
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # default=str: a message is already text, but a library may log odd objects in
        # what it adds; a log line must never fail to be written.
        return json.dumps(entry, ensure_ascii=False, default=str)


FORMATTERS = {"text": TextFormatter, "json": JsonFormatter}
