"""The admin's import screens: start an import, watch it run, read its report, list past
runs; and a read-only listing of the comments kept from an old site.

Importing changes the whole site, so it is for Administrators only
(``transfer.add_importrun``, granted to the Administrators group; superusers have it).
Archived comments are read by Editors and Administrators (``transfer.view_archivedcomment``).
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from masthead.transfer.models import ArchivedComment, ImportRun

IMPORT_PERMISSION = "transfer.add_importrun"
ARCHIVED_COMMENTS_PERMISSION = "transfer.view_archivedcomment"
START_LOG_ACTION = "transfer.import_started"

LOG_ACTIONS = ((START_LOG_ACTION, _("Start an import"), _("Import started")),)


def may_import(user):
    return bool(user and user.is_active and user.has_perm(IMPORT_PERMISSION))


def may_view_archived_comments(user):
    return bool(user and user.is_active and user.has_perm(ARCHIVED_COMMENTS_PERMISSION))


class ImportPermissionMixin:
    def dispatch(self, request, *args, **kwargs):
        if not may_import(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class ImportListView(ImportPermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    """Every import run, newest first."""

    template_name = "transfer/import_list.html"
    page_title = _("Imports")
    header_icon = "download"

    def get_context_data(self, **kwargs):
        return super().get_context_data(runs=ImportRun.objects.all()[:100], **kwargs)


class ImportStartView(ImportListView):
    """Choose the kind, upload the files and the options, and start the import."""

    template_name = "transfer/import_start.html"
    page_title = _("New import")


class ImportRunView(ImportPermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    """One run: its progress while it runs, then its report."""

    template_name = "transfer/import_run.html"
    page_title = _("Import")
    header_icon = "download"

    def get_context_data(self, **kwargs):
        run = get_object_or_404(ImportRun, pk=self.kwargs["pk"])
        return super().get_context_data(run=run, **kwargs)


class ArchivedCommentListView(WagtailAdminTemplateMixin, TemplateView):
    """The comments kept from an old site, newest first (read-only)."""

    template_name = "transfer/archived_comments.html"
    page_title = _("Archived comments")
    header_icon = "comment"

    def dispatch(self, request, *args, **kwargs):
        if not may_view_archived_comments(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        comments = ArchivedComment.objects.select_related("article").order_by("-posted_at")
        return super().get_context_data(comments=comments[:100], **kwargs)
