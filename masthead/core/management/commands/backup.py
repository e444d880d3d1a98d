"""The ``backup`` management command behind ``masthead backup``."""

from django.core.management.base import BaseCommand, CommandError

from masthead.core.backup import (
    BackupError,
    create_backup,
    create_offsite_backup,
    media_in_filesystem,
)
from masthead.core.backup_offsite import is_s3_url


class Command(BaseCommand):
    """Write one archive of the database and the media files (masthead.core.backup)."""

    help = (
        "Back up the database (a consistent copy: SQLite's online backup, or pg_dump's custom "
        "format) and the media files into one .tar.gz or .zip archive with a manifest. "
        "Without PATH the archive goes to a timestamped file in BACKUP_DIR, which keeps the "
        "newest BACKUP_KEEP (and uploads it to BACKUP_S3_BUCKET when that is set). PATH may be "
        "a file name, a directory, or s3://bucket/prefix/ to upload the archive there."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path",
            nargs="?",
            help="Archive file (.tar.gz or .zip), directory or s3://bucket/prefix/.",
        )
        parser.add_argument(
            "--zip",
            action="store_true",
            dest="zip_archive",
            help="Write a zip archive when PATH is a directory or not given.",
        )

    def handle(self, *args, path=None, zip_archive=False, **options):
        archive_format = "zip" if zip_archive else "tar.gz"
        try:
            if path and is_s3_url(path):
                archive = create_offsite_backup(path, archive_format=archive_format)
            else:
                archive = create_backup(path, archive_format=archive_format)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Backup written to {archive}"))
        if not media_in_filesystem():
            self.stdout.write("Media live in the object store and are not in the archive.")
