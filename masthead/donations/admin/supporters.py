"""Admin for readers who give every month: the recurring supporters listing (filters, CSV
export written to the audit log) and a supporter's details with their history (amount
changes, refused payment events)."""

import django_filters
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.views.generic import InspectView
from wagtail.admin.viewsets.model import ModelViewSet

from masthead.donations.admin.donations import NoCreateView, filter_refused_events
from masthead.donations.admin.exports import (
    EXPORT_SUPPORTERS_LOG_ACTION,
    AuditedExportIndexView,
)
from masthead.donations.models import RecurringDonation


class RecurringFilterSet(WagtailFilterSet):
    """Filter supporters by status and when they started or stopped."""

    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=RecurringDonation.Status.choices
    )
    started_at = django_filters.DateFromToRangeFilter(
        label=_("Started between"), widget=DateRangePickerWidget
    )
    cancelled_at = django_filters.DateFromToRangeFilter(
        label=_("Cancelled between"), widget=DateRangePickerWidget
    )
    refused_events = django_filters.BooleanFilter(
        label=_("Refused payment events"), method=filter_refused_events
    )

    class Meta:
        model = RecurringDonation
        fields = ["status", "started_at", "cancelled_at"]


class SupporterIndexView(AuditedExportIndexView):
    """The supporters listing; every export is logged."""

    export_log_action = EXPORT_SUPPORTERS_LOG_ACTION


class SupporterInspectView(InspectView):
    """A supporter's details and history."""

    template_name = "donations/admin/inspect.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(history=list(self.object.events.all()), **kwargs)


class RecurringDonationViewSet(ModelViewSet):
    """Readers who give every month: filter, export, inspect."""

    model = RecurringDonation
    icon = "repeat"
    menu_label = _("Recurring supporters")
    form_fields = ["email"]
    list_display = ["email", "amount_display", "status", "started_at", "cancelled_at"]
    list_export = [
        "reference",
        "email",
        "amount",
        "currency",
        "status",
        "provider",
        "subscription_id",
        "started_at",
        "cancelled_at",
        "last_payment_at",
    ]
    export_filename = "recurring-supporters"
    search_fields = ["email"]
    search_backend_name = None
    filterset_class = RecurringFilterSet
    index_view_class = SupporterIndexView
    add_view_class = NoCreateView
    inspect_view_class = SupporterInspectView
    inspect_view_enabled = True
    copy_view_enabled = False


viewsets = [RecurringDonationViewSet("supporters")]
