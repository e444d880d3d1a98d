"""``{% payments_configured as can_pay %}``: whether the page may offer to take money
(``masthead.payments.availability``)."""

from django import template

from masthead.payments.availability import payments_configured as _payments_configured

register = template.Library()


@register.simple_tag
def payments_configured():
    """Whether a checkout can be opened on this outlet."""
    return _payments_configured()
