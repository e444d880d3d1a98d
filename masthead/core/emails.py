"""Transactional email: one message to one reader, as HTML with a plain-text alternative;
and the host name every email names in its Message-ID."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import DNS_NAME, EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils.encoding import punycode

from masthead.core.sites import outlet_name


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


def use_site_host_in_message_ids():
    """Make every Message-ID Django generates end in the outlet's own host (SITE_URL's).

    Django takes the machine's host name for them (its cached ``DNS_NAME``), which on a
    server is whatever the provider named it (often ``localhost`` or ``debian``): spam
    filters count that against a message, and it tells every reader the server's name. The
    same name introduces the SMTP backend to the mail server (EHLO).
    """
    DNS_NAME._fqdn = punycode(urlsplit(settings.SITE_URL).hostname or "localhost")
