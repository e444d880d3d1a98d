"""The outlet as emails, packing slips and other work outside a request see it: the default
site, its name, absolute links to it, and its transactional emails."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from wagtail.models import Site


def default_site():
    """The site marked default, else the first one (None before any site exists)."""
    return Site.objects.filter(is_default_site=True).first() or Site.objects.first()


def outlet_name():
    """The outlet's name from the default site's settings (WAGTAIL_SITE_NAME until set)."""
    from masthead.core.models import SiteSettings

    site = default_site()
    if site is None:
        return settings.WAGTAIL_SITE_NAME
    return SiteSettings.for_site(site).outlet_name or settings.WAGTAIL_SITE_NAME


def absolute_url(path):
    """``path`` (site-relative, starting with /) as a full address under SITE_URL."""
    return settings.SITE_URL.rstrip("/") + path


def send_transactional_email(template, subject, to, context):
    """Send one transactional email (a receipt, an order confirmation) as HTML with a plain
    text alternative, from ``template``.html and ``template``.txt. Nothing sent this way may
    market anything: it carries no unsubscribe link because it needs none."""
    context = {"outlet_name": outlet_name(), "site_url": settings.SITE_URL, **context}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    message.send()
