"""The admin's export: one archive at a time, built by a background task
(``tasks.build_export_task``), kept privately
for Administrators to download, and deleted after ``TRANSFER_EXPORT_KEEP_HOURS`` or when a
newer one is made.

Its state lives in a small JSON file beside the archive (``ADMIN_FOLDER/state.json``), not
in the cache, so every web process and the worker see the same thing (``ExportStatus``):
``queued`` when an Administrator asks, ``running`` with its progress while the task works
(the task claims the export by moving it from queued to running under a file lock, so a
task delivered twice builds it once), then ``done`` with the archive's name, or ``failed``
with the reason.
The folder is under ``TRANSFER_EXPORT_DIR``, never under ``MEDIA_ROOT``: only the download
view, which checks the permission, ever serves the archive.
"""

import fcntl
import json
import logging
import os
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from masthead.core.actions import audit_log, concrete
from masthead.transfer.export import create_export, default_name

logger = logging.getLogger(__name__)

STATE_NAME = "state.json"
LOCK_NAME = ".lock"
PROGRESS_SECONDS = 0.5
# A running export whose state has not moved for this long is taken to have died with its
# worker, so a new one may be started.
STALE_SECONDS = 3600

# The archive holds every subscriber, donor and customer: starting one and taking it away are
# written to Wagtail's audit log against the Administrator who did it.
STARTED_LOG_ACTION = "transfer.export_started"
DOWNLOADED_LOG_ACTION = "transfer.export_downloaded"
LOG_ACTIONS = (
    (STARTED_LOG_ACTION, _("Start an export of everything"), _("Export of everything started")),
    (
        DOWNLOADED_LOG_ACTION,
        _("Download the export of everything"),
        _("Export of everything downloaded"),
    ),
)


class ExportStatus(TextChoices):
    """Where the export stands, as written to its state file."""

    NONE = "none", _("None")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


def admin_folder():
    return Path(settings.TRANSFER_EXPORT_DIR) / "admin"


@contextmanager
def _locked():
    folder = admin_folder()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(folder / LOCK_NAME, "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield folder
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _now():
    return datetime.now(UTC)


def read_state():
    """The export's state: a dict with ``status`` ("none", "queued", "running", "done" or
    "failed"), ``done`` and ``total``, ``file``, ``error``, ``requested_by``, and times."""
    path = admin_folder() / STATE_NAME
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {"status": ExportStatus.NONE}
    return state if isinstance(state, dict) else {"status": ExportStatus.NONE}


def _write_state(folder, state):
    partial = folder / f".{STATE_NAME}.partial"
    partial.write_text(json.dumps(state), encoding="utf-8")
    os.replace(partial, folder / STATE_NAME)


def is_busy(state):
    if state.get("status") not in (ExportStatus.QUEUED, ExportStatus.RUNNING):
        return False
    updated = datetime.fromisoformat(state.get("updated_at", "1970-01-01T00:00:00+00:00"))
    return _now() - updated < timedelta(seconds=STALE_SECONDS)


def archive_path(state=None):
    """The finished archive's path, or None (never a path outside the admin folder)."""
    state = state or read_state()
    name = state.get("file")
    if state.get("status") != ExportStatus.DONE or not name or Path(name).name != name:
        return None
    path = admin_folder() / name
    return path if path.is_file() else None


def prune(now=None):
    """Delete the archive once it is older than TRANSFER_EXPORT_KEEP_HOURS; returns whether
    it did. Called whenever the export page is opened and before each new export."""
    now = now or _now()
    with _locked() as folder:
        state = read_state()
        finished = state.get("finished_at")
        if state.get("status") != ExportStatus.DONE or not finished:
            return False
        age = now - datetime.fromisoformat(finished)
        if age < timedelta(hours=settings.TRANSFER_EXPORT_KEEP_HOURS):
            return False
        _delete_archives(folder)
        _write_state(
            folder, {"status": ExportStatus.NONE, "updated_at": now.isoformat(), "expired": True}
        )
        return True


def _delete_archives(folder, keep=None):
    for path in folder.iterdir():
        if path.name in (STATE_NAME, LOCK_NAME) or path.name == keep:
            continue
        if path.is_file():
            path.unlink(missing_ok=True)


class ExportBusy(Exception):
    """An export is already queued or running."""


def queue_export(user):
    """Record a new export as queued for ``user`` (an Administrator: the view checks) and
    write it to the audit log; ``tasks.request_export`` enqueues its task. The previous
    archive is deleted now. Raises ExportBusy."""
    with _locked() as folder:
        state = read_state()
        if is_busy(state):
            raise ExportBusy
        _delete_archives(folder)
        now = _now().isoformat()
        _write_state(
            folder,
            {
                "status": ExportStatus.QUEUED,
                "requested_by": user.get_username() if user else "",
                "requested_at": now,
                "updated_at": now,
                "done": 0,
                "total": 0,
            },
        )
    _log(user, STARTED_LOG_ACTION, {"requested_at": now})


def record_download(user, path):
    """The archive at ``path`` is being handed to ``user``: write it to the audit log."""
    _log(user, DOWNLOADED_LOG_ACTION, {"file": path.name})


def _log(user, action, data):
    administrator = concrete(user)
    if administrator is None or not administrator.is_authenticated:
        return
    audit_log(administrator, action, administrator, data)


def _claim():
    with _locked() as folder:
        state = read_state()
        if state.get("status") != ExportStatus.QUEUED:
            return None
        state.update(
            status=ExportStatus.RUNNING,
            started_at=_now().isoformat(),
            updated_at=_now().isoformat(),
        )
        _write_state(folder, state)
        return state


def build_export():
    """Build the queued export (see the module's docstring); returns its final status."""
    state = _claim()
    if state is None:
        return "not queued"
    folder = admin_folder()
    last = 0.0

    def progress(done, total):
        nonlocal last
        if done < total and time.monotonic() - last < PROGRESS_SECONDS:
            return
        last = time.monotonic()
        with _locked() as locked:
            state.update(done=done, total=total, updated_at=_now().isoformat())
            _write_state(locked, state)

    name = default_name()
    try:
        result = create_export(folder / name, progress=progress)
    except Exception as error:  # any failure is shown on the page with its reason
        logger.exception("The admin's export failed")
        state.update(status=ExportStatus.FAILED, error=f"{type(error).__name__}: {error}")
    else:
        state.update(
            status=ExportStatus.DONE,
            file=result.path.name,
            size=result.path.stat().st_size,
            missing_media=result.missing_media,
        )
    finished = _now().isoformat()
    state.update(finished_at=finished, updated_at=finished)
    with _locked() as locked:
        _delete_archives(locked, keep=state.get("file"))
        _write_state(locked, state)
    return state["status"]
