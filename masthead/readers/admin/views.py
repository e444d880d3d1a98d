"""The editors' pages: find a person by address, act on their behalf, the register.

Every page needs ``readers.manage_data_requests`` (superusers have it). The address is
always POSTed, never put in a URL, so it stays out of the web server's logs and the
browser's history.
"""

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView, View
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from masthead.readers import actions, identity, rights
from masthead.readers.models import DataRequest

REGISTER_PAGE_SIZE = 50
# Rows of one table shown on the person's page (the export has them all).
ROWS_SHOWN = 50


class PersonForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=254)


class ActOnBehalfForm(PersonForm):
    confirm = forms.BooleanField(
        required=False, label=_("I have checked who is asking, and they asked for this.")
    )


class ManagerRequiredMixin:
    def dispatch(self, request, *args, **kwargs):
        if not actions.may_manage(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class FindPersonView(ManagerRequiredMixin, WagtailAdminTemplateMixin, TemplateView):
    """Everything held under an address, in every app, with the actions on their behalf."""

    template_name = "readers/admin/person.html"
    page_title = _("Find a person")
    header_icon = "user"

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=PersonForm()))

    def post(self, request, *args, **kwargs):
        form = PersonForm(request.POST)
        context = {"form": form}
        if form.is_valid():
            address = form.cleaned_data["email"]
            reader = identity.transient(address)
            shares = rights.held(reader)
            context.update(
                address=address,
                known_reader=reader.pk is not None,
                shares=shares,
                total=sum(share.count for share in shares),
                rows_shown=ROWS_SHOWN,
                requests=DataRequest.objects.filter(
                    address_hash=identity.address_hash(address)
                ).order_by("-received_at")[:20],
            )
        return self.render_to_response(
            self.get_context_data(**context), status=200 if form.is_valid() else 400
        )


class ActOnBehalfView(ManagerRequiredMixin, View):
    """POST: export or erase on the person's behalf (erasure needs the confirmation)."""

    action_class = None

    def post(self, request):
        form = ActOnBehalfForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Give a valid email address."))
            return redirect("readers_data_person")
        if self.action_class is actions.EraseOnBehalf and not form.cleaned_data["confirm"]:
            messages.error(request, _("Tick the confirmation box to erase a person's data."))
            return redirect("readers_data_person")
        data_request = self.action_class(form.cleaned_data["email"], request.user).execute()
        data_request.refresh_from_db()
        messages.success(
            request,
            _("Request %(number)s registered: %(kind)s, %(status)s.")
            % {
                "number": data_request.pk,
                "kind": data_request.get_kind_display(),
                "status": data_request.get_status_display(),
            },
        )
        return redirect("readers_data_requests")


class ExportOnBehalfView(ActOnBehalfView):
    action_class = actions.ExportOnBehalf


class EraseOnBehalfView(ActOnBehalfView):
    action_class = actions.EraseOnBehalf


class RequestRegisterView(ManagerRequiredMixin, WagtailAdminTemplateMixin, TemplateView):
    """Every data-rights request: received, due, status, completed; overdue highlighted."""

    template_name = "readers/admin/requests.html"
    page_title = _("Data requests")
    header_icon = "list-ul"

    def get_context_data(self, **kwargs):
        now = timezone.now()
        queryset = DataRequest.objects.select_related("requested_by").order_by("-received_at")
        page = Paginator(queryset, REGISTER_PAGE_SIZE).get_page(self.request.GET.get("p"))
        rows = [
            {
                "request": data_request,
                "overdue": rights.is_overdue(data_request, now),
                "downloadable": (
                    data_request.requested_by_id is not None
                    and bool(data_request.file_name)
                    and data_request.download_expires_at is not None
                    and data_request.download_expires_at > now
                ),
                "retryable": data_request.status
                in (DataRequest.Status.FAILED, DataRequest.Status.WAITING),
            }
            for data_request in page
        ]
        overdue = DataRequest.objects.filter(completed_at__isnull=True, due_at__lt=now).count()
        return super().get_context_data(page=page, rows=rows, overdue=overdue, **kwargs)


class DownloadExportView(ManagerRequiredMixin, View):
    """An editor's copy of a person's data (only copies editors asked for)."""

    def get(self, request, pk):
        data_request = get_object_or_404(DataRequest, pk=pk, kind=DataRequest.Kind.EXPORT)
        try:
            path = actions.DownloadExport(data_request, request.user).execute()
        except rights.LinkExpired:
            raise Http404 from None
        return FileResponse(
            path.open("rb"),
            as_attachment=True,
            filename=f"reader-data-{data_request.pk}.zip",
            content_type="application/zip",
        )


class RetryRequestView(ManagerRequiredMixin, View):
    def post(self, request, pk):
        data_request = get_object_or_404(
            DataRequest,
            pk=pk,
            status__in=(DataRequest.Status.FAILED, DataRequest.Status.WAITING),
        )
        actions.RetryRequest(data_request, request.user).execute()
        messages.success(request, _("Request %(number)s is running again.") % {"number": pk})
        return redirect("readers_data_requests")
