"""Wagtail admin for donations: donations and recurring supporters (filters, CSV export,
refunds through the provider), the supporters report, and the costs and goals behind the
funding page."""

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views.generic.edit import FormView
from wagtail import hooks
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic import CreateView, InspectView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import Button

from masthead.core.exports import SafeCsvIndexView
from masthead.donations import services
from masthead.donations.models import (
    CostCategory,
    Donation,
    FundingGoal,
    MonthlyCost,
    RecurringDonation,
)
from masthead.payments.money import InvalidAmount, format_money, parse_amount
from masthead.payments.providers.base import PaymentProviderError
from masthead.payments.services import PaymentsUnavailable


class NoCreateView(CreateView):
    """Donations and supporters come only from payments, never typed in by hand."""

    def dispatch(self, request, *args, **kwargs):
        return redirect(self.index_url_name)


class DonationFilterSet(WagtailFilterSet):
    """Filter donations by status, kind, renewal and when they were paid."""

    status = django_filters.ChoiceFilter(label=_("Status"), choices=Donation.Status.choices)
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Donation.Kind.choices)
    is_renewal = django_filters.BooleanFilter(label=_("Renewal"))
    paid_at = django_filters.DateFromToRangeFilter(
        label=_("Paid between"), widget=DateRangePickerWidget
    )

    class Meta:
        model = Donation
        fields = ["status", "kind", "is_renewal", "paid_at"]


class DonationIndexView(SafeCsvIndexView):
    """The donations listing, with the supporters report one click away."""

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
    """A donation's details, with a refund button while something is left to refund."""

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
        if not request.user.has_perm("donations.change_donation"):
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
        try:
            services.refund_donation(self.donation, form.cleaned_data["amount"])
        except (services.NotAllowed, InvalidAmount) as error:
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


class CostCategoryViewSet(ModelViewSet):
    """The kinds of cost shown on the funding page; editors rename and add them."""

    model = CostCategory
    icon = "tag"
    menu_label = _("Cost categories")
    form_fields = ["name", "description", "sort_order"]
    list_display = ["name", "sort_order"]
    copy_view_enabled = False


class MonthlyCostViewSet(ModelViewSet):
    """The outlet's costs, month by month and category by category."""

    model = MonthlyCost
    icon = "doc-full"
    menu_label = _("Monthly costs")
    form_fields = ["month", "category", "amount", "currency", "note"]
    list_display = ["month", "category", "amount", "note"]
    list_filter = ["category", "month"]


class FundingGoalViewSet(ModelViewSet):
    """How much the outlet aims to raise from readers each month."""

    model = FundingGoal
    icon = "success"
    menu_label = _("Funding goals")
    form_fields = ["month", "amount", "currency"]
    list_display = ["month", "amount"]
    copy_view_enabled = False


class DonationsAdminGroup(ViewSetGroup):
    """One "Donations" menu for everything about readers' money and the outlet's costs."""

    menu_label = _("Donations")
    menu_icon = "pick"
    menu_order = 260
    items = [
        DonationViewSet("donations", url_namespace="donation_admin"),
        RecurringDonationViewSet("supporters"),
        MonthlyCostViewSet("monthly_costs"),
        FundingGoalViewSet("funding_goals"),
        CostCategoryViewSet("cost_categories"),
    ]


class SupportersReportView(WagtailAdminTemplateMixin, FormView):
    """Monthly recurring income, and per month: income, new and lost supporters."""

    template_name = "donations/admin/report.html"
    page_title = _("Supporters report")
    header_icon = "table"
    form_class = forms.Form

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("donations.view_donation"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        config = services.donation_settings()
        return super().get_context_data(
            currency=config.currency,
            monthly_recurring_income=services.monthly_recurring_income(config.currency),
            rows=list(reversed(services.supporters_report(12, currency=config.currency))),
            **kwargs,
        )


@hooks.register("register_admin_viewset")
def register_donations_admin():
    return DonationsAdminGroup()


@hooks.register("register_admin_urls")
def register_report_url():
    return [path("reports/supporters/", SupportersReportView.as_view(), name="donations_report")]


class ReportMenuItem(MenuItem):
    """Shown only to those who may see donations."""

    def is_shown(self, request):
        return request.user.has_perm("donations.view_donation")


@hooks.register("register_reports_menu_item")
def register_report_menu_item():
    return ReportMenuItem(
        _("Supporters"), reverse("donations_report"), icon_name="table", order=700
    )
