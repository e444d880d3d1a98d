"""The export of everything an outlet holds, in a documented archive it can take elsewhere.

Unlike ``masthead backup`` (a database dump for disaster recovery, tied to its engine), an
export is engine-independent and readable without Masthead:

- ``manifest.json``: the format version, Masthead's version, when it was made, the site,
  the number of rows per model, the content types' ids (so a restore can translate the
  ids held inside revisions), and the size and SHA-256 of every other file, written last;
- ``data/<app_label>.<model>.jsonl``: one file per model, one row per line (JSON Lines, so
  neither writing nor restoring ever holds a whole table in memory), in Django's
  serialisation format; primary keys are kept (StreamField blocks and rich text refer to
  pages, images and documents by id), while content types, permissions and users are
  referred to by natural key (``["publishing", "articlepage"]``, a username), so the rows
  load into another database engine whose ids differ. Every field is documented in
  ``docs/export-schema.json``;
- ``media/...``: the original file of every image, document and other uploaded file the
  rows name (renditions are left out: they are rebuilt from the originals);
- ``csv/``: articles, subscribers, their consent history, donations, recurring donations
  and orders, for a spreadsheet (cells defused like the admin's own exports);
- ``articles.wxr``: the articles as a WordPress eXtended RSS 1.2 file (``wxr.py``).

What is left out, and why, is ``EXCLUDED`` below (and in the manifest). Money records are
kept whole, the payment provider's event log included: it is what makes a webhook replayed
after the move change nothing.
"""

import csv
import io
import json
import os
import tarfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from datetime import time as time_of_day
from importlib.metadata import version
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.core.serializers.jsonl import Serializer as JSONLSerializer
from django.db import connection, models, transaction
from django.utils.timezone import is_aware
from wagtail.models import Site

from masthead.core.backup import _ArchiveWriter, _HashingReader
from masthead.core.exports import spreadsheet_safe
from masthead.donations.admin.donations import DonationViewSet
from masthead.donations.models import Donation, RecurringDonation
from masthead.newsletter.admin.subscribers import SubscriberViewSet
from masthead.newsletter.models import ConsentRecord, Subscriber
from masthead.publishing.models import ArticlePage
from masthead.shop.admin.orders import OrderViewSet
from masthead.shop.models import Order
from masthead.transfer import wxr

FORMAT = "masthead-export"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
DATA_PREFIX = "data/"
MEDIA_PREFIX = "media/"
CSV_PREFIX = "csv/"
WXR_NAME = "articles.wxr"
CHUNK_ROWS = 2000

# Models whose rows are not exported, with the reason (also written into the manifest).
EXCLUDED = {
    "contenttypes.contenttype": "Made by migrations on every site; rows refer to them by name.",
    "auth.permission": "Made by migrations on every site; rows refer to them by name.",
    "sessions.session": "Signed-in browsers of this site; meaningless elsewhere, and secret.",
    "readers.readersession": "Readers' signed-in browsers (session key hashes).",
    "readers.signinrequest": "Pending sign-in links and codes: short-lived secrets.",
    "otp_totp.totpdevice": "Two-factor secrets: staff enrol again on the new site.",
    "otp_static.staticdevice": "Two-factor backup codes: staff enrol again.",
    "otp_static.statictoken": "Two-factor backup codes: staff enrol again.",
    "wagtailcore.apitoken": "API secrets: issued again on the new site.",
    "django_tasks_database.dbtaskresult": "Results of background tasks: transient, and their "
    "arguments may hold sign-in secrets.",
    "audience.hit": "Raw visit hits, kept only days; their roll-ups are exported.",
    "wagtailimages.rendition": "Resized copies, rebuilt from the original images.",
    "wagtailsearch.indexentry": "The search index, rebuilt after a restore.",
    "wagtailsearch.sqliteftsindexentry": "The search index, rebuilt after a restore.",
    "wagtailcore.referenceindex": "Wagtail's index of references, rebuilt after a restore.",
    "wagtailadmin.editingsession": "Who has an editor open right now.",
    "wagtailadmin.formstate": "Unsaved editor form state.",
    "wagtailadmin.admin": "Not a table.",
    "wagtailcore.uploadedfile": "Half-finished uploads.",
    "shop.cart": "Readers' open carts: a session's state, not a record.",
    "shop.cartline": "Readers' open carts: a session's state, not a record.",
    "social.seensignature": "Signatures seen in the last minutes, against replays: transient.",
    "social.delivery": "Per-server sending state of activities already sent (the activities "
    "themselves are exported): meaningless on another host.",
}

# Rows exported although they hold secrets, because a move without them would lose what the
# outlet cannot get back; the export page warns of them and the manifest lists them.
SECRETS = {
    "social.localactor": "The private keys the outlet's and its authors' fediverse actors sign "
    "with: followers keep following the moved site only if it signs with the same keys.",
    "social.networkaccount": "The access tokens and app passwords Masthead posts to Mastodon, "
    "Bluesky and Threads with: anyone holding them can post as the outlet.",
}

# Models referred to by natural key wherever a row points at them. Users are exported
# without their primary key (their username is their key) and without their password hash:
# a restore keeps the password of an account of the same name already on the new site, and
# gives other accounts an unusable one until they reset it.
NATURAL_KEY_MODELS = {"contenttypes.contenttype", "auth.permission"}
OMITTED_FIELDS = {"password"}


def user_label():
    return settings.AUTH_USER_MODEL.lower()


def natural_key_models():
    return NATURAL_KEY_MODELS | {user_label()}


class ExportError(Exception):
    """The export cannot be written; the message is one line for the operator."""


def exported_models():
    """Every model whose rows the export holds, in a stable order (app, then model).

    Abstract, proxy, unmanaged and auto-created (many-to-many) models are not listed: a
    many-to-many relation travels with the model that declares it."""
    found = []
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed or meta.auto_created:
            continue
        if meta.label_lower in EXCLUDED:
            continue
        found.append(model)
    return sorted(found, key=lambda model: model._meta.label_lower)


def data_name(model):
    return f"{DATA_PREFIX}{model._meta.label_lower}.jsonl"


class PreciseJSONEncoder(DjangoJSONEncoder):
    """Django's encoder, except that times keep their microseconds (Django's cuts them to
    milliseconds, which would change every timestamp a page shows to the microsecond)."""

    def default(self, o):
        if isinstance(o, datetime):
            text = o.isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        if isinstance(o, time_of_day):
            if is_aware(o):
                raise ValueError("JSON can't represent timezone-aware times.")
            return o.isoformat()
        return super().default(o)


class RowSerializer(JSONLSerializer):
    """Django's JSON Lines serialiser, with natural keys only for content types,
    permissions and users (every other relation keeps its primary key, which the export
    preserves), times to the microsecond, and without password hashes."""

    def _init_options(self):
        super()._init_options()
        self.json_kwargs["cls"] = PreciseJSONEncoder

    def _natural(self, field):
        return field.remote_field.model._meta.label_lower in natural_key_models()

    def handle_field(self, obj, field):
        if field.name in OMITTED_FIELDS and obj._meta.label_lower == user_label():
            return
        super().handle_field(obj, field)

    def handle_fk_field(self, obj, field):
        self.use_natural_foreign_keys = self._natural(field)
        super().handle_fk_field(obj, field)

    def handle_m2m_field(self, obj, field):
        self.use_natural_foreign_keys = self._natural(field)
        super().handle_m2m_field(obj, field)


def rows(model):
    """The model's rows for serialising, streamed in primary key order, with the relations
    serialised by natural key fetched in the same query."""
    natural = [
        field.name
        for field in model._meta.local_fields
        if field.is_relation
        and field.many_to_one
        and field.remote_field.model._meta.label_lower in natural_key_models()
    ]
    queryset = model._base_manager.order_by("pk")
    if natural:
        queryset = queryset.select_related(*natural)
    return queryset


def write_rows(model, stream):
    """Write ``model``'s rows to ``stream`` as JSON Lines; returns how many."""
    count = 0

    def counted():
        nonlocal count
        for row in rows(model).iterator(chunk_size=CHUNK_ROWS):
            count += 1
            yield row

    natural_primary = model._meta.label_lower == user_label()
    RowSerializer().serialize(
        counted(),
        stream=stream,
        use_natural_primary_keys=natural_primary,
        use_natural_foreign_keys=False,
    )
    return count


def file_fields(model):
    return [field for field in model._meta.local_fields if isinstance(field, models.FileField)]


def media_names(model_list):
    """The name in storage of every file the exported rows point at, sorted, once each."""
    names = set()
    for model in model_list:
        for field in file_fields(model):
            names.update(
                name
                for name in model._base_manager.exclude(**{field.name: ""})
                .values_list(field.name, flat=True)
                .iterator(chunk_size=CHUNK_ROWS)
                if name
            )
    return sorted(names)


# --- CSV ----------------------------------------------------------------------------------------


def _csv_value(value):
    if isinstance(value, datetime):
        value = value.isoformat()
    return spreadsheet_safe(value)


def _write_csv(stream, headings, records):
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
    writer = csv.writer(text)
    writer.writerow(headings)
    count = 0
    for record in records:
        writer.writerow([_csv_value(value) for value in record])
        count += 1
    text.flush()
    text.detach()
    return count


def _field_rows(queryset, fields):
    for item in queryset.iterator(chunk_size=CHUNK_ROWS):
        yield [getattr(item, field) for field in fields]


def _article_rows():
    pages = (
        ArticlePage.objects.order_by("pk")
        .select_related("locale")
        .prefetch_related("article_authors__author", "tags")
    )
    for page in pages.iterator(chunk_size=CHUNK_ROWS):
        yield [
            page.pk,
            page.title,
            page.slug,
            page.url_path,
            page.live,
            page.standfirst,
            ";".join(author.title for author in page.author_list),
            ";".join(sorted(tag.name for tag in page.tags.all())),
            page.first_published_at,
            page.last_published_at,
        ]


def _subscriber_rows(fields):
    subscribers = Subscriber.objects.order_by("pk").prefetch_related("subscriptions__newsletter")
    for subscriber in subscribers.iterator(chunk_size=CHUNK_ROWS):
        subscriber.newsletters = ";".join(
            sorted(
                subscription.newsletter.slug
                for subscription in subscriber.subscriptions.all()
                if subscription.is_active
            )
        )
        yield [getattr(subscriber, field) for field in fields]


def csv_files():
    """(name, headings, rows) of each CSV: the admin's own export columns where it has one."""
    subscriber_fields = SubscriberViewSet.list_export
    consent_fields = [
        field.name
        for field in ConsentRecord._meta.local_fields
        if field.name not in {"id", "subscriber"}
    ]
    recurring_fields = [
        field.attname for field in RecurringDonation._meta.local_fields if field.name != "id"
    ]
    return [
        (
            "articles.csv",
            [
                "id",
                "title",
                "slug",
                "url_path",
                "live",
                "standfirst",
                "authors",
                "tags",
                "first_published_at",
                "last_published_at",
            ],
            _article_rows,
        ),
        ("subscribers.csv", subscriber_fields, lambda: _subscriber_rows(subscriber_fields)),
        (
            "consent.csv",
            ["subscriber_email", *consent_fields],
            lambda: (
                [record.subscriber.email, *(getattr(record, field) for field in consent_fields)]
                for record in ConsentRecord.objects.select_related("subscriber")
                .order_by("pk")
                .iterator(chunk_size=CHUNK_ROWS)
            ),
        ),
        (
            "donations.csv",
            DonationViewSet.list_export,
            lambda: _field_rows(Donation.objects.order_by("pk"), DonationViewSet.list_export),
        ),
        (
            "recurring_donations.csv",
            recurring_fields,
            lambda: _field_rows(RecurringDonation.objects.order_by("pk"), recurring_fields),
        ),
        (
            "orders.csv",
            OrderViewSet.list_export,
            lambda: _field_rows(Order.objects.order_by("pk"), OrderViewSet.list_export),
        ),
    ]


# --- The archive --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportResult:
    path: Path
    counts: dict
    media_files: int
    missing_media: list


class _StreamingEntry:
    """A member of the archive written through a temporary file, so that nothing is held
    in memory and its checksum is recorded like any other file's."""

    def __init__(self, writer, work, name):
        self.writer = writer
        self.name = name
        self.path = Path(work) / name.replace("/", "__")

    def __enter__(self):
        self.file = open(self.path, "wb")
        return self.file

    def __exit__(self, kind, error, traceback):
        self.file.close()
        if kind is None:
            self.writer.add_file(self.path, self.name)
        self.path.unlink(missing_ok=True)


def _add_storage_file(writer, name, archive_name):
    """Copy a file from the media storage (local disk or an object store) into the archive."""
    with default_storage.open(name, "rb") as source:
        reader = _HashingReader(source)
        if writer.zip:
            with writer.archive.open(archive_name, "w", force_zip64=True) as target:
                for chunk in iter(lambda: reader.read(1024 * 1024), b""):
                    target.write(chunk)
        else:
            info = tarfile.TarInfo(archive_name)
            info.size = default_storage.size(name)
            info.mode = 0o644
            info.mtime = int(datetime.now(UTC).timestamp())
            writer.archive.addfile(info, reader)
    writer.files[archive_name] = {"size": reader.size, "sha256": reader.digest.hexdigest()}


def site_description():
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        return {}
    return {
        "hostname": site.hostname,
        "port": site.port,
        "name": site.site_name,
        "url": site.root_url,
    }


def default_name(now=None):
    now = now or datetime.now(UTC)
    return f"masthead-export-{now:%Y%m%d-%H%M%S}.zip"


@contextmanager
def snapshot():
    """On PostgreSQL, one REPEATABLE READ transaction, so every table is read as it was at
    one moment while the site goes on working. (SQLite's transactions here take the write
    lock, which would stop the site for the whole export; its rows are read as they come.)"""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def create_export(path, *, progress=None):
    """Write the whole outlet to the archive at ``path`` (``.zip``, or ``.tar.gz``) and
    return an ExportResult. A directory as ``path`` gets a timestamped name inside it.

    ``progress(step, total)`` is called as the models are written. The archive is written
    under a temporary name and renamed when complete."""
    with snapshot():
        return _create_export(path, progress)


def _create_export(path, progress):
    now = datetime.now(UTC)
    destination = Path(path)
    if destination.is_dir():
        destination = destination / default_name(now)
    if not destination.name.endswith((".zip", ".tar.gz", ".tgz")):
        raise ExportError(f"{destination} must end in .zip or .tar.gz.")
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(f".{destination.name}.partial")
    model_list = exported_models()
    names = media_names(model_list)
    steps = len(model_list) + len(names) + 2
    done = 0

    def advance(number=1):
        nonlocal done
        done += number
        if progress:
            progress(done, steps)

    writer = _ArchiveWriter(partial, zip_archive=destination.name.endswith(".zip"))
    counts = {}
    missing = []
    try:
        work = destination.parent / f".{destination.name}.work"
        work.mkdir(exist_ok=True)
        try:
            for model in model_list:
                with _StreamingEntry(writer, work, data_name(model)) as stream:
                    text = io.TextIOWrapper(stream, encoding="utf-8")
                    counts[model._meta.label_lower] = write_rows(model, text)
                    text.flush()
                    text.detach()
                advance()
            for name in names:
                try:
                    _add_storage_file(writer, name, MEDIA_PREFIX + name)
                except (FileNotFoundError, OSError):
                    missing.append(name)
                advance()
            csv_counts = {}
            for name, headings, records in csv_files():
                with _StreamingEntry(writer, work, CSV_PREFIX + name) as stream:
                    csv_counts[name] = _write_csv(stream, headings, records())
            with _StreamingEntry(writer, work, WXR_NAME) as stream:
                wxr.write_wxr(stream, now=now)
            advance()
        finally:
            for leftover in work.iterdir():
                leftover.unlink()
            work.rmdir()
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "masthead_version": version("masthead"),
            "django_version": version("django"),
            "wagtail_version": version("wagtail"),
            "created_at": now.isoformat(),
            "site": site_description(),
            "serialisation": "Django JSON Lines; natural keys for "
            + ", ".join(sorted(natural_key_models())),
            "counts": counts,
            "csv_rows": csv_counts,
            "content_types": {
                str(content_type.pk): f"{content_type.app_label}.{content_type.model}"
                for content_type in ContentType.objects.order_by("pk")
            },
            "users": {
                str(pk): username
                for pk, username in apps.get_model(user_label())
                ._base_manager.order_by("pk")
                .values_list("pk", apps.get_model(user_label()).USERNAME_FIELD)
            },
            "excluded": EXCLUDED,
            "secrets": SECRETS,
            "omitted_fields": {user_label(): sorted(OMITTED_FIELDS)},
            "missing_media": missing,
            "files": writer.files,
        }
        writer.add_bytes(json.dumps(manifest, indent=2).encode(), MANIFEST_NAME)
        writer.close()
        advance()
    except BaseException:
        writer.close()
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, destination)
    return ExportResult(destination, counts, len(names) - len(missing), missing)


# --- The schema ---------------------------------------------------------------------------------


def _natural_key_of(model):
    if model._meta.label_lower == user_label():
        return [model.USERNAME_FIELD]
    return {
        "contenttypes.contenttype": ["app_label", "model"],
        "auth.permission": ["codename", "app_label", "model"],
    }[model._meta.label_lower]


def _field_schema(field):
    entry = {"type": field.get_internal_type(), "null": field.null, "blank": field.blank}
    if getattr(field, "max_length", None):
        entry["max_length"] = field.max_length
    if field.choices:
        entry["choices"] = [str(value) for value, _label in field.flatchoices]
    if field.unique and not field.primary_key:
        entry["unique"] = True
    if field.is_relation:
        target = field.remote_field.model
        label = target._meta.label_lower
        entry["relation"] = {
            "kind": "many_to_many"
            if field.many_to_many
            else ("one_to_one" if field.one_to_one else "many_to_one"),
            "to": label,
            "by": (
                "natural key " + json.dumps(_natural_key_of(target))
                if label in natural_key_models()
                else "primary key"
            ),
        }
        if field.many_to_many:
            entry["note"] = "A list, in the row of this model."
    if field.help_text:
        entry["help"] = str(field.help_text)
    return entry


def schema():
    """The documented shape of the export's JSON, generated from the models: per model its
    file, primary key, parent (multi-table inheritance) and every field with its type,
    null/blank, length, choices and relation. ``docs/export-schema.json`` is this, committed
    (``masthead export --schema docs/export-schema.json`` writes it again)."""
    described = {}
    for model in exported_models():
        meta = model._meta
        fields = {}
        for field in [*meta.local_fields, *meta.local_many_to_many]:
            if not field.serialize and not field.primary_key:
                continue
            if field.primary_key:
                continue
            if field.name in OMITTED_FIELDS and meta.label_lower == user_label():
                continue
            if field.many_to_many and not field.remote_field.through._meta.auto_created:
                continue
            fields[field.name] = _field_schema(field)
        parents = [parent._meta.label_lower for parent in meta.parents]
        if meta.label_lower == user_label():
            key = "none: the row is named by its natural key " + json.dumps(_natural_key_of(model))
        else:
            key = f"{meta.pk.name} ({meta.pk.get_internal_type()})"
            if meta.pk.is_relation:
                owner = meta.pk.remote_field.model._meta.label_lower
                key = f"the primary key of its row in {owner}"
        described[meta.label_lower] = {
            "file": data_name(model),
            "description": " ".join((model.__doc__ or "").split()),
            "primary_key": key,
            **({"parents": parents} if parents else {}),
            "fields": fields,
        }
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "about": (
            "Each data/<model>.jsonl holds one JSON object per line, Django's serialisation: "
            '{"model": "<app_label>.<model>", "pk": <primary key>, "fields": {...}}. A row of '
            "a model that inherits from another (every page type from wagtailcore.page) holds "
            "only its own fields; the inherited ones are in the parent's row of the same pk. "
            "Times are ISO 8601 in UTC ('Z'), money an integer of minor units beside its "
            "currency. manifest.json lists every file's size and SHA-256, the rows per model, "
            "the content types' ids (StreamField and revisions refer to pages, images and "
            "documents by id, and revisions to content types by id) and what is left out."
        ),
        "excluded": EXCLUDED,
        "secrets": SECRETS,
        "models": described,
    }


def write_schema(path):
    Path(path).write_text(json.dumps(schema(), indent=2, ensure_ascii=False) + "\n", "utf-8")
