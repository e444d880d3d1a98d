"""Admin for readers who give every month: the recurring supporters listing (filters, CSV
export) and a supporter's details."""

import django_filters
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.viewsets.model import ModelViewSet

from masthead.core.exports import SafeCsvIndexView
from masthead.donations.admin.donations import NoCreateView
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

    class Meta:
        model = RecurringDonation
        fields = ["status", "started_at", "cancelled_at"]


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
    index_view_class = SafeCsvIndexView
    add_view_class = NoCreateView
    inspect_view_enabled = True
    copy_view_enabled = False


viewsets = [RecurringDonationViewSet("supporters")]
