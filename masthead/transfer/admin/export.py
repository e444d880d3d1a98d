"""The admin's export screen: ask for an export of everything, watch it being built, and
download it.

Threat model: the archive holds every subscriber, donor and customer, so the screen, the
button and the download are for Administrators only (the import permission,
``transfer.add_importrun``, which only the Administrators group and superusers have),
checked on every request. The archive lies in a private folder outside MEDIA_ROOT and is
served only by the download view, by a name the server chose (never one from the request),
with ``Cache-Control: private, no-store``. Starting an export is a POST with Django's CSRF
check; an export already queued or running is not started twice. Starting one and
downloading it are written to Wagtail's audit log with the Administrator's name.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from masthead.transfer import export, export_runs, tasks
from masthead.transfer.admin.imports import REFRESH_SECONDS, may_import


def may_export(user):
    return may_import(user)


class ExportPermissionMixin:
    def dispatch(self, request, *args, **kwargs):
        if not may_export(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class ExportView(ExportPermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    """The export's state (none, queued, running with its progress, done with the download,
    failed with the reason) and the button that starts a new one."""

    template_name = "transfer/export.html"
    page_title = _("Export everything")
    header_icon = "upload"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": _("Export")}]

    def get(self, request, *args, **kwargs):
        export_runs.prune()
        self.state = export_runs.read_state()
        response = self.render_to_response(self.get_context_data())
        if export_runs.is_busy(self.state):
            response["Refresh"] = str(REFRESH_SECONDS)
        return response

    def post(self, request, *args, **kwargs):
        try:
            tasks.request_export(request.user)
        except export_runs.ExportBusy:
            messages.error(request, _("An export is already being made."))
        else:
            messages.success(request, _("The export has started."))
        return redirect("transfer_export")

    def get_context_data(self, **kwargs):
        state = self.state
        done, total = state.get("done", 0), state.get("total", 0)
        return super().get_context_data(
            state=state,
            busy=export_runs.is_busy(state),
            done=done,
            total=total,
            percent=int(100 * done / total) if total else 0,
            archive=export_runs.archive_path(state),
            refresh_seconds=REFRESH_SECONDS,
            keep_hours=settings.TRANSFER_EXPORT_KEEP_HOURS,
            secrets=export.SECRETS.values(),
            **kwargs,
        )


class ExportDownloadView(ExportPermissionMixin, View):
    """The finished archive, to Administrators only."""

    def get(self, request):
        path = export_runs.archive_path()
        if path is None:
            raise Http404("No export is ready.")
        export_runs.record_download(request.user, path)
        response = FileResponse(open(path, "rb"), as_attachment=True, filename=path.name)  # noqa: SIM115 - FileResponse closes it
        response["Cache-Control"] = "private, no-store"
        return response
