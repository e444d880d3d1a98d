"""An import as a background task working on an ``ImportRun``, and the functions that start
one (``actions.StartImport`` from the admin) or run one from the command line; the task
that brings Wagtail's indexes up to date after each batch of an import (``indexing``); and
the task that builds the admin's export (``export_runs``).

``start_import()`` keeps the uploaded files in a private folder of their own under
``TRANSFER_UPLOAD_DIR`` (never under ``MEDIA_ROOT``, so never served), records the run as
queued and enqueues ``import_task`` once that is committed. The task claims the run with a
conditional update (queued to running), so a task delivered twice runs the import once;
runs the importer through ``importing.run_import``; records its progress at most
``PROGRESS_SECONDS`` apart; saves the report, or the error that stopped it with nothing
changed; and deletes the uploaded files whatever happened.

A dry run works inside one transaction that is rolled back, so its progress cannot be
written to its row (no other connection would see it before the end, and the end undoes
it): it is kept in the cache instead, where ``progress_of()`` finds it.
"""

import logging
import re
import shutil
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from masthead.transfer import export_runs, importing, indexing
from masthead.transfer.models import ImportRun

logger = logging.getLogger(__name__)

# The row (or the cache) is written at most this often while an import runs.
PROGRESS_SECONDS = 0.3
PROGRESS_CACHE_SECONDS = 24 * 3600
NAME_LENGTH = 100

IMPORT_PERMISSION = "transfer.add_importrun"
START_LOG_ACTION = "transfer.import_started"
LOG_ACTIONS = ((START_LOG_ACTION, _("Start an import"), _("Import started")),)


def upload_root():
    return Path(settings.TRANSFER_UPLOAD_DIR).resolve()


def safe_name(name, taken=()):
    """A file name that is safe to keep on disk: no folders, only letters, digits, dots,
    dashes and underscores, short enough, never hidden, not one already ``taken``."""
    name = Path(str(name).replace("\\", "/")).name.strip().replace(" ", "_")
    name = re.sub(r"[^-\w.]", "", name, flags=re.ASCII).lstrip(".") or "upload"
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    suffix = suffix[:20]
    stem = stem[: NAME_LENGTH - len(suffix) - 1] or "upload"
    candidate = f"{stem}.{suffix}" if suffix else stem
    number = 1
    while candidate in taken:
        number += 1
        candidate = f"{stem}-{number}.{suffix}" if suffix else f"{stem}-{number}"
    return candidate


def store_uploads(files):
    """Copy uploaded files into a new private folder; returns the folder and the names kept,
    in the order given."""
    folder = upload_root() / uuid.uuid4().hex
    folder.mkdir(parents=True, mode=0o700)
    names = []
    for upload in files:
        name = safe_name(upload.name, taken=names)
        with open(folder / name, "xb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        names.append(name)
    return folder, names


def start_import(kind, files, *, options=None, dry_run=False, user=None):
    """Keep the uploaded ``files``, record a queued run and enqueue it after the commit."""
    folder, names = store_uploads(files)
    try:
        with transaction.atomic():
            run = ImportRun.objects.create(
                kind=kind,
                filename=", ".join(upload.name for upload in files)[:255],
                path=str(folder),
                dry_run=dry_run,
                options={**(options or {}), "_files": names},
                created_by=user,
            )
            transaction.on_commit(lambda: import_task.enqueue(run.pk))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return run


def importer_options(run):
    """The run's options as the importer takes them (without the file list kept with them)."""
    return {key: value for key, value in run.options.items() if key != "_files"}


def run_files(run):
    folder = Path(run.path)
    return [folder / name for name in run.options.get("_files", [])]


def _progress_key(run_id):
    return f"transfer:import-progress:{run_id}"


class ProgressRecorder:
    """``progress(done, total)`` for ``run_import``: writes the run's row (a dry run's goes
    to the cache), at most every ``PROGRESS_SECONDS``."""

    def __init__(self, run_id, *, dry_run=False, echo=None):
        self.run_id = run_id
        self.dry_run = dry_run
        self.echo = echo
        self.last = 0.0

    def __call__(self, done, total):
        now = time.monotonic()
        if done < total and now - self.last < PROGRESS_SECONDS:
            return
        self.last = now
        if self.echo:
            self.echo(done, total)
        if self.dry_run:
            cache.set(_progress_key(self.run_id), (done, total), PROGRESS_CACHE_SECONDS)
        else:
            ImportRun.objects.filter(pk=self.run_id).update(done=done, total=total)


def progress_of(run):
    """(done, total) of ``run`` as far as anyone can see it now."""
    if run.status == ImportRun.Status.RUNNING and run.dry_run:
        return cache.get(_progress_key(run.pk)) or (run.done, run.total)
    return run.done, run.total


def execute(run, paths, *, echo=None):
    """Run the import ``run`` describes on ``paths``, recording its progress and outcome on
    the run. Returns the report, or None when the import failed (``run.error`` says why)."""
    now = timezone.now()
    ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.RUNNING, started_at=now)
    run.status, run.started_at = ImportRun.Status.RUNNING, now
    report = None
    try:
        report = importing.run_import(
            run.kind,
            paths,
            options=importer_options(run),
            dry_run=run.dry_run,
            progress=ProgressRecorder(run.pk, dry_run=run.dry_run, echo=echo),
        )
    except importing.ImportFileError as error:
        run.status, run.error = ImportRun.Status.FAILED, str(error)
    except Exception as error:
        logger.exception("Import %s stopped by an unexpected error", run.pk)
        run.status = ImportRun.Status.FAILED
        run.error = f"The import stopped on an unexpected error ({type(error).__name__}: {error})."
    else:
        run.status, run.report = ImportRun.Status.DONE, report.as_dict()
    run.finished_at = timezone.now()
    run.refresh_from_db(fields=["done", "total"])
    progress = cache.get(_progress_key(run.pk))
    if progress:
        run.done, run.total = progress
        cache.delete(_progress_key(run.pk))
    if run.status == ImportRun.Status.DONE:
        run.done = run.total = max(run.total, run.done)
    run.save(update_fields=["status", "error", "report", "finished_at", "done", "total"])
    return report


def discard_files(run):
    """Delete the run's uploaded files (only ever a folder inside ``TRANSFER_UPLOAD_DIR``)."""
    if not run.path:
        return
    folder = Path(run.path).resolve()
    if folder.parent == upload_root():
        shutil.rmtree(folder, ignore_errors=True)
    ImportRun.objects.filter(pk=run.pk).update(path="")
    run.path = ""


@task()
def import_task(run_id):
    """Run a queued import from the admin, then delete its uploaded files."""
    claimed = ImportRun.objects.filter(pk=run_id, status=ImportRun.Status.QUEUED).update(
        status=ImportRun.Status.RUNNING
    )
    if not claimed:
        return "not queued"
    run = ImportRun.objects.get(pk=run_id)
    try:
        paths = run_files(run)
        missing = [path.name for path in paths if not path.is_file()]
        if missing or not paths:
            run.status = ImportRun.Status.FAILED
            run.error = "The uploaded file is no longer there: " + ", ".join(missing or ["?"])
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "error", "finished_at"])
        else:
            execute(run, paths)
    finally:
        discard_files(run)
    return run.status


@task()
def update_indexes_task(referenced, searched):
    """Update Wagtail's reference and search indexes for what one batch of an import saved
    (``indexing.update_indexes``)."""
    indexing.update_indexes(referenced, searched)


def request_export(user):
    """Queue a new export for ``user`` (see ``export_runs.queue_export``) and enqueue its
    task after the commit. Raises ``export_runs.ExportBusy``."""
    export_runs.queue_export(user)
    transaction.on_commit(lambda: build_export_task.enqueue())


@task()
def build_export_task():
    """Build the export an Administrator asked for in the admin."""
    return export_runs.build_export()
