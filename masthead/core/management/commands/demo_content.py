"""The ``demo_content`` management command."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from masthead.core.demo import demo_parts


class Command(BaseCommand):
    """Build the demo outlet (The Riverside Ledger), part by part, unless it is there.

    ``masthead demo`` runs this on every start, so when the demo exists it returns after one
    quick query per part.
    """

    help = (
        "Build the demo outlet: sections, writers, articles, plain pages, pictures, site "
        "settings, newsletters and the admin, editor and contributor accounts (password "
        "masthead-demo). Does nothing if the demo is already there, unless --reset is given."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the existing demo content, then build it afresh.",
        )

    def handle(self, *args, reset=False, **options):
        # The demo creates accounts with a published password and fictional supporters; on a
        # real outlet's database it would be a break-in waiting to happen.
        if settings.PRODUCTION:
            raise CommandError("demo_content refuses to run in production mode.")
        parts = demo_parts()
        if reset:
            for part in reversed(parts):
                if part.is_present():
                    part.remove()
            self.stdout.write("Removed the existing demo content.")
        missing = [part for part in parts if not part.is_present()]
        if not missing:
            self.stdout.write("The demo content is already there; use --reset to rebuild it.")
            return
        for part in missing:
            self.stdout.write(self.style.SUCCESS(part.build()))
