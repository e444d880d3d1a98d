"""The site search backend: Wagtail's database backend, with relevance ranking on SQLite
done in one pass over the full-text index instead of one per matching page (see
``masthead.core.search_sqlite`` for why). On PostgreSQL, MySQL and anything else this is
Wagtail's backend unchanged.
"""

from django.db import connection
from modelsearch.backends.database import SearchBackend as database_backend


def SearchBackend(params):  # the name Wagtail looks for
    """The backend for the default database: on SQLite with full-text search, the one-pass
    ranking; anywhere else, Wagtail's own choice."""
    backend = database_backend(params)
    if connection.vendor != "sqlite":
        return backend
    # Only here: Wagtail's SQLite search modules need SQLite's full-text tables to import.
    from modelsearch.backends.database.sqlite.sqlite import SQLiteSearchBackend

    from masthead.core.search_sqlite import RankedOnceBackend

    if isinstance(backend, SQLiteSearchBackend):
        return RankedOnceBackend(params)
    return backend
