"""The outlet's fediverse handle for the site's "follow us" block (core's footer)."""

from django import template
from django.conf import settings

from masthead.social.documents import handle_host

register = template.Library()


@register.inclusion_tag("social/includes/fediverse_handle.html")
def fediverse_handle():
    """The handle (@news@host) as selectable text, with a copy button that its script shows."""
    return {"handle": f"@{settings.SOCIAL_ACTOR_NAME}@{handle_host()}"}
