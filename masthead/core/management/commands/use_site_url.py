"""The ``use_site_url`` management command: ``masthead use_site_url``."""

from django.core.management.base import BaseCommand

from masthead.core.sites import use_site_url_for_default_site


class Command(BaseCommand):
    """Give the default Wagtail Site SITE_URL's host name and port.

    Wagtail builds canonical links, the sitemap and the feeds from the Site, which the
    migrations create as localhost:80; SITE_URL is where the outlet's address is set, and
    this copies it over (``check --deploy`` warns until it has been run). Saving the Site
    empties the page cache.
    """

    help = (
        "Give the default site SITE_URL's host name and port, so canonical links, the "
        "sitemap and the feeds name SITE_URL (run once after setting or changing SITE_URL)."
    )

    def handle(self, *args, **options):
        self.stdout.write(use_site_url_for_default_site())
