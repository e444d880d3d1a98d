"""Registers the donations' admin: one "Donations" menu item holding its viewsets, the
supporters report (its URL and its place in the Reports menu), and the audit-log wording of
the refund action and of the listings' exports."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSetGroup

from masthead.donations.actions import RefundDonation
from masthead.donations.admin import costs, donations, exports, reports, supporters


class DonationsAdminGroup(ViewSetGroup):
    """One "Donations" menu for everything about readers' money and the outlet's costs."""

    menu_label = _("Donations")
    menu_icon = "pick"
    menu_order = 260
    items = [*donations.viewsets, *supporters.viewsets, *costs.viewsets]


@hooks.register("register_admin_viewset")
def register_donations_admin():
    return DonationsAdminGroup()


@hooks.register("register_admin_urls")
def register_report_url():
    return [
        path(
            "reports/supporters/",
            reports.SupportersReportView.as_view(),
            name="donations_report",
        )
    ]


@hooks.register("register_reports_menu_item")
def register_report_menu_item():
    return reports.ReportMenuItem(
        _("Supporters"), reverse("donations_report"), icon_name="table", order=700
    )


@hooks.register("register_log_actions")
def register_donation_log_actions(log_actions):
    log_actions.register_action(
        RefundDonation.log_action, _("Refund donation"), _("Donation refunded")
    )
    log_actions.register_action(
        exports.EXPORT_DONATIONS_LOG_ACTION, _("Export donations"), _("Donations exported")
    )
    log_actions.register_action(
        exports.EXPORT_SUPPORTERS_LOG_ACTION,
        _("Export recurring supporters"),
        _("Recurring supporters exported"),
    )
