"""Registers the editors' tools for readers' data: a "Readers' data" menu (find a person,
the register of requests) shown only to those with ``readers.manage_data_requests``, their
URLs, and the audit-log wording of the actions taken on a person's behalf."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem

from masthead.readers import actions
from masthead.readers.admin import views


class ManagerMenuItem(MenuItem):
    def is_shown(self, request):
        return actions.may_manage(request.user)


class ReadersDataMenuItem(SubmenuMenuItem):
    def is_shown(self, request):
        return actions.may_manage(request.user)


@hooks.register("register_admin_urls")
def register_readers_data_urls():
    return [
        path("readers-data/", views.FindPersonView.as_view(), name="readers_data_person"),
        path(
            "readers-data/export/",
            views.ExportOnBehalfView.as_view(),
            name="readers_data_export",
        ),
        path("readers-data/erase/", views.EraseOnBehalfView.as_view(), name="readers_data_erase"),
        path(
            "readers-data/requests/",
            views.RequestRegisterView.as_view(),
            name="readers_data_requests",
        ),
        path(
            "readers-data/requests/<int:pk>/download/",
            views.DownloadExportView.as_view(),
            name="readers_data_download",
        ),
        path(
            "readers-data/requests/<int:pk>/retry/",
            views.RetryRequestView.as_view(),
            name="readers_data_retry",
        ),
    ]


@hooks.register("register_admin_menu_item")
def register_readers_data_menu():
    submenu = Menu(
        items=[
            ManagerMenuItem(
                _("Find a person"), reverse("readers_data_person"), icon_name="search", order=10
            ),
            ManagerMenuItem(
                _("Requests"), reverse("readers_data_requests"), icon_name="list-ul", order=20
            ),
        ]
    )
    return ReadersDataMenuItem(_("Readers' data"), submenu, icon_name="user", order=270)


@hooks.register("register_log_actions")
def register_readers_data_log_actions(log_actions):
    for action, label, message in actions.LOG_ACTIONS:
        log_actions.register_action(action, label, message)
