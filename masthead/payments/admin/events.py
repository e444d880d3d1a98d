"""The payment provider event log in Wagtail's admin, read-only: what each provider sent
and what Masthead did with it, for answering "did that payment arrive?"."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies.base import ModelPermissionPolicy

from masthead.payments.models import ProviderEvent


class ViewOnlyPermissionPolicy(ModelPermissionPolicy):
    """Lets staff with the view permission read the log; nobody adds, edits or deletes an
    event, because the log is the record of what the provider said."""

    def user_has_permission(self, user, action):
        return action == "view" and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return "view" in actions and super().user_has_permission(user, "view")

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action)


class ProviderEventViewSet(ModelViewSet):
    """Lists provider events, newest first, with their outcome; each opens read-only."""

    model = ProviderEvent
    icon = "list-ul"
    menu_label = _("Payment events")
    menu_order = 290
    add_to_admin_menu = True
    url_prefix = "payments/events"
    list_display = ["event_type", "provider", "provider_event_id", "outcome", "received_at"]
    list_filter = ["provider", "event_type"]
    search_fields = ["provider_event_id", "event_type", "outcome"]
    inspect_view_enabled = True
    inspect_view_fields = [
        "provider",
        "provider_event_id",
        "event_type",
        "received_at",
        "processed_at",
        "outcome",
        "payload",
    ]
    copy_view_enabled = False
    # Wagtail builds an edit form for every model viewset; the policy never lets it be used.
    form_fields = ["outcome"]
