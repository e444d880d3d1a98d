"""Everything ``transfer`` plugs into elsewhere, connected once from ``TransferConfig.ready()``."""

from masthead.core.cache_invalidation import invalidate_pages_on_change
from masthead.transfer import ghost  # noqa: F401 - registers the "ghost" importer
from masthead.transfer import substack  # noqa: F401 - registers the "substack" importer
from masthead.transfer import wordpress  # noqa: F401 - registers the "wordpress" importer
from masthead.transfer.models import ArchivedComment


def connect():
    """Connect transfer to the registries of the floors below it."""
    # Archived comments are shown at the end of their articles (when the site setting is on).
    invalidate_pages_on_change(ArchivedComment)
