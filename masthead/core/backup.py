"""Backups of a whole outlet, and their restore, without knowing any app.

One archive (``.tar.gz``, or ``.zip`` when the path asks for it) holds:

- ``database.sqlite3`` (SQLite's online backup API: a consistent copy while the site runs)
  or ``database.pgdump`` (``pg_dump --format=custom``, one consistent snapshot);
- ``media/...``: every file under MEDIA_ROOT, unless media live in an object store (S3), in
  which case the manifest only says where they are;
- ``manifest.json``, written last: Masthead's, Django's and Wagtail's versions, the database
  vendor, the applied migrations, when it was made, and each file's size and SHA-256.

With BACKUP_S3_BUCKET set, each archive in BACKUP_DIR is uploaded to that bucket as well
(``masthead.core.backup_offsite``), so a lost disk does not take the backups with it.

An archive is written under a temporary name and renamed when complete, so retention and
restore never see half an archive.
"""

import hashlib
import io
import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connection, connections
from django.db.migrations.recorder import MigrationRecorder
from wagtail.models import Page, Revision

from masthead.core import backup_offsite
from masthead.core.cache import invalidate_pages

logger = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1
SQLITE_DUMP_NAME = "database.sqlite3"
POSTGRES_DUMP_NAME = "database.pgdump"
MEDIA_PREFIX = "media/"
ARCHIVE_PATTERN = re.compile(r"^masthead-\d{8}-\d{6}(-\d+)?\.(tar\.gz|zip)$")
CHUNK_SIZE = 1024 * 1024
# pg_dump and pg_restore must finish within this time (a very large outlet may raise it).
DATABASE_TOOL_TIMEOUT_SECONDS = 6 * 3600


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is one line for the operator."""


@dataclass(frozen=True)
class RestoreResult:
    """What a restore did, for the command's summary line."""

    vendor: str
    created: str
    media_files: int


# --- Writing ------------------------------------------------------------------------------------


class _HashingReader:
    """A file wrapper that hashes what is read through it, so each file is read only once."""

    def __init__(self, file):
        self.file = file
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size=-1):
        data = self.file.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data


class _ArchiveWriter:
    """Adds files to a tar.gz or zip archive and records their checksums."""

    def __init__(self, path, *, zip_archive):
        self.zip = zip_archive
        if zip_archive:
            self.archive = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED)
        else:
            self.archive = tarfile.open(path, "w:gz")  # noqa: SIM115 - closed in close()
        self.files = {}

    def add_file(self, source, name):
        with open(source, "rb") as file:
            reader = _HashingReader(file)
            if self.zip:
                with self.archive.open(name, "w", force_zip64=True) as target:
                    shutil.copyfileobj(reader, target, CHUNK_SIZE)
            else:
                info = tarfile.TarInfo(name)
                info.size = os.fstat(file.fileno()).st_size
                info.mtime = int(os.fstat(file.fileno()).st_mtime)
                info.mode = 0o644
                self.archive.addfile(info, reader)
        self.files[name] = {"size": reader.size, "sha256": reader.digest.hexdigest()}

    def add_bytes(self, data, name):
        if self.zip:
            self.archive.writestr(name, data)
        else:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = int(time.time())
            info.mode = 0o644
            self.archive.addfile(info, io.BytesIO(data))

    def close(self):
        self.archive.close()


def _database_settings():
    return connections["default"].settings_dict


def _postgres_environment():
    """pg_dump's and pg_restore's connection, from DATABASES, through libpq's variables (so
    the password never appears in a process list)."""
    database = _database_settings()
    environment = dict(os.environ)
    values = {
        "PGDATABASE": database["NAME"],
        "PGUSER": database.get("USER"),
        "PGPASSWORD": database.get("PASSWORD"),
        "PGHOST": database.get("HOST"),
        "PGPORT": str(database.get("PORT") or ""),
        "PGSSLMODE": database.get("OPTIONS", {}).get("sslmode"),
    }
    environment.update({key: value for key, value in values.items() if value})
    return environment


def _postgres_tool(name):
    """The pg_dump or pg_restore to use: the one of the server's major version where Debian
    installs several side by side, else the one on PATH, which must not be older than the
    server (pg_dump refuses a newer server; a newer pg_dump reads an older one)."""
    with connection.cursor():
        server_major = connection.pg_version // 10000
    versioned = Path(f"/usr/lib/postgresql/{server_major}/bin/{name}")
    if versioned.exists():
        return str(versioned)
    tool = shutil.which(name)
    if not tool:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client).")
    output = subprocess.run(  # noqa: S603 - a fixed argv
        [tool, "--version"], capture_output=True, text=True, check=True
    ).stdout
    tool_major = tool_major_version(output)
    if tool_major is not None and tool_major < server_major:
        raise BackupError(
            f"{tool} is version {tool_major} but the server is PostgreSQL {server_major}; "
            f"install postgresql-client-{server_major}."
        )
    return tool


def tool_major_version(version_output):
    """The major version in ``pg_dump --version``'s answer, e.g. 15 in
    "pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)", or None."""
    match = re.search(r"\)\s*(\d+)", version_output)
    return int(match.group(1)) if match else None


def _run_database_tool(argv):
    result = subprocess.run(  # noqa: S603 - our own argv, no shell
        argv,
        env=_postgres_environment(),
        capture_output=True,
        text=True,
        timeout=DATABASE_TOOL_TIMEOUT_SECONDS,
        check=False,
    )
    if result.returncode != 0:
        message = (result.stderr.strip() or result.stdout.strip()).splitlines()
        raise BackupError(f"{Path(argv[0]).name} failed: {message[-1] if message else ''}")


def _dump_database(directory):
    """A consistent copy of the database in ``directory``; returns (path, archive name)."""
    if connection.vendor == "sqlite":
        target = directory / SQLITE_DUMP_NAME
        source = sqlite3.connect(_database_settings()["NAME"], timeout=20)
        destination = sqlite3.connect(target)
        try:
            with destination:
                source.backup(destination)
        finally:
            destination.close()
            source.close()
        return target, SQLITE_DUMP_NAME
    if connection.vendor == "postgresql":
        target = directory / POSTGRES_DUMP_NAME
        _run_database_tool([_postgres_tool("pg_dump"), "--format=custom", "--file", str(target)])
        return target, POSTGRES_DUMP_NAME
    raise BackupError(f"Backups of a {connection.vendor} database are not supported.")


def media_in_filesystem():
    """Whether media files live under MEDIA_ROOT (rather than in an object store)."""
    return isinstance(default_storage, FileSystemStorage)


def _media_files():
    """Every regular file under MEDIA_ROOT, as (path, path relative to MEDIA_ROOT)."""
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return []
    found = []
    for directory, _subdirectories, names in os.walk(root):
        for name in names:
            path = Path(directory) / name
            if path.is_file() and not path.is_symlink():
                found.append((path, path.relative_to(root).as_posix()))
    return sorted(found, key=lambda item: item[1])


def _applied_migrations():
    recorder = MigrationRecorder(connection)
    return sorted(f"{app}.{name}" for app, name in recorder.applied_migrations())


def _media_manifest():
    if media_in_filesystem():
        return {"included": True}
    storage = settings.STORAGES["default"]
    return {
        "included": False,
        "storage": storage["BACKEND"],
        "bucket": storage.get("OPTIONS", {}).get("bucket_name", ""),
        "note": "Media live in the object store; back them up there (versioning or replication).",
    }


def _destination(path, now, suffix):
    """Where the archive goes: ``path`` as given, or a timestamped name inside it when it is
    a directory, or inside BACKUP_DIR when no path is given."""
    directory = Path(path) if path else Path(settings.BACKUP_DIR)
    if path and not directory.is_dir():
        return directory
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"masthead-{now:%Y%m%d-%H%M%S}"
    # Several archives in one second are numbered after the highest number already there,
    # so a name freed by pruning the oldest archive is never reused for a newer one.
    taken = [
        int(match.group(1) or 0)
        for path in directory.iterdir()
        if (match := re.match(rf"^{stem}(?:-(\d+))?\.(?:tar\.gz|zip)$", path.name))
    ]
    if not taken:
        return directory / f"{stem}{suffix}"
    return directory / f"{stem}-{max(taken) + 1}{suffix}"


def create_backup(path=None, archive_format="tar.gz"):
    """Write one archive of the database and the media files, and return its path.

    With no ``path`` it goes to a timestamped file in BACKUP_DIR; a ``path`` ending in
    ``.zip`` makes a zip. Afterwards only the newest BACKUP_KEEP archives stay in BACKUP_DIR.
    """
    now = datetime.now(UTC)
    suffix = ".zip" if archive_format == "zip" else ".tar.gz"
    destination = _destination(path, now, suffix)
    if not destination.name.endswith((".tar.gz", ".tgz", ".zip")):
        raise BackupError(f"{destination} must end in .tar.gz or .zip.")
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(f".{destination.name}.partial")
    with tempfile.TemporaryDirectory(dir=destination.parent, prefix=".masthead-backup-") as work:
        dump_path, dump_name = _dump_database(Path(work))
        writer = _ArchiveWriter(partial, zip_archive=destination.name.endswith(".zip"))
        try:
            writer.add_file(dump_path, dump_name)
            dump_path.unlink()
            if media_in_filesystem():
                for source, relative in _media_files():
                    writer.add_file(source, MEDIA_PREFIX + relative)
            manifest = {
                "format": MANIFEST_FORMAT,
                "masthead_version": version("masthead"),
                "django_version": version("django"),
                "wagtail_version": version("wagtail"),
                "database_vendor": connection.vendor,
                "database_dump": dump_name,
                "migrations": _applied_migrations(),
                "created": now.isoformat(),
                "media": _media_manifest(),
                "files": writer.files,
            }
            writer.add_bytes(json.dumps(manifest, indent=2).encode(), MANIFEST_NAME)
            writer.close()
        except BaseException:
            writer.close()
            partial.unlink(missing_ok=True)
            raise
    os.replace(partial, destination)
    if destination.parent.resolve() == Path(settings.BACKUP_DIR).resolve():
        prune_backups()
        if backup_offsite.configured():
            _send_offsite(destination, backup_offsite.configured_prefix())
    return destination


def _send_offsite(archive, prefix):
    """Upload ``archive`` to the bucket and keep only the newest BACKUP_KEEP there."""
    try:
        location = backup_offsite.upload(archive, prefix)
        backup_offsite.prune(prefix, settings.BACKUP_KEEP)
    except backup_offsite.OffsiteError as error:
        raise BackupError(f"{archive} was written, but {error}") from error
    logger.info("Backup uploaded to %s", location)
    return location


def create_offsite_backup(url, archive_format="tar.gz"):
    """Write one archive and upload it to ``s3://bucket/prefix/``; return where it went.

    The archive is written on this machine first (beside BACKUP_DIR) and deleted after the
    upload; retention in the bucket is left to the bucket's own lifecycle rules."""
    try:
        prefix = backup_offsite.parse_s3_url(url)
    except backup_offsite.OffsiteError as error:
        raise BackupError(str(error)) from error
    with backup_offsite.temporary_directory() as work:
        archive = create_backup(work, archive_format=archive_format)
        try:
            return backup_offsite.upload(archive, prefix)
        except backup_offsite.OffsiteError as error:
            raise BackupError(str(error)) from error


def archives_in(directory):
    """The backup archives Masthead named in ``directory``, oldest first."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = [path for path in directory.iterdir() if ARCHIVE_PATTERN.match(path.name)]
    return sorted(found, key=lambda path: (path.stat().st_mtime, path.name))


def prune_backups():
    """Delete all but the newest BACKUP_KEEP archives in BACKUP_DIR; returns the deleted.

    Only files named as Masthead names its archives are considered, so nothing else an
    operator keeps there is touched."""
    archives = archives_in(settings.BACKUP_DIR)
    keep = max(settings.BACKUP_KEEP, 1)
    deleted = archives[:-keep]
    for path in deleted:
        path.unlink(missing_ok=True)
    return deleted


def backup_if_due():
    """The worker's periodic job: a backup into BACKUP_DIR when BACKUP_EVERY_HOURS is set and
    the newest archive there is at least that old. Judging by the archives, not by a timer,
    keeps the schedule across restarts of the worker."""
    if settings.BACKUP_EVERY_HOURS <= 0:
        return None
    archives = archives_in(settings.BACKUP_DIR)
    if archives and time.time() - archives[-1].stat().st_mtime < settings.BACKUP_EVERY_HOURS * 3600:
        return None
    path = create_backup()
    logger.info("Backup written to %s", path)
    return path


# --- Restoring ----------------------------------------------------------------------------------


def _extract(archive, directory):
    """Unpack ``archive`` into ``directory``, refusing members that would land outside it."""
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as opened:
            for name in opened.namelist():
                if name.startswith("/") or ".." in Path(name).parts:
                    raise BackupError(f"{archive} holds an unsafe path: {name}")
            opened.extractall(directory)  # noqa: S202 - every name checked above
    else:
        with tarfile.open(archive, "r:*") as opened:
            opened.extractall(directory, filter="data")


def _read_manifest(directory):
    manifest_path = directory / MANIFEST_NAME
    if not manifest_path.is_file():
        raise BackupError("The archive has no manifest.json; it is not a Masthead backup.")
    manifest = json.loads(manifest_path.read_text())
    if manifest.get("format") != MANIFEST_FORMAT:
        raise BackupError(f"The archive's manifest format {manifest.get('format')} is unknown.")
    for name, expected in manifest["files"].items():
        path = directory / name
        if not path.is_file():
            raise BackupError(f"The archive lacks {name}, which its manifest lists.")
        digest = hashlib.sha256()
        with open(path, "rb") as file:
            for chunk in iter(lambda file=file: file.read(CHUNK_SIZE), b""):
                digest.update(chunk)
        if digest.hexdigest() != expected["sha256"]:
            raise BackupError(f"{name} in the archive does not match its checksum.")
    return manifest


def _media_root_has_files():
    root = Path(settings.MEDIA_ROOT)
    return root.is_dir() and any(path.is_file() for path in root.rglob("*"))


def target_in_use():
    """Why this database or media root holds an outlet already, in a few words, or "".

    Migrations create the root page and a home page, and no user: anything beyond that (a
    further page, an edited page, an account, a media file) is someone's work."""
    tables = set(connection.introspection.table_names())
    user_model = get_user_model()
    if user_model._meta.db_table in tables and user_model.objects.exists():
        return "the database has user accounts"
    if Page._meta.db_table in tables and Page.objects.filter(depth__gt=2).exists():
        return "the database has pages"
    if Revision._meta.db_table in tables and Revision.objects.exists():
        return "the database has page revisions"
    if media_in_filesystem() and _media_root_has_files():
        return f"MEDIA_ROOT ({settings.MEDIA_ROOT}) has files"
    return ""


def _refuse_if_in_use():
    in_use = target_in_use()
    if in_use:
        raise BackupError(f"Refusing to restore: {in_use}. Use --force to overwrite it.")


def _restore_sqlite(dump):
    connections.close_all()
    source = sqlite3.connect(dump)
    destination = sqlite3.connect(_database_settings()["NAME"], timeout=20)
    try:
        with destination:
            source.backup(destination)
    finally:
        destination.close()
        source.close()


def _restore_postgres(dump):
    connections.close_all()
    _run_database_tool(
        [
            _postgres_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            "--dbname",
            _database_settings()["NAME"],
            str(dump),
        ]
    )


def restore_backup(archive, *, force=False):
    """Restore an archive made by ``create_backup`` into the configured database and
    MEDIA_ROOT, which must hold no outlet yet unless ``force`` is given.

    ``archive`` may be ``s3://bucket/key``, or ``s3://bucket/prefix/`` for the newest archive
    there: it is downloaded first (after the check that the target is empty)."""
    if backup_offsite.is_s3_url(archive):
        if not force:
            _refuse_if_in_use()
        with backup_offsite.temporary_directory() as work:
            try:
                local = backup_offsite.download(backup_offsite.parse_s3_url(archive), work)
            except backup_offsite.OffsiteError as error:
                raise BackupError(str(error)) from error
            return restore_backup(local, force=True)
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"{archive} does not exist.")
    if not force:
        _refuse_if_in_use()
    media_root = Path(settings.MEDIA_ROOT)
    media_root.mkdir(parents=True, exist_ok=True)
    # Unpacked beside MEDIA_ROOT, so that media files are moved into place by renaming.
    with tempfile.TemporaryDirectory(dir=media_root.parent, prefix=".masthead-restore-") as work:
        work = Path(work)
        _extract(archive, work)
        manifest = _read_manifest(work)
        if manifest["database_vendor"] != connection.vendor:
            raise BackupError(
                f"The archive holds a {manifest['database_vendor']} database but this site "
                f"uses {connection.vendor}."
            )
        dump = work / manifest["database_dump"]
        if connection.vendor == "sqlite":
            _restore_sqlite(dump)
        else:
            _restore_postgres(dump)
        media_files = 0
        for name in manifest["files"]:
            if name.startswith(MEDIA_PREFIX):
                target = media_root / name[len(MEDIA_PREFIX) :]
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(work / name, target)
                media_files += 1
    invalidate_pages()
    return RestoreResult(manifest["database_vendor"], manifest["created"], media_files)
