"""The ``cache`` management command: ``masthead cache clear``."""

from django.core.management.base import BaseCommand

from masthead.core.cache import GENERATION_CHECK_SECONDS, invalidate_pages


class Command(BaseCommand):
    """Operate on the page cache; ``clear`` empties it for every web process at once.

    Clearing starts a new page-cache generation in the shared cache rather than deleting
    keys: cached pages and the rendered fragments of pages (kept by each process for the
    generation they were made in) are then ignored everywhere, while sessions, rate limits
    and sign-in lockouts kept in the same cache stay as they are.
    """

    help = (
        "clear: empty the page cache and the rendered parts of pages, for every web process "
        "(after an upgrade, or when a page shows something out of date)."
    )

    def add_arguments(self, parser):
        subcommands = parser.add_subparsers(dest="action", required=True)
        subcommands.add_parser(
            "clear", help="Empty the page cache and every process's rendered page fragments."
        )

    def handle(self, *args, action, **options):
        invalidate_pages()
        self.stdout.write(
            "Emptied the page cache: every web process renders pages afresh within "
            f"{GENERATION_CHECK_SECONDS:g} seconds."
        )
