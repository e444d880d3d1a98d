"""Everything ``transfer`` plugs into elsewhere, connected once from ``TransferConfig.ready()``."""

from masthead.core.cache_invalidation import invalidate_pages_on_change
from masthead.transfer import (  # noqa: F401 - each registers its importer
    ghost,
    restore,
    substack,
    wordpress,
)
from masthead.transfer.models import ArchivedComment


def connect():
    """Connect transfer to the registries of the floors below it."""
    # Archived comments are shown at the end of their articles (when the site setting is on).
    invalidate_pages_on_change(ArchivedComment)
