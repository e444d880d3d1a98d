"""Template helpers for the funding bar that the lead places on articles and the home page."""

from django import template

from masthead.core.fragments import site_fragment
from masthead.donations.funding import month_funding

register = template.Library()


@register.simple_tag
def current_funding():
    """This month's funding figures (costs, readers' income, percentage covered).

    The same for every reader and shown twice on some pages, so each process works them out
    at most once a second (see ``masthead.core.fragments``)."""
    return site_fragment("donations:month-funding", month_funding)
