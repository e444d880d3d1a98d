"""Admin template helpers: an article's audience figures in its edit screen's status panel."""

from django import template
from django.template.loader import render_to_string

from masthead.audience.admin.panels import article_panel_context

register = template.Library()


@register.simple_tag(takes_context=True)
def article_audience_panel(context, page):
    """The figures panel of ``page`` for the viewer, or nothing (not an article, not theirs)."""
    request = context.get("request")
    if request is None:
        return ""
    panel = article_panel_context(request.user, page)
    if panel is None:
        return ""
    return render_to_string("audience/admin/article_panel.html", panel, request=request)
