"""The site search backend: Wagtail's database backend, with relevance ranking done in one
pass over the search index instead of Wagtail's match-and-rank per page, twice (for the
count and for the page): ``masthead.core.search_sqlite`` on SQLite,
``masthead.core.search_postgres`` on PostgreSQL (see each for why). On MySQL and anything
else this is Wagtail's backend unchanged.
"""

from django.db import connection
from modelsearch.backends.database import SearchBackend as database_backend


def SearchBackend(params):  # the name Wagtail looks for
    """The backend for the default database: on SQLite with full-text search and on
    PostgreSQL, the one-pass ranking; anywhere else, Wagtail's own choice."""
    backend = database_backend(params)
    # Imported only on their own database: Wagtail's SQLite search modules need SQLite's
    # full-text tables to import, its PostgreSQL ones psycopg.
    if connection.vendor == "sqlite":
        from modelsearch.backends.database.sqlite.sqlite import SQLiteSearchBackend

        from masthead.core.search_sqlite import RankedOnceBackend

        if isinstance(backend, SQLiteSearchBackend):
            return RankedOnceBackend(params)
    elif connection.vendor == "postgresql":
        from modelsearch.backends.database.postgres.postgres import PostgresSearchBackend

        from masthead.core.search_postgres import RankedOncePostgresBackend

        if isinstance(backend, PostgresSearchBackend):
            return RankedOncePostgresBackend(params)
    return backend
