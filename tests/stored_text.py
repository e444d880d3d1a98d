"""Every text value the database holds, read past the ORM: what the erasure and retention
tests search for a reader's marks."""

import json

from django.db import connection


def raw_texts():
    """``(table, column, text)`` for every text value of every table the database has,
    read with a plain SELECT (tables no model describes included)."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [
                column.name
                for column in connection.introspection.get_table_description(cursor, table)
            ]
            # The table name comes from the database's own list, quoted.
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, memoryview | bytes):
                        value = bytes(value).decode("utf-8", "replace")
                    if isinstance(value, dict | list):
                        value = json.dumps(value)
                    if isinstance(value, str) and value:
                        found.append((table, column, value))
    return found
