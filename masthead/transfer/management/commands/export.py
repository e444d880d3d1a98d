"""The ``export`` management command behind ``masthead export [PATH]``."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from masthead.transfer.export import ExportError, create_export, write_schema


class Command(BaseCommand):
    """Write the whole outlet to one documented, portable archive (masthead.transfer.export)."""

    help = (
        "Export everything the outlet holds: every model's rows as JSON Lines (documented in "
        "docs/export-schema.json), the original media files, CSVs of articles, subscribers "
        "with consent, donations and orders, and a WordPress WXR file of the articles, in one "
        ".zip (or .tar.gz) archive with a manifest of checksums. PATH is a file or a "
        "directory (default: TRANSFER_EXPORT_DIR). Restore it into an empty site with "
        "`masthead import masthead ARCHIVE`."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="Archive file (.zip or .tar.gz) or directory.")
        parser.add_argument(
            "--schema",
            metavar="FILE",
            help="Write only the schema of the export's JSON (docs/export-schema.json) to FILE.",
        )

    def handle(self, *args, path=None, schema=None, **options):
        if schema:
            write_schema(schema)
            self.stdout.write(f"Wrote the export's schema to {schema}")
            return
        target = Path(path) if path else Path(settings.TRANSFER_EXPORT_DIR)
        if not path:
            target.mkdir(parents=True, exist_ok=True)
        try:
            result = create_export(target)
        except ExportError as error:
            raise CommandError(str(error)) from None
        rows = sum(result.counts.values())
        self.stdout.write(
            f"Exported {rows} rows of {len(result.counts)} models and {result.media_files} "
            f"media files to {result.path}"
        )
        for name in result.missing_media:
            self.stderr.write(f"Missing media file (not in the archive): {name}")
