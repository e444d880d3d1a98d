"""Admin for readers' payments: the donations listing (filters, CSV export written to the
audit log), a donation's details with its history (payment events refused because they did
not match it), and refunds through the provider (the ``RefundDonation`` action)."""

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views.generic.edit import FormView
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.views.generic import CreateView, InspectView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import Button

from masthead.donations.actions import RefundDonation
from masthead.donations.admin.exports import EXPORT_DONATIONS_LOG_ACTION, AuditedExportIndexView
from masthead.donations.models import Donation, DonationEvent
from masthead.donations.refunds import NotRefundable
from masthead.payments.money import InvalidAmount, format_money, parse_amount
from masthead.payments.providers.base import PaymentProviderError
from masthead.payments.services import PaymentsUnavailable


class NoCreateView(CreateView):
    """Donations and supporters come only from payments, never typed in by hand."""

    def dispatch(self, request, *args, **kwargs):
        return redirect(self.index_url_name)


def filter_refused_events(queryset, name, value):
    """Gifts with (True) or without (False) a payment event refused as not matching them."""
    refused = Q(events__kind__in=DonationEvent.REFUSALS)
    return queryset.filter(refused).distinct() if value else queryset.exclude(refused)


class DonationFilterSet(WagtailFilterSet):
    """Filter donations by status, kind, renewal, when they were paid, and whether a
    payment event was refused for them."""

    status = django_filters.ChoiceFilter(label=_("Status"), choices=Donation.Status.choices)
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Donation.Kind.choices)
    is_renewal = django_filters.BooleanFilter(label=_("Renewal"))
    paid_at = django_filters.DateFromToRangeFilter(
        label=_("Paid between"), widget=DateRangePickerWidget
    )
    refused_events = django_filters.BooleanFilter(
        label=_("Refused payment events"), method=filter_refused_events
    )

    class Meta:
        model = Donation
        fields = ["status", "kind", "is_renewal", "paid_at"]


class DonationIndexView(AuditedExportIndexView):
    """The donations listing, with the supporters report one click away; every export is
    logged."""

    export_log_action = EXPORT_DONATIONS_LOG_ACTION

    @cached_property
    def header_more_buttons(self):
        buttons = super().header_more_buttons.copy()
        buttons.append(
            Button(
                _("Supporters report"),
                url=reverse("donations_report"),
                icon_name="table",
                priority=60,
            )
        )
        return buttons


class DonationInspectView(InspectView):
    """A donation's details and history, with a refund button while something is left to
    refund."""

    template_name = "donations/admin/inspect.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(history=list(self.object.events.all()), **kwargs)

    @cached_property
    def header_more_buttons(self):
        buttons = super().header_more_buttons.copy()
        donation = self.object
        if (
            donation.status == Donation.Status.PAID
            and donation.payment_id
            and self.permission_policy.user_has_permission(self.request.user, "change")
        ):
            buttons.append(
                Button(
                    _("Refund"),
                    url=reverse("donation_admin:refund", args=[donation.pk]),
                    icon_name="undo",
                    priority=10,
                )
            )
        return buttons


class RefundForm(forms.Form):
    """How much of a donation to give back; empty means all that is left."""

    amount = forms.CharField(
        label=_("Amount to refund"),
        max_length=20,
        required=False,
        help_text=_("Leave empty to refund everything not yet refunded."),
    )

    def __init__(self, *args, donation, **kwargs):
        super().__init__(*args, **kwargs)
        self.donation = donation

    def clean_amount(self):
        text = self.cleaned_data["amount"].strip()
        if not text:
            return None
        remaining = self.donation.amount - self.donation.refunded_amount
        try:
            return parse_amount(text, self.donation.currency, minimum=1, maximum=remaining)
        except InvalidAmount as error:
            raise forms.ValidationError(str(error)) from error


class RefundView(WagtailAdminTemplateMixin, FormView):
    """Refund all or part of a paid donation through its payment provider."""

    form_class = RefundForm
    template_name = "donations/admin/refund.html"
    page_title = _("Refund donation")
    header_icon = "undo"

    def dispatch(self, request, pk):
        # The action checks this too; checking first spares a refused editor the form.
        if not request.user.has_perm(RefundDonation.permission):
            raise PermissionDenied
        self.donation = get_object_or_404(Donation, pk=pk)
        return super().dispatch(request, pk)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "donation": self.donation}

    def get_context_data(self, **kwargs):
        remaining = self.donation.amount - self.donation.refunded_amount
        return super().get_context_data(
            donation=self.donation,
            remaining=format_money(remaining, self.donation.currency),
            **kwargs,
        )

    def form_valid(self, form):
        action = RefundDonation(self.donation, self.request.user, form.cleaned_data["amount"])
        try:
            action.execute()
        except (NotRefundable, InvalidAmount) as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        except (PaymentProviderError, PaymentsUnavailable) as error:
            form.add_error(None, _("The payment provider refused: %(error)s") % {"error": error})
            return self.form_invalid(form)
        messages.success(self.request, _("The refund was sent to the payment provider."))
        return redirect("donation_admin:inspect", self.donation.pk)


class DonationViewSet(ModelViewSet):
    """Every payment readers made: filter, export, inspect, refund. Editors may change only
    how a gift is credited in public."""

    model = Donation
    icon = "pick"
    menu_label = _("Donations")
    form_fields = ["public_name", "message", "anonymous"]
    list_display = ["email", "amount_display", "kind", "status", "is_renewal", "paid_at"]
    list_export = [
        "reference",
        "email",
        "kind",
        "is_renewal",
        "amount",
        "fee_amount",
        "refunded_amount",
        "currency",
        "status",
        "public_name",
        "message",
        "anonymous",
        "provider",
        "payment_id",
        "created_at",
        "paid_at",
    ]
    export_filename = "donations"
    search_fields = ["email", "public_name"]
    search_backend_name = None
    filterset_class = DonationFilterSet
    index_view_class = DonationIndexView
    add_view_class = NoCreateView
    inspect_view_class = DonationInspectView
    inspect_view_enabled = True
    inspect_view_fields = [
        "reference",
        "email",
        "reader",
        "kind",
        "is_renewal",
        "amount",
        "fee_amount",
        "refunded_amount",
        "currency",
        "status",
        "public_name",
        "message",
        "anonymous",
        "provider",
        "checkout_id",
        "payment_id",
        "invoice_id",
        "failure_reason",
        "created_at",
        "paid_at",
        "disputed_at",
        "receipt_sent_at",
    ]
    copy_view_enabled = False

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("refund/<int:pk>/", RefundView.as_view(), name="refund"),
        ]


viewsets = [DonationViewSet("donations", url_namespace="donation_admin")]
