"""The ``generate_articles`` management command."""

from django.core.management.base import BaseCommand, CommandError

from masthead.publishing.demo.generator import generate_articles


class Command(BaseCommand):
    """Add many published articles quickly, for benchmarks and load tests."""

    help = (
        "Add N published articles with generated headlines and bodies, spread across the "
        "existing sections and authors (a News section and a Newsroom author are created "
        "if there are none). Reports the throughput."
    )

    def add_arguments(self, parser):
        parser.add_argument("count", type=int, help="How many articles to add.")
        parser.add_argument(
            "--with-images",
            action="store_true",
            help="Give each article one of a handful of reused hero images.",
        )
        parser.add_argument(
            "--seed", type=int, default=None, help="Make the generated text repeatable."
        )

    def handle(self, *args, count, with_images=False, seed=None, **options):
        if count < 1:
            raise CommandError("N must be a positive number of articles.")
        result = generate_articles(count, with_images=with_images, seed=seed)
        self.stdout.write(
            self.style.SUCCESS(
                f"Added {result.articles} articles in {result.seconds:.1f}s "
                f"({result.per_second:.0f} articles/s)."
            )
        )
