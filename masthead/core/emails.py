"""Transactional email: one message to one reader, as HTML with a plain-text alternative."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

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
