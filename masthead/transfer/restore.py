"""``masthead import masthead ARCHIVE``: an export (``export.py``) restored into an empty site.

The archive is distrusted until proven whole:

1. every member's name is checked (no absolute path, no ``..``, no link or device) and
   every member must be one the manifest lists, with the size it states; members are
   unpacked into a private temporary folder one by one, each stopped as soon as it grows
   past its stated size (a zip bomb is refused after a few bytes too many, and the whole
   archive must fit the free space), and hashed as it is written;
2. every SHA-256 must match the manifest, and every model it names must exist here;
3. the site must be empty: no pages beyond the root and the home page that migrations
   make, no images or documents, no subscribers, donations or orders.

Only then does anything change, in one transaction: the rows migrations made (the home
page, the default site, locale, collection, groups, workflows, cost categories) are
replaced by the archive's, every model is loaded in dependency order with its primary keys
(users by username: an account of the same name already here keeps its password, the
others get an unusable one until they reset it), content type ids and user ids held inside
revisions and generic relations are translated to this database's, the page tree is checked
(and fixed if it needs to be), and PostgreSQL's sequences are moved past the loaded ids.
The media files are copied into storage before the commit and removed again if the load
fails. After the commit, the search index and Wagtail's reference index are rebuilt and
the page cache is emptied.
"""

import hashlib
import json
import os
import shutil
import stat
import tarfile
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, models
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Page, Revision

from masthead.core.cache import invalidate_pages
from masthead.donations.models import Donation, RecurringDonation
from masthead.newsletter.models import Subscriber
from masthead.shop.models import Order
from masthead.transfer.export import (
    DATA_PREFIX,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST_NAME,
    MEDIA_PREFIX,
    user_label,
)
from masthead.transfer.importing import (
    Importer,
    ImportFileError,
    register_importer,
    run_import,
)

CHUNK = 1024 * 1024
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
MAX_MEMBERS = 2_000_000
# Room left on the disk besides the unpacked archive.
SPARE_BYTES = 64 * 1024 * 1024
# Rows added beside those already here, with new primary keys (nothing points at them): the
# import runs, one of which is this restore itself.
APPENDED = {"transfer.importrun"}


def _unsafe_name(name):
    """Why a member's name cannot be unpacked, or ""."""
    if not name or "\\" in name or "\x00" in name:
        return "a name with a backslash or a NUL byte"
    path = PurePosixPath(name)
    if path.is_absolute() or name.startswith("/"):
        return "an absolute path"
    if ".." in path.parts:
        return "a path leading out of the archive (..)"
    if len(path.parts) and ":" in path.parts[0]:
        return "a drive letter"
    return ""


class _Members:
    """The regular files of a zip or tar archive, as (name, declared size, open())."""

    def __init__(self, path):
        self.path = Path(path)
        try:
            if zipfile.is_zipfile(self.path):
                self.zip = zipfile.ZipFile(self.path)
                self.tar = None
            else:
                self.zip = None
                self.tar = tarfile.open(self.path, "r:*")  # noqa: SIM115 - closed in close()
        except (OSError, tarfile.TarError, zipfile.BadZipFile) as error:
            raise ImportFileError(
                f"{self.path.name} is neither a zip nor a tar archive: {error}"
            ) from None

    def __iter__(self):
        count = 0
        if self.zip:
            for info in self.zip.infolist():
                count += 1
                self._check_count(count)
                self._check_name(info.filename.rstrip("/") if info.is_dir() else info.filename)
                if info.is_dir():
                    continue
                mode = (info.external_attr >> 16) & 0o170000
                if mode and not stat.S_ISREG(mode):
                    raise ImportFileError(f"The archive holds a link or device: {info.filename}")
                yield info.filename, info.file_size, lambda info=info: self.zip.open(info)
        else:
            for info in self.tar:
                count += 1
                self._check_count(count)
                self._check_name(info.name)
                if info.isdir():
                    continue
                if not info.isreg():
                    raise ImportFileError(f"The archive holds a link or device: {info.name}")
                yield info.name, info.size, lambda info=info: self.tar.extractfile(info)

    def _check_count(self, count):
        if count > MAX_MEMBERS:
            raise ImportFileError("The archive holds too many files to be an export.")

    def _check_name(self, name):
        reason = _unsafe_name(name)
        if reason:
            raise ImportFileError(f"Refusing the archive: it holds {reason}: {name!r}.")

    def close(self):
        (self.zip or self.tar).close()


def _copy_capped(source, target, limit):
    """Copy at most ``limit`` bytes, hashing them; raise if the source holds more."""
    digest = hashlib.sha256()
    size = 0
    while True:
        chunk = source.read(CHUNK)
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise ImportFileError(
                "Refusing the archive: a file unpacks to more than its stated size "
                "(a damaged archive or a zip bomb)."
            )
        digest.update(chunk)
        target.write(chunk)
    return size, digest.hexdigest()


def unpack(archive, directory):
    """Unpack ``archive`` into ``directory`` after checking every member, and return the
    manifest once every file matches it. Raises ImportFileError, having written nothing
    outside ``directory``."""
    directory = Path(directory)
    members = _Members(archive)
    try:
        free = shutil.disk_usage(directory).free - SPARE_BYTES
        seen = {}
        manifest = None
        if members.zip:
            # Every name is checked before anything is read; then the manifest, so every
            # other member is held to its stated size.
            for info in members.zip.infolist():
                members._check_name(info.filename.rstrip("/") if info.is_dir() else info.filename)
            try:
                info = members.zip.getinfo(MANIFEST_NAME)
            except KeyError:
                raise ImportFileError(
                    "The archive has no manifest.json: it is not a Masthead export."
                ) from None
            with members.zip.open(info) as source, open(directory / MANIFEST_NAME, "wb") as out:
                _copy_capped(source, out, MAX_MANIFEST_BYTES)
            manifest = _read_manifest(directory)
        declared_total = 0
        for name, size, opener in members:
            if name == MANIFEST_NAME:
                if manifest is None:
                    with opener() as source, open(directory / name, "wb") as out:
                        _copy_capped(source, out, MAX_MANIFEST_BYTES)
                continue
            if name in seen:
                raise ImportFileError(f"Refusing the archive: {name} appears twice.")
            if manifest is not None:
                expected = manifest["files"].get(name)
                if expected is None:
                    raise ImportFileError(
                        f"Refusing the archive: {name} is not in its manifest (tampered)."
                    )
                limit = int(expected["size"])
            else:
                limit = size
            declared_total += min(size, limit)
            if declared_total > free:
                raise ImportFileError("The archive unpacks to more than the free disk space.")
            target = directory / "files" / name
            target.parent.mkdir(parents=True, exist_ok=True)
            with opener() as source, open(target, "wb") as out:
                seen[name] = _copy_capped(source, out, limit)
        if manifest is None:
            if not (directory / MANIFEST_NAME).is_file():
                raise ImportFileError(
                    "The archive has no manifest.json: it is not a Masthead export."
                )
            manifest = _read_manifest(directory)
    except (OSError, EOFError, zipfile.BadZipFile, tarfile.TarError) as error:
        raise ImportFileError(f"The archive cannot be read: {error}") from None
    finally:
        members.close()
    for name, expected in manifest["files"].items():
        if name not in seen:
            raise ImportFileError(f"The archive lacks {name}, which its manifest lists.")
        size, digest = seen[name]
        if size != int(expected["size"]) or digest != expected["sha256"]:
            raise ImportFileError(
                f"{name} does not match the manifest's checksum: the archive was changed or "
                "damaged, and nothing was imported."
            )
    for name in seen:
        if name not in manifest["files"]:
            raise ImportFileError(f"Refusing the archive: {name} is not in its manifest.")
    return manifest


def _read_manifest(directory):
    try:
        manifest = json.loads((directory / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise ImportFileError(f"The archive's manifest.json is not valid JSON: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ImportFileError("The archive's manifest is not a Masthead export's.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ImportFileError(
            f"The export's format version {manifest.get('format_version')} is not one this "
            f"Masthead reads ({FORMAT_VERSION})."
        )
    for key in ("files", "counts", "content_types"):
        if not isinstance(manifest.get(key), dict):
            raise ImportFileError(f"The archive's manifest has no {key}.")
    return manifest


def not_empty_reason():
    """Why this site already holds an outlet, in a few words, or "" when it is empty: no
    pages beyond the root and the home page migrations make, no images, documents,
    subscribers, donations or orders."""
    if Page.objects.filter(depth__gt=2).exists() or Page.objects.filter(depth=2).count() > 1:
        return "it has pages"
    for model, words in (
        (get_image_model(), "images"),
        (get_document_model(), "documents"),
        (Subscriber, "subscribers"),
        (Donation, "donations"),
        (RecurringDonation, "recurring donations"),
        (Order, "orders"),
    ):
        if model._base_manager.exists():
            return f"it has {words}"
    return ""


def dependency_order(model_list):
    """``model_list`` sorted so that each model comes after those it points to (parents of
    multi-table inheritance, foreign keys, many-to-many); cycles are broken where they
    close, which the deferred foreign key checks of the one transaction allow."""
    wanted = set(model_list)
    ordered = []
    state = {}

    def visit(model):
        if state.get(model) is not None:
            return
        state[model] = "visiting"
        for field in [*model._meta.local_fields, *model._meta.local_many_to_many]:
            if not field.is_relation:
                continue
            target = field.remote_field.model._meta.concrete_model
            if target in wanted and target is not model and state.get(target) is None:
                visit(target)
        state[model] = "done"
        ordered.append(model)

    for model in sorted(model_list, key=lambda model: model._meta.label_lower):
        visit(model)
    return ordered


def _generic_relations(model):
    return [
        (field.ct_field, field.fk_field)
        for field in model._meta.private_fields
        if isinstance(field, GenericForeignKey)
    ]


@register_importer("masthead")
class MastheadImporter(Importer):
    """Restores a Masthead export into an empty site. Options: none."""

    source = "masthead"

    def check(self):
        if len(self.paths) != 1:
            raise ImportFileError("Give one export archive to restore.")
        archive = Path(self.paths[0])
        if not archive.is_file():
            raise ImportFileError(f"{archive} does not exist.")
        reason = not_empty_reason()
        if reason:
            raise ImportFileError(
                f"Refusing to restore into this site: {reason}. An export is restored only "
                "into an empty site (a fresh database)."
            )
        self.work = tempfile.TemporaryDirectory(prefix="masthead-restore-")
        try:
            self.manifest = unpack(archive, self.work.name)
            self.models = self._models()
        except BaseException:
            self.work.cleanup()
            raise
        self.site = (self.manifest.get("site") or {}).get("url", "")
        self.restored = False
        return 1

    def _models(self):
        found = []
        for label in self.manifest["counts"]:
            try:
                model = apps.get_model(label)
            except (LookupError, ValueError):
                raise ImportFileError(
                    f"The export holds {label}, which this Masthead does not have: it was made "
                    "by another version."
                ) from None
            if f"{DATA_PREFIX}{label}.jsonl" not in self.manifest["files"]:
                raise ImportFileError(f"The archive lacks the rows of {label}.")
            found.append(model)
        return dependency_order(found)

    def items(self):
        yield "archive", self.restore

    # -- the load ---------------------------------------------------------------------------

    def _file(self, name):
        return Path(self.work.name) / "files" / name

    def _content_type_map(self):
        ContentType.objects.clear_cache()
        here = {
            f"{content_type.app_label}.{content_type.model}": content_type.pk
            for content_type in ContentType.objects.all()
        }
        return {
            int(old): here[label]
            for old, label in self.manifest["content_types"].items()
            if label in here
        }

    def restore(self):
        self.copied = []
        try:
            self._restore()
        except BaseException:
            for name in self.copied:
                default_storage.delete(name)
            raise

    def _restore(self):
        content_types = self._content_type_map()
        user_model = apps.get_model(user_label())
        self._clear_defaults()
        if not self.dry_run:
            self._copy_media()
        users = {}  # old primary key (from the manifest) -> primary key here
        old_user_ids = {
            username: int(old) for old, username in self.manifest.get("users", {}).items()
        }
        user_type = ContentType.objects.get_for_model(user_model).pk
        deferred = []
        for model in self.models:
            label = model._meta.label_lower
            generic = _generic_relations(model)
            number = 0
            with open(self._file(f"{DATA_PREFIX}{label}.jsonl"), encoding="utf-8") as stream:
                for loaded in serializers.deserialize(
                    "jsonl", stream, handle_forward_references=True
                ):
                    instance = loaded.object
                    if model is user_model:
                        self._keep_password(instance)
                    if label in APPENDED:
                        instance.pk = None
                    if model is Revision:
                        self._translate_revision(instance, content_types, users)
                    for ct_field, fk_field in generic:
                        if getattr(instance, f"{ct_field}_id", None) == user_type:
                            old = getattr(instance, fk_field)
                            if old is not None and str(old).isdigit() and int(old) in users:
                                setattr(instance, fk_field, str(users[int(old)]))
                    models.Model.save_base(instance, raw=True)
                    if model is user_model and instance.get_username() in old_user_ids:
                        users[old_user_ids[instance.get_username()]] = instance.pk
                    self._save_many_to_many(instance, loaded.m2m_data)
                    if loaded.deferred_fields:
                        deferred.append(loaded)
                    number += 1
            self.report.count(label, "created", number)
        for loaded in deferred:
            loaded.save_deferred_fields()
        problems = Page.find_problems()
        if any(problems):
            Page.fix_tree()
            self.report.approximate("page", "tree", "The page tree needed fixing after the load.")
        self._reset_sequences()
        self.restored = True

    def _clear_defaults(self):
        """Delete what migrations put in the tables the archive fills (the home page, the
        default site, locale, collection, groups, workflows...), children first."""
        user_model = apps.get_model(user_label())
        for model in reversed(self.models):
            if model is user_model or model._meta.label_lower in APPENDED:
                continue
            model._base_manager.all().delete()

    def _keep_password(self, user):
        existing = None
        if user.pk is not None:
            existing = (
                type(user)._base_manager.filter(pk=user.pk).values_list("password", flat=True)
            ).first()
        if existing:
            user.password = existing
        else:
            user.set_unusable_password()

    def _translate_revision(self, revision, content_types, users):
        content = revision.content
        if not isinstance(content, dict):
            return
        old = content.get("content_type")
        if isinstance(old, int) and old in content_types:
            content["content_type"] = content_types[old]
        for key in ("owner", "locked_by"):
            value = content.get(key)
            if isinstance(value, int) and value in users:
                content[key] = users[value]

    def _save_many_to_many(self, instance, m2m_data):
        """Many-to-many rows written straight into their tables, as a load must: without
        the change signals that would log them as an editor's action."""
        for name, values in m2m_data.items():
            field = instance._meta.get_field(name)
            through = field.remote_field.through
            source = field.m2m_field_name()
            target = field.m2m_reverse_field_name()
            through._base_manager.bulk_create(
                [
                    through(**{f"{source}_id": instance.pk, f"{target}_id": value})
                    for value in values
                ]
            )

    def _copy_media(self):
        for name in self.manifest["files"]:
            if not name.startswith(MEDIA_PREFIX):
                continue
            stored_name = name[len(MEDIA_PREFIX) :]
            if default_storage.exists(stored_name):
                default_storage.delete(stored_name)
            with open(self._file(name), "rb") as source:
                saved = default_storage.save(stored_name, File(source))
            self.copied.append(saved)
            if saved != stored_name:
                raise ImportFileError(f"The media file {stored_name} could not keep its name.")
            self.report.count("media file", "created")

    def _reset_sequences(self):
        statements = connection.ops.sequence_reset_sql(no_style(), self.models)
        if statements:
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)

    def finish(self):
        try:
            if self.restored and not self.dry_run:
                call_command("rebuild_references_index", verbosity=0)
                call_command("update_index", verbosity=0)
                invalidate_pages()
        finally:
            self.work.cleanup()


def restore_archive(path, *, dry_run=False):
    """Restore the export at ``path``; the report (see ``importing.run_import``)."""
    return run_import("masthead", [os.fspath(path)], dry_run=dry_run)
