"""Listings whose CSV (or spreadsheet) export is written to Wagtail's audit log: a copy of
donors' names, addresses and gifts leaving the admin is a sensitive action, so the Logs
report says who took it and with which filters."""

from django.contrib.auth import get_user_model
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
            # request.user is a lazy proxy (two deep under django-otp's middleware), which
            # Wagtail's log registry does not see through: it would skip the entry silently.
            editor = get_user_model()._default_manager.get(pk=self.request.user.pk)
            log(
                editor,
                self.export_log_action,
                user=editor,
                data={
                    "format": self.request.GET.get("export"),
                    "query": self.request.GET.urlencode(),
                },
            )
        return super().render_to_response(context, **response_kwargs)
