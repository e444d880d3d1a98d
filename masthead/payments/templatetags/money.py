"""The ``money`` template filter: ``{{ amount|money:currency }}`` shows 1250 as "£12.50"."""

from django import template
from django.conf import settings

from masthead.payments.money import format_money

register = template.Library()


@register.filter
def money(amount, currency=None):
    """Format minor units in ``currency`` (the site's currency when omitted); anything that
    is not a whole number renders as an empty string rather than a wrong figure."""
    return format_money(amount, currency or settings.PAYMENTS_CURRENCY)
