"""A reader's data rights: a copy of everything held about them, and erasure.

Both are requests in the register (``DataRequest``), due a month after they arrive, carried
out by a task that is given the request's id and nothing else (so no address sits in the
task queue), and answered the same way whether the reader asked or an editor asked for them.

**The copy** (UK GDPR articles 15 and 20) is one ZIP: ``data.json`` with every app's share
keyed by its name, a CSV per table for spreadsheets (cells defused against formulas), and a
README. It is written under READERS_EXPORT_DIR, a private directory never served by the web
server, under a random name. A reader's copy is reached only by the emailed link: a random
token whose SHA-256 alone is stored, good for READERS_EXPORT_DAYS; then the file is deleted
(``retention``). A copy made by an editor is downloaded by an editor in the admin.

**Erasure** (article 17) first asks every app whether something must happen elsewhere
(``prepare_erasure``: cancelling a monthly gift at the payment provider). If any app cannot
do it now, the request waits, with the reason, and is retried by a periodic job; nothing has
been erased. Then, in one transaction, every app erases or anonymises its rows, the readers
app last (the Reader, their browsers and sign-ins, the address in the register), followed by
the traces no app owns (``reader_data.erase_traces``).

This module does the work; ``tasks`` queues it.
"""

import csv
import hashlib
import io
import json
import logging
import secrets
import zipfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from masthead.core.actions import audit_log
from masthead.core.emails import send_transactional_email
from masthead.core.exports import spreadsheet_safe
from masthead.core.sites import outlet_name
from masthead.readers import identity, registry
from masthead.readers.models import DataRequest

logger = logging.getLogger(__name__)

# Erasures in Wagtail's audit log (the admin's Logs report), with no user: a reader asking for
# their own (an editor's request on a reader's behalf is logged by ``actions``), and
# every erasure once it is carried out. An entry names the request, never the address.
ERASURE_REQUESTED_LOG_ACTION = "readers.erasure_requested"
ERASED_LOG_ACTION = "readers.erased"
LOG_ACTIONS = (
    (
        ERASURE_REQUESTED_LOG_ACTION,
        gettext_lazy("A reader asks for their erasure"),
        gettext_lazy("Erasure asked for by the reader"),
    ),
    (ERASED_LOG_ACTION, gettext_lazy("Erase a reader"), gettext_lazy("Reader erased")),
)

README_TEXT = """A copy of the personal data {outlet} holds about {email}
Made on {made} (UTC).

data.json  Everything, as one JSON document: one section per part of the site
           (your account, newsletters, support, orders...), each holding its tables,
           each table a list of records.
csv/       The same tables as CSV files, one per table, for a spreadsheet. A cell that
           would start with = + - or @ starts with an apostrophe, so that a spreadsheet
           shows it rather than running it.

Dates and times are in UTC (ISO 8601). Amounts of money are in minor units (pence,
cents) with their currency.
"""


class LinkNotFound(Exception):
    """No copy is reached by this link."""


class LinkExpired(Exception):
    """The link was good but its copy is gone (expired or deleted)."""


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


# --- The register ---------------------------------------------------------------------------


def open_request(reader, kind, *, requested_by=None):
    """A new request in the register about ``reader`` (saved or transient), due in
    READERS_REQUEST_DUE_DAYS. A reader's own request for erasure is written to the audit
    log."""
    data_request = DataRequest.objects.create(
        kind=kind,
        reader=reader if reader.pk else None,
        email=reader.email,
        address_hash=identity.address_hash(reader.email),
        requested_by=requested_by,
        due_at=timezone.now() + timedelta(days=settings.READERS_REQUEST_DUE_DAYS),
    )
    if kind == DataRequest.Kind.ERASURE and requested_by is None:
        audit_log(data_request, ERASURE_REQUESTED_LOG_ACTION, None, {"request": data_request.pk})
    return data_request


def reader_for(data_request):
    """The reader a request is about: their Reader, or a transient one for the address."""
    if data_request.reader_id:
        return data_request.reader
    return identity.transient(data_request.email)


def is_overdue(data_request, now=None):
    return data_request.completed_at is None and data_request.due_at < (now or timezone.now())


def _failed(data_request, error):
    """Record that a request failed: the error's kind only (its message may hold the
    address); the traceback goes to the server's log."""
    logger.exception("Data request %s failed", data_request.pk)
    DataRequest.objects.filter(pk=data_request.pk).update(
        status=DataRequest.Status.FAILED,
        detail_kind=DataRequest.DetailKind.FAILED,
        detail_parameters={"error": type(error).__name__},
    )


# --- The copy -----------------------------------------------------------------------------------


def gather(reader):
    """``{share name: {table: [row, ...]}}`` from every app's share."""
    return {share.name: share.export(reader) for share in registry.personal_data()}


@dataclass(frozen=True)
class TableSummary:
    name: str
    rows: list

    @property
    def count(self):
        return len(self.rows)


@dataclass(frozen=True)
class ShareSummary:
    name: str
    title: str
    tables: list

    @property
    def count(self):
        return sum(table.count for table in self.tables)


def held(reader):
    """What each app holds about ``reader``, for the editors' search."""
    return [
        ShareSummary(
            name=share.name,
            title=str(share.title),
            tables=[TableSummary(name, list(rows)) for name, rows in share.export(reader).items()],
        )
        for share in registry.personal_data()
    ]


def export_dir():
    path = Path(settings.READERS_EXPORT_DIR)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def export_path(data_request):
    return export_dir() / data_request.file_name


def _csv(rows):
    columns = []
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(
            [
                spreadsheet_safe(
                    json.dumps(value, cls=DjangoJSONEncoder)
                    if isinstance(value, dict | list)
                    else value
                )
                for value in (row.get(column) for column in columns)
            ]
        )
    return buffer.getvalue()


def write_zip(path, reader, data):
    """Write the copy to ``path`` (under a temporary name, renamed when complete)."""
    partial = path.with_suffix(".partial")
    readme = README_TEXT.format(
        outlet=outlet_name(),
        email=reader.email,
        made=timezone.now().strftime("%Y-%m-%d %H:%M"),
    )
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", readme)
        archive.writestr("data.json", json.dumps(data, cls=DjangoJSONEncoder, indent=2))
        for share_name, tables in data.items():
            for table, rows in tables.items():
                archive.writestr(f"csv/{share_name}-{table}.csv", _csv(rows))
    partial.chmod(0o600)
    partial.rename(path)


def download_url(token):
    return settings.SITE_URL.rstrip("/") + reverse("readers:data_download", args=[token])


def build_export(request_id):
    """Make the copy a request asks for; email the reader their link (unless an editor
    asked: the editor downloads it in the admin). Returns the link's token, or None when
    there is nothing to do (already built, or not an export). Safe to run twice."""
    data_request = DataRequest.objects.filter(pk=request_id, kind=DataRequest.Kind.EXPORT).first()
    startable = (DataRequest.Status.RECEIVED, DataRequest.Status.FAILED)
    if data_request is None or data_request.file_name or data_request.status not in startable:
        return None
    reader = reader_for(data_request)
    try:
        data = gather(reader)
        name = f"reader-data-{data_request.pk}-{secrets.token_hex(12)}.zip"
        write_zip(export_dir() / name, reader, data)
    except Exception as error:
        _failed(data_request, error)
        raise
    expires = timezone.now() + timedelta(days=settings.READERS_EXPORT_DAYS)
    by_editor = data_request.requested_by_id is not None
    token = None if by_editor else secrets.token_urlsafe(32)
    DataRequest.objects.filter(pk=data_request.pk).update(
        status=DataRequest.Status.RECEIVED,
        detail_kind=DataRequest.DetailKind.NONE,
        detail_parameters={},
        file_name=name,
        download_hash=_hash(token) if token else "",
        download_expires_at=expires,
    )
    if token:
        send_transactional_email(
            "readers/email/data_export_ready",
            _("Your data is ready to download"),
            data_request.email,
            {"download_url": download_url(token), "expires": expires},
        )
    return token


def export_for_token(token):
    """The export request a download link reaches; LinkNotFound or LinkExpired otherwise."""
    if not token:
        raise LinkNotFound
    data_request = DataRequest.objects.filter(
        kind=DataRequest.Kind.EXPORT, download_hash=_hash(token)
    ).first()
    if data_request is None:
        raise LinkNotFound
    return ready_export(data_request)


def ready_export(data_request):
    """``data_request`` if its file can be downloaded now; LinkExpired otherwise."""
    if (
        not data_request.file_name
        or data_request.download_expires_at is None
        or data_request.download_expires_at <= timezone.now()
        or not export_path(data_request).is_file()
    ):
        raise LinkExpired
    return data_request


def mark_downloaded(data_request):
    """The copy reached its reader (or the editor who asked): the request is answered."""
    DataRequest.objects.filter(pk=data_request.pk, completed_at__isnull=True).update(
        status=DataRequest.Status.DONE, completed_at=timezone.now()
    )


def delete_export_file(data_request):
    """Delete a copy's file and its link (the request stays in the register)."""
    if data_request.file_name:
        export_path(data_request).unlink(missing_ok=True)
    DataRequest.objects.filter(pk=data_request.pk).update(
        file_name="", download_hash="", download_expires_at=None
    )


# --- Erasure ------------------------------------------------------------------------------------


def erasure_order():
    """Every share, the readers app's own last (it deletes the Reader the others link to)."""
    return sorted(registry.personal_data(), key=lambda share: (share.name == "readers",))


def kept():
    """What each app keeps after an erasure and why, for the reader and the README."""
    return [(str(share.title), str(share.kept)) for share in erasure_order() if share.kept]


def _wait(data_request, reason):
    first_time = data_request.status != DataRequest.Status.WAITING
    DataRequest.objects.filter(pk=data_request.pk).update(
        status=DataRequest.Status.WAITING,
        detail_kind=DataRequest.DetailKind.MUST_WAIT,
        detail_parameters=reason.reason,
    )
    logger.warning("Erasure request %s waits: %s", data_request.pk, reason)
    if first_time and data_request.requested_by_id is None and data_request.email:
        address, reason_text = data_request.email, str(reason)
        transaction.on_commit(
            lambda: send_transactional_email(
                "readers/email/data_erasure_waiting",
                _("Your erasure is waiting"),
                address,
                {"reason": reason_text},
            )
        )
    return DataRequest.Status.WAITING


def carry_out_erasure(request_id):
    """Erase the reader a request is about. Returns the request's status afterwards:
    WAITING when an app could not prepare (nothing was erased), DONE when erased."""
    data_request = DataRequest.objects.filter(pk=request_id, kind=DataRequest.Kind.ERASURE).first()
    if data_request is None or data_request.status == DataRequest.Status.DONE:
        return data_request and data_request.status
    reader = reader_for(data_request)
    try:
        for share in erasure_order():
            share.prepare_erasure(reader)
    except registry.ErasureMustWait as reason:
        return _wait(data_request, reason)
    address, by_editor = data_request.email, data_request.requested_by_id is not None
    try:
        with transaction.atomic():
            locked = DataRequest.objects.select_for_update().get(pk=data_request.pk)
            if locked.status == DataRequest.Status.DONE:
                return locked.status
            for share in erasure_order():
                share.erase(reader)
            DataRequest.objects.filter(pk=data_request.pk).update(
                status=DataRequest.Status.DONE,
                completed_at=timezone.now(),
                detail_kind=DataRequest.DetailKind.NONE,
                detail_parameters={},
                email="",
            )
            audit_log(
                locked,
                ERASED_LOG_ACTION,
                None,
                {"request": locked.pk, "asked_by": "editor" if by_editor else "reader"},
            )
    except registry.ErasureMustWait as reason:
        # An app found, while erasing, that it must wait after all: nothing was erased.
        return _wait(data_request, reason)
    except Exception as error:
        _failed(data_request, error)
        raise
    logger.info("Erasure request %s done", data_request.pk)
    if address and not by_editor:
        send_transactional_email(
            "readers/email/data_erased", _("Your account is erased"), address, {}
        )
    return DataRequest.Status.DONE
