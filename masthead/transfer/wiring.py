"""Everything ``transfer`` plugs into elsewhere, connected once from ``TransferConfig.ready()``."""

from django.db.models.signals import post_save

from masthead.core.cache_invalidation import invalidate_pages_on_change
from masthead.core.scheduler import register_periodic_job
from masthead.core.slots import register_slot
from masthead.transfer import (  # noqa: F401 - each registers its importer
    ghost,
    indexing,
    restore,
    substack,
    tasks,
    wordpress,
)
from masthead.transfer.export_runs import prune
from masthead.transfer.models import ArchivedComment

PRUNE_EXPORTS_SECONDS = 3600


def connect():
    """Connect transfer to the registries of the floors below it."""
    # Archived comments are shown at the end of their articles (when the site setting is on).
    invalidate_pages_on_change(ArchivedComment)
    # The admin's export archive goes once it is TRANSFER_EXPORT_KEEP_HOURS old, even if no
    # one opens the export page again.
    register_periodic_job("transfer.delete-old-export", prune, every=PRUNE_EXPORTS_SECONDS)
    # An import updates Wagtail's reference and search indexes once per batch.
    post_save.connect(indexing.note_saved, dispatch_uid="masthead-transfer-references")
    indexing.queue_updates_with(tasks.update_indexes_task)
    # The comments an article had on the previous site, before its own (masthead.core.slots).
    register_slot("article_end", "transfer/includes/archived_comments.html", order=10)
