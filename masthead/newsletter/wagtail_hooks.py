"""Registers the newsletter's admin: one "Newsletter" menu item holding its viewsets, and the
audit-log wording of the campaign actions."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSetGroup

from masthead.newsletter import actions
from masthead.newsletter.admin import campaigns, imported_lists, subscribers


class NewsletterAdminGroup(ViewSetGroup):
    menu_label = _("Newsletter")
    menu_icon = "mail"
    menu_order = 250
    items = [*campaigns.viewsets, *subscribers.viewsets, *imported_lists.viewsets]


@hooks.register("register_admin_viewset")
def register_newsletter_admin():
    return NewsletterAdminGroup()


@hooks.register("register_log_actions")
def register_campaign_log_actions(log_actions):
    log_actions.register_action(
        actions.SendCampaignNow.log_action, _("Send campaign"), _("Campaign sending started")
    )
    log_actions.register_action(
        actions.ScheduleCampaign.log_action, _("Schedule campaign"), _("Campaign scheduled")
    )
    log_actions.register_action(
        actions.SendTestCampaign.log_action, _("Send test of campaign"), _("Test of campaign sent")
    )
    log_actions.register_action(
        actions.PauseCampaign.log_action, _("Pause campaign"), _("Campaign paused")
    )
    log_actions.register_action(
        actions.ResumeCampaign.log_action, _("Resume campaign"), _("Campaign resumed")
    )
    log_actions.register_action(
        actions.CancelCampaign.log_action, _("Cancel campaign"), _("Campaign cancelled")
    )
    log_actions.register_action(
        actions.RevokeSubscriberLinks.log_action, _("Revoke links"), _("Links revoked")
    )
    log_actions.register_action(
        subscribers.EXPORT_LOG_ACTION, _("Export subscribers"), _("Subscribers exported")
    )
    log_actions.register_action(
        subscribers.IMPORT_LOG_ACTION, _("Import subscribers"), _("Subscribers imported")
    )
    log_actions.register_action(
        imported_lists.CONFIRM_LOG_ACTION,
        _("Confirm imported list"),
        _("Imported list's consent basis confirmed"),
    )
