"""The supporters report in the admin's Reports menu: monthly recurring income, and per
month the income and the supporters gained and lost."""

from django import forms
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from django.views.generic.edit import FormView
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from masthead.donations.funding import monthly_recurring_income, supporters_report
from masthead.donations.models import DonationSettings

# Who may see the report: whoever may see donations.
VIEW_PERMISSION = "donations.view_donation"


class SupportersReportView(WagtailAdminTemplateMixin, FormView):
    """Monthly recurring income, and per month: income, new and lost supporters."""

    template_name = "donations/admin/report.html"
    page_title = _("Supporters report")
    header_icon = "table"
    form_class = forms.Form

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(VIEW_PERMISSION):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        config = DonationSettings.current()
        return super().get_context_data(
            currency=config.currency,
            monthly_recurring_income=monthly_recurring_income(config.currency),
            rows=list(reversed(supporters_report(12, currency=config.currency))),
            **kwargs,
        )


class ReportMenuItem(MenuItem):
    """Shown only to those who may see donations."""

    def is_shown(self, request):
        return request.user.has_perm(VIEW_PERMISSION)
