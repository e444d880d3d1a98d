"""What every importer shares: the registry of kinds, the report, the per-item transaction,
the source records that make a re-run update instead of duplicate, and the run itself.

An importer is a class registered under its kind ("wordpress", "ghost", ...)::

    @register_importer("wordpress")
    class WordPressImporter(Importer):
        def check(self):        # read every file once, change nothing; raise ImportFileError
            ...                 # on a bad file, return how many items there are
        def items(self):        # yield (label, callable) pairs, one per item
            ...

``run_import()`` calls ``check()`` first, so a malformed or hostile file changes nothing,
then runs the items in transactions of ``BATCH_SIZE`` items, each item in its own savepoint
inside it: an item that fails is rolled back alone (to its savepoint), named in the report
with its reason, and the import goes on; the others of its batch are committed with the
batch. (One transaction per item cost a commit per item; if the process dies, at most the
current batch is lost, and running the import again finishes it.) Wagtail's reference and search
indexes are updated by one task per batch, queued when it commits
(``masthead.transfer.indexing``).

Nothing is downloaded while a transaction is open (on SQLite it would hold the only write
lock for as long as the old site takes to answer): an item that needs something from the
network first raises ``FetchFirst`` at the end of its work; it is rolled back (its report
lines too), its batch is committed, the fetch runs outside any transaction, and the item
runs again at the start of the next batch, finding what was fetched.

A dry run does the same inside one transaction that is rolled back at the end, so it
reports exactly what a real run would do (its downloads, too, happen inside that one
transaction).
"""

import threading
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass, field
from itertools import chain, islice

from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from masthead.core.bulk import bringing_in_archive
from masthead.transfer import indexing
from masthead.transfer.models import SourceRecord

_importers = {}
_local = threading.local()  # the running import's transaction_cache()
# Items imported in one transaction, each in its own savepoint inside it.
BATCH_SIZE = 50


class ImportFileError(Exception):
    """The file as a whole cannot be imported (malformed, hostile, of another kind); the
    message says why, in words an editor can act on."""


class _DryRunRollback(Exception):
    """Raised at the end of a dry run to roll its one transaction back."""


class FetchFirst(Exception):
    """Raised by an item's work when it needs something from the network first (images to
    download): ``run_import`` rolls the item back, commits its batch, calls ``fetch()``
    outside any transaction, then runs the item again."""

    def __init__(self, fetch):
        super().__init__("The item needs a download first.")
        self.fetch = fetch


@dataclass
class Note:
    """One thing the report must tell: an item skipped or approximated, and why."""

    kind: str
    item: str
    reason: str

    def as_dict(self):
        return {"kind": self.kind, "item": self.item, "reason": self.reason}


@dataclass
class Report:
    """Counts per kind and action ("created", "updated", "skipped", "failed"), and every
    item skipped, approximated or failed with the reason."""

    counts: Counter = field(default_factory=Counter)
    skipped: list = field(default_factory=list)
    approximated: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    dry_run: bool = False

    def count(self, kind, action="created", number=1):
        self.counts[f"{kind}:{action}"] += number

    def skip(self, kind, item, reason):
        self.skipped.append(Note(kind, str(item), str(reason)))
        self.count(kind, "skipped")

    def approximate(self, kind, item, reason):
        self.approximated.append(Note(kind, str(item), str(reason)))

    def fail(self, kind, item, reason):
        self.failed.append(Note(kind, str(item), str(reason)))
        self.count(kind, "failed")

    def mark(self):
        """Where the report stands now, for ``rewind``."""
        return Counter(self.counts), len(self.skipped), len(self.approximated), len(self.failed)

    def rewind(self, mark):
        """Forget what was added since ``mark`` (an item rolled back to be run again)."""
        counts, skipped, approximated, failed = mark
        self.counts.clear()
        self.counts.update(counts)
        del self.skipped[skipped:], self.approximated[approximated:], self.failed[failed:]

    def as_dict(self):
        by_kind = {}
        for key, number in sorted(self.counts.items()):
            kind, action = key.split(":", 1)
            by_kind.setdefault(kind, {})[action] = number
        return {
            "dry_run": self.dry_run,
            "counts": by_kind,
            "skipped": [note.as_dict() for note in self.skipped],
            "approximated": [note.as_dict() for note in self.approximated],
            "failed": [note.as_dict() for note in self.failed],
        }

    def lines(self):
        """The report as plain text lines, for the command line."""
        data = self.as_dict()
        out = ["Dry run: nothing was changed." if self.dry_run else "Import finished."]
        for kind, actions in data["counts"].items():
            parts = ", ".join(f"{number} {action}" for action, number in actions.items())
            out.append(f"  {kind}: {parts}")
        for title in ("skipped", "approximated", "failed"):
            if data[title]:
                out.append(f"{title.capitalize()} ({len(data[title])}):")
                out.extend(
                    f"  {note['kind']} {note['item']}: {note['reason']}" for note in data[title]
                )
        return out


class Importer:
    """The base of every importer. ``paths`` are the files given, ``options`` the choices
    made on the command line or in the admin (each importer documents its own), ``report``
    is filled in as the import goes."""

    source = ""  # the platform's name, as SourceRecord.source

    def __init__(self, paths, options=None, report=None, dry_run=False):
        self.paths = list(paths)
        self.options = dict(options or {})
        self.report = report or Report(dry_run=dry_run)
        self.dry_run = dry_run
        self.site = ""

    def check(self):
        """Read every file once without changing anything; raise ImportFileError on a bad
        file. Returns the number of items ``items()`` will yield (for the progress bar)."""
        raise NotImplementedError

    def items(self):
        """Yield ``(label, work)`` pairs: ``work()`` imports one item, in its own savepoint,
        and updates the report."""
        raise NotImplementedError

    def finish(self):
        """Called once after every item, inside its own transaction (e.g. to link items
        that refer to each other, or to record the import's consent basis)."""

    # -- source records -------------------------------------------------------------------

    def find(self, kind, source_id, model=None):
        """What an item of this source became in an earlier run, or None."""
        record = (
            SourceRecord.objects.filter(
                source=self.source, site=self.site, kind=kind, source_id=str(source_id)
            )
            .select_related("content_type")
            .first()
        )
        if record is None:
            return None
        model = model or record.content_type.model_class()
        return model._default_manager.filter(pk=record.object_id).first()

    def remember(self, kind, source_id, obj):
        """Note that this source's item became ``obj`` (created or updated)."""
        SourceRecord.objects.update_or_create(
            source=self.source,
            site=self.site,
            kind=kind,
            source_id=str(source_id),
            defaults={
                "content_type": ContentType.objects.get_for_model(obj, for_concrete_model=False),
                "object_id": str(obj.pk),
            },
        )


def transaction_cache():
    """A dict for what holds only inside the import's current transaction (e.g. the last
    child path of a parent page whose row is locked), emptied when a batch starts and when
    an item fails; None outside ``run_import``."""
    return getattr(_local, "cache", None)


def register_importer(kind):
    """Class decorator: make an importer available as ``masthead import <kind>``."""

    def decorator(cls):
        _importers[kind] = cls
        return cls

    return decorator


def importer_kinds():
    return sorted(_importers)


def importer_for(kind):
    try:
        return _importers[kind]
    except KeyError:
        raise ImportFileError(
            f"There is no importer for {kind!r}; the kinds are: {', '.join(importer_kinds())}."
        ) from None


def run_import(kind, paths, *, options=None, dry_run=False, progress=None):
    """Import ``paths`` with the importer of ``kind`` and return its Report.

    ``progress(done, total)`` is called after each item. Raises ImportFileError, having
    changed nothing, when a file cannot be imported at all.
    """
    importer = importer_for(kind)(paths, options=options, dry_run=dry_run)
    total = importer.check()
    report = importer.report
    report.dry_run = dry_run
    _local.cache = {}
    try:
        with bringing_in_archive(), transaction.atomic() if dry_run else nullcontext():
            items = enumerate(importer.items(), start=1)
            again = None  # an item to run again once what it needs is fetched
            more = True
            while more:
                fetch = None
                with transaction.atomic(), indexing.deferred():
                    _local.cache.clear()
                    # islice takes the items one at a time: an importer's generator may
                    # depend on what the item before did
                    batch = islice(items, BATCH_SIZE)
                    if again is not None:
                        batch = chain([again], islice(items, BATCH_SIZE - 1))
                    again, taken = None, 0
                    for done, (label, work) in batch:
                        taken += 1
                        mark = report.mark()
                        try:
                            with transaction.atomic():
                                work()
                        except FetchFirst as needed:
                            report.rewind(mark)
                            _local.cache.clear()
                            again, fetch = (done, (label, work)), needed.fetch
                            break
                        except ImportFileError:
                            raise
                        except Exception as error:  # one item's failure is reported alone
                            _local.cache.clear()
                            report.fail("item", label, f"{type(error).__name__}: {error}")
                        if progress:
                            progress(done, total)
                    # a full batch, or one ended early for a fetch: there may be more
                    more = again is not None or taken == BATCH_SIZE
                if fetch is not None:
                    fetch()  # the batch is committed: no transaction is open
            with transaction.atomic(), indexing.deferred():
                importer.finish()
            if dry_run:
                raise _DryRunRollback
    except _DryRunRollback:
        pass
    finally:
        del _local.cache
    return report
