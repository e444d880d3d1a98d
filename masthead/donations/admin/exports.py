"""Listings whose CSV (or spreadsheet) export is written to Wagtail's audit log: a copy of
donors' names, addresses and gifts leaving the admin is a sensitive action, so the Logs
report says who took it and with which filters."""

from wagtail.log_actions import log

from masthead.core.exports import SafeCsvIndexView

EXPORT_DONATIONS_LOG_ACTION = "donations.export_donations"
EXPORT_SUPPORTERS_LOG_ACTION = "donations.export_supporters"


class AuditedExportIndexView(SafeCsvIndexView):
    """A listing whose every export is logged against the editor who took it; subclasses
    name the log action in ``export_log_action``."""

    export_log_action = ""

    def render_to_response(self, context, **response_kwargs):
        if self.is_export:
            log(
                self.request.user,
                self.export_log_action,
                user=self.request.user,
                data={
                    "format": self.request.GET.get("export"),
                    "query": self.request.GET.urlencode(),
                },
            )
        return super().render_to_response(context, **response_kwargs)
