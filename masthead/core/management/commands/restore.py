"""The ``restore`` management command behind ``masthead restore``."""

from django.core.management.base import BaseCommand, CommandError

from masthead.core.backup import BackupError, restore_backup


class Command(BaseCommand):
    """Restore an archive made by ``masthead backup`` (masthead.core.backup)."""

    help = (
        "Restore a backup archive into the configured database and MEDIA_ROOT. Refuses when "
        "they already hold an outlet (pages, accounts, media files) unless --force is given. "
        "Run `masthead migrate` afterwards if this version of Masthead is newer than the "
        "backup's."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "archive",
            help="The .tar.gz or .zip archive to restore, or s3://bucket/key (s3://bucket/prefix/ "
            "for the newest archive there).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Overwrite a database and media root that are not empty.",
        )

    def handle(self, *args, archive, force=False, **options):
        try:
            result = restore_backup(archive, force=force)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored a {result.vendor} backup made {result.created}, with "
                f"{result.media_files} media files."
            )
        )
