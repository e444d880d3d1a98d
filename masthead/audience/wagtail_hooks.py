"""Registers the Audience area in the admin (its menu item and URLs) and turns the admin's
home page into the newsroom's desk: audience's own panels (today's audience, scheduled
pages, the viewer's drafts) and those other apps registered with ``desk.register_desk_panel``.
The article figures panel lives in the edit screen's status panel (see the template
override ``wagtailadmin/shared/side_panels/status.html``)."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from masthead.audience import desk
from masthead.audience.admin import panels, views


@hooks.register("register_admin_urls")
def register_audience_urls():
    return [
        path("audience/", views.DashboardView.as_view(), name="audience_dashboard"),
        path("audience/export/<str:table>/", views.ExportView.as_view(), name="audience_export"),
    ]


@hooks.register("register_admin_menu_item")
def register_audience_menu():
    return MenuItem(_("Audience"), reverse("audience_dashboard"), icon_name="view", order=150)


@hooks.register("construct_homepage_panels")
def build_the_desk(request, home_panels):
    home_panels.extend(
        [
            panels.TodayPanel(),
            panels.ScheduledPagesPanel(),
            panels.DraftsPanel(),
            *desk.registered_panels(request),
        ]
    )
