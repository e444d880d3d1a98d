"""The outlet's name and logo for the admin's branding (the templates in
``core/templates/wagtailadmin/``): the admin is the outlet's, never Wagtail's."""

from django import template
from wagtail.models import Site

from masthead.core.models import SiteSettings

register = template.Library()


@register.simple_tag
def outlet_branding():
    """The default site's SiteSettings (outlet name and logo), or None before a site exists."""
    site = Site.objects.filter(is_default_site=True).first()
    return SiteSettings.for_site(site) if site else None
