"""Template helpers for the funding bar that the lead places on articles and the home page."""

from django import template

from masthead.donations import services

register = template.Library()


@register.simple_tag
def current_funding():
    """This month's funding figures (costs, readers' income, percentage covered)."""
    return services.month_funding()
