"""Registers the payments admin: the read-only provider event log and its permission
policy."""

from wagtail import hooks
from wagtail.permissions import register_permission_policy

from masthead.payments.admin.events import ProviderEventViewSet, ViewOnlyPermissionPolicy
from masthead.payments.models import ProviderEvent

register_permission_policy(ProviderEvent, ViewOnlyPermissionPolicy(ProviderEvent), exact_class=True)


@hooks.register("register_admin_viewset")
def register_provider_event_log():
    return ProviderEventViewSet("payment_events")
