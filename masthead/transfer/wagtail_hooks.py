"""Registers the "Import and export" area of the admin: its menu (a submenu other parts of
transfer add their items to through the ``register_import_export_menu_item`` hook), the
import screens' URLs, the read-only listing of archived comments (linked from the header
menu of a page that has some), and the audit-log wording of an import started from the
admin and of the export of everything started and downloaded."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.admin.widgets import Button

from masthead.transfer import export_runs, tasks
from masthead.transfer.admin import export as export_admin
from masthead.transfer.admin import imports
from masthead.transfer.models import ArchivedComment

MENU_HOOK = "register_import_export_menu_item"


class ImportMenuItem(MenuItem):
    def is_shown(self, request):
        return imports.may_import(request.user)


class ArchivedCommentsMenuItem(MenuItem):
    def is_shown(self, request):
        return imports.may_view_archived_comments(request.user)


@hooks.register("register_admin_urls")
def register_import_urls():
    return [
        path("import/", imports.ImportListView.as_view(), name="transfer_import_list"),
        path("import/new/", imports.ImportStartView.as_view(), name="transfer_import_start"),
        path("import/<int:pk>/", imports.ImportRunView.as_view(), name="transfer_import_run"),
        path(
            "archived-comments/",
            imports.ArchivedCommentListView.as_view(),
            name="transfer_archived_comments",
        ),
    ]


@hooks.register(MENU_HOOK)
def register_import_menu_item():
    return ImportMenuItem(
        _("Import"), reverse("transfer_import_list"), icon_name="download", order=10
    )


@hooks.register(MENU_HOOK)
def register_archived_comments_menu_item():
    return ArchivedCommentsMenuItem(
        _("Archived comments"), reverse("transfer_archived_comments"), icon_name="comment", order=30
    )


@hooks.register("register_admin_menu_item")
def register_import_export_menu():
    submenu = Menu(register_hook_name=MENU_HOOK)
    return SubmenuMenuItem(_("Import and export"), submenu, icon_name="resubmit", order=900)


@hooks.register("register_page_header_buttons")
def archived_comments_button(page, user, view_name, next_url=None):
    """In a page's header menu, its archived comments, when it has any."""
    if not imports.may_view_archived_comments(user):
        return
    count = ArchivedComment.objects.filter(article_id=page.pk).count()
    if count:
        yield Button(
            _("Archived comments (%(count)s)") % {"count": count},
            f"{reverse('transfer_archived_comments')}?article={page.pk}",
            icon_name="comment",
            priority=80,
        )


class ExportMenuItem(MenuItem):
    def is_shown(self, request):
        return export_admin.may_export(request.user)


@hooks.register("register_admin_urls")
def register_export_urls():
    return [
        path("export/", export_admin.ExportView.as_view(), name="transfer_export"),
        path(
            "export/download/",
            export_admin.ExportDownloadView.as_view(),
            name="transfer_export_download",
        ),
    ]


@hooks.register(MENU_HOOK)
def register_export_menu_item():
    return ExportMenuItem(_("Export"), reverse("transfer_export"), icon_name="upload", order=20)


@hooks.register("register_log_actions")
def register_transfer_log_actions(log_actions):
    for action, label, message in (*tasks.LOG_ACTIONS, *export_runs.LOG_ACTIONS):
        log_actions.register_action(action, label, message)
