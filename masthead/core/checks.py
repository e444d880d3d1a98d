"""``manage.py check --deploy`` warnings for what a production outlet must not be left
with: links that say http:// or the wrong host, email that only prints to the console, and
nobody to tell about errors. Registered from ``masthead.core.wiring``; the payments checks
are in ``masthead.payments.checks``.

Each check looks at settings only, but the default Site's address is in the database: with
the database unreachable that check stays silent rather than fail the whole command.
"""

from django.conf import settings
from django.core.checks import Tags, Warning
from django.db import DatabaseError

from masthead.core.sites import default_site, site_url_host_and_port

CONSOLE_EMAIL_BACKENDS = (
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
)


def check_site_url(app_configs=None, **kwargs):
    """SITE_URL must be set, and to an https:// address: every link in every email and
    every canonical link is built from it."""
    if settings.SITE_URL.startswith("https://"):
        return []
    return [
        Warning(
            f"SITE_URL is {settings.SITE_URL!r}, not an https:// address.",
            hint="Set SITE_URL to the outlet's public address, e.g. https://news.example.org.",
            id="masthead.W001",
        )
    ]


def check_email(app_configs=None, **kwargs):
    """EMAIL_URL left at console:// prints every email (sign-up confirmations, receipts)
    to the log instead of sending it."""
    if settings.EMAIL_BACKEND not in CONSOLE_EMAIL_BACKENDS:
        return []
    return [
        Warning(
            f"EMAIL_URL is {settings.EMAIL_URL!r}: no email leaves this server.",
            hint="Set EMAIL_URL to smtp://... or anymail://<esp> (see README, Configuration).",
            id="masthead.W002",
        )
    ]


def check_default_site(app_configs=None, **kwargs):
    """The default Site's host and port must be SITE_URL's, or canonical links, the sitemap
    and the feeds name another address (http://localhost/ until someone edits Sites)."""
    try:
        site = default_site()
    except DatabaseError:
        return []
    if site is None or (site.hostname, site.port) == site_url_host_and_port():
        return []
    hostname, port = site_url_host_and_port()
    return [
        Warning(
            f"The default site answers at {site.hostname}:{site.port}, but SITE_URL is "
            f"{settings.SITE_URL!r} ({hostname}:{port}): canonical links and the sitemap "
            "would name the wrong address.",
            hint=f"Run `masthead use_site_url` (or, in Settings > Sites, give the default "
            f"site the host name {hostname!r} and port {port}).",
            id="masthead.W003",
        )
    ]


def check_admin_emails(app_configs=None, **kwargs):
    """With ADMIN_EMAILS empty, nobody hears of a server error."""
    if settings.ADMINS:
        return []
    return [
        Warning(
            "ADMIN_EMAILS is empty: nobody is emailed when a page fails.",
            hint="Set ADMIN_EMAILS to the addresses that should hear of errors.",
            id="masthead.W004",
        )
    ]


DEPLOY_CHECKS = (check_site_url, check_email, check_default_site, check_admin_emails)
TAGS = (Tags.security,)
