"""The double opt-in email: one message to one person who asked to join, with the link that
confirms it. Transactional, so it markets nothing."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from masthead.core.sites import outlet_name
from masthead.newsletter import tokens
from masthead.newsletter.consent import refuses_sign_up
from masthead.newsletter.models import ConsentRecord, Newsletter


def transactional_from_email():
    """Sender of confirmation emails: NEWSLETTER_TRANSACTIONAL_FROM_EMAIL or the site's."""
    return settings.NEWSLETTER_TRANSACTIONAL_FROM_EMAIL or settings.DEFAULT_FROM_EMAIL


def send_confirmation_email(consent_record_id, newsletter_ids, name=""):
    """Send the double opt-in email for one opt-in record: HTML and plain text, no marketing."""
    record = ConsentRecord.objects.select_related("subscriber").filter(pk=consent_record_id).first()
    if record is None or refuses_sign_up(record.subscriber.email):
        return False
    subscriber = record.subscriber
    newsletters = list(Newsletter.objects.filter(pk__in=newsletter_ids))
    context = {
        "subscriber": subscriber,
        "newsletters": newsletters,
        "confirm_url": tokens.confirmation_url(subscriber, record, newsletter_ids, name),
        "outlet_name": outlet_name(),
        "valid_days": settings.NEWSLETTER_CONFIRM_MAX_AGE // (24 * 3600),
        "site_url": settings.SITE_URL,
    }
    subject = render_to_string("newsletter/transactional/confirm_subject.txt", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=render_to_string("newsletter/transactional/confirm.txt", context),
        from_email=transactional_from_email(),
        to=[subscriber.email],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(
        render_to_string("newsletter/transactional/confirm.html", context), "text/html"
    )
    message.send()
    return True
