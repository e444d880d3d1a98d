"""What an editor does to a campaign's sending, as actions that check the editor's permission
and write who did it to Wagtail's audit log: send now, schedule, send a test, pause, resume
and cancel. The campaign admin goes through these; the work itself is in campaigns.py, which
refuses a change the campaign's status does not allow (CampaignError, nothing logged)."""

from masthead.core.actions import Action
from masthead.newsletter import campaigns, imported_lists, services


class CampaignAction(Action):
    """An action on one campaign's sending, open to editors who may change campaigns."""

    permission = "newsletter.change_campaign"


class CampaignSendingAction(CampaignAction):
    """An action that mails readers: open only to editors who may send campaigns, a
    permission of its own so that writing a campaign and sending it can be separate roles."""

    permission = "newsletter.send_campaign"


class SendCampaignNow(CampaignSendingAction):
    """Start sending the campaign to its recipients at once."""

    log_action = "newsletter.send_campaign"

    def perform(self):
        return campaigns.send_now(self.instance)


class ScheduleCampaign(CampaignSendingAction):
    """Send the campaign at a time in the future."""

    log_action = "newsletter.schedule_campaign"

    def __init__(self, instance, user, when):
        super().__init__(instance, user)
        self.when = when

    def perform(self):
        campaign = campaigns.schedule(self.instance, self.when)
        self.log_data = {"scheduled_at": self.when.isoformat()}
        return campaign


class SendTestCampaign(CampaignAction):
    """Send the campaign, marked as a test, to the acting editor's own address."""

    log_action = "newsletter.send_test_campaign"

    def perform(self):
        message = campaigns.send_test(self.instance, self.user)
        self.log_data = {"email": self.user.email}
        return message


class PauseCampaign(CampaignAction):
    """Stop claiming new deliveries of a campaign that is sending."""

    log_action = "newsletter.pause_campaign"

    def perform(self):
        return campaigns.pause(self.instance)


class ResumeCampaign(CampaignSendingAction):
    """Carry on sending a paused campaign where it stopped."""

    log_action = "newsletter.resume_campaign"

    def perform(self):
        return campaigns.resume(self.instance)


class CancelCampaign(CampaignAction):
    """Stop the campaign for good; recipients not yet mailed are skipped."""

    log_action = "newsletter.cancel_campaign"

    def perform(self):
        return campaigns.cancel(self.instance)


class RevokeSubscriberLinks(Action):
    """Make every link sent to one subscriber stop working (say, when they report that a
    forwarded email let someone else change their choices)."""

    permission = "newsletter.change_subscriber"
    log_action = "newsletter.revoke_links"

    def perform(self):
        return services.revoke_links(self.instance)


class ConfirmImportedList(Action):
    """An editor states on what basis the people on an imported list agreed to be mailed,
    and confirms it: from then on campaigns reach them. Open to editors who may send
    campaigns, since it decides who is mailed."""

    permission = "newsletter.send_campaign"
    log_action = "newsletter.confirm_imported_list"

    def __init__(self, instance, user, consent_basis):
        super().__init__(instance, user)
        self.consent_basis = consent_basis

    def perform(self):
        imported_list = imported_lists.confirm_list(self.instance, self.user, self.consent_basis)
        self.log_data = {
            "consent_basis": imported_list.consent_basis,
            "source": imported_list.source,
            "file": imported_list.filename,
            "subscribers": imported_list.count,
        }
        return imported_list
