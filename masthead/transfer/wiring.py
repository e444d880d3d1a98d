"""Everything ``transfer`` plugs into elsewhere, connected once from ``TransferConfig.ready()``."""

from masthead.transfer import ghost  # noqa: F401 - registers the "ghost" importer
from masthead.transfer import substack  # noqa: F401 - registers the "substack" importer
from masthead.transfer import wordpress  # noqa: F401 - registers the "wordpress" importer


def connect():
    """Connect transfer to the registries of the floors below it."""
