"""The newsroom's desk: the panels of the admin's home page, and where other apps add theirs.

Wagtail's home page already shows what waits on a person's review, their pages in review,
their recent edits and locked pages. The desk adds their scheduled pages and drafts, today's
audience (for Contributors, their own articles only), and whatever the apps above audience
register here with ``register_desk_panel``: this month's funding against costs and new
supporters (donations), orders to dispatch (shop), campaigns sending or scheduled
(newsletter). ``audience`` never imports those apps; each gives a ``DeskPanel`` whose
``lines(request)`` returns the figures as DeskLines, already formatted, and the permission
a viewer needs to see it (a Contributor sees no money).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from wagtail.admin.ui.components import Component


@dataclass(frozen=True)
class DeskLine:
    """One figure on a panel: ``label`` and ``value`` (text), linking to ``url`` if given."""

    label: str
    value: str
    url: str = ""


@dataclass(frozen=True)
class DeskPanel:
    """One app's panel: ``title``, ``lines(request)`` (a list of DeskLines; empty hides the
    panel), ``url_name`` the full screen it links to, and ``permission`` the viewer needs
    ("app_label.codename"; empty: anyone with admin access)."""

    name: str
    title: str
    lines: Callable
    url_name: str = ""
    permission: str = ""
    order: int = 400


_panels = {}


def register_desk_panel(panel):
    """Show ``panel`` on the admin's home page to those with its permission."""
    _panels[panel.name] = panel


def desk_panels():
    return sorted(_panels.values(), key=lambda panel: (panel.order, panel.name))


class FiguresPanel(Component):
    """A desk panel drawn from DeskLines, with a link to its full screen."""

    template_name = "audience/desk/panel.html"

    def __init__(self, name, title, lines, url="", order=400):
        self.name = name
        self.title = title
        self.lines = lines
        self.url = url
        self.order = order

    def get_context_data(self, parent_context):
        return {"panel": self, "lines": self.lines}

    def render_html(self, parent_context=None):
        if not self.lines:
            return ""
        return super().render_html(parent_context)


def registered_panels(request):
    """The registered panels ``request.user`` may see, as components."""
    shown = []
    for panel in desk_panels():
        if panel.permission and not request.user.has_perm(panel.permission):
            continue
        try:
            url = reverse(panel.url_name) if panel.url_name else ""
        except NoReverseMatch:
            url = ""
        shown.append(FiguresPanel(panel.name, panel.title, panel.lines(request), url, panel.order))
    return shown
