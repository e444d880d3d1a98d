"""The site search backend: Wagtail's database backend, with relevance ranking done in one
pass over the search index instead of Wagtail's match-and-rank per page, twice (for the
count and for the page): ``masthead.core.search_sqlite`` on SQLite,
``masthead.core.search_postgres`` on PostgreSQL (see each for why). On MySQL and anything
else this is Wagtail's backend unchanged.
"""

from django.apps import apps
from django.db import connection, connections
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


# The GIN index over each entry's title and body (core's migration 0003).
TITLE_BODY_INDEX = "masthead_search_title_body_gin"


def tidy_after_bulk_update(using="default"):
    """After many index entries were written at once (an import's batch): merge the GIN
    index's pending entries into the index and refresh the table's statistics, as
    autovacuum would a minute or so later. Until then a search reads every pending entry
    one by one, and plans its queries with the old statistics (a search for "council"
    took 5 ms instead of 1.3). Both run inside a transaction, unlike VACUUM. Nothing to do
    on another database."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    table = apps.get_model("wagtailsearch", "IndexEntry")._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [TITLE_BODY_INDEX])
        if cursor.fetchone()[0] is not None:
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [TITLE_BODY_INDEX])
        cursor.execute(f'ANALYZE "{table}"')
