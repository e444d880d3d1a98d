"""The newsletter's panel on the newsroom's desk: campaigns sending, paused or scheduled, each
linking to its Sending page, for those who may change campaigns."""

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from masthead.audience.desk import DeskLine, DeskPanel
from masthead.newsletter.models import Campaign

SHOWN = 5
ACTIVE = (Campaign.Status.SENDING, Campaign.Status.PAUSED, Campaign.Status.SCHEDULED)


def campaign_lines(request):
    campaigns = Campaign.objects.filter(status__in=ACTIVE).order_by("scheduled_at", "pk")[:SHOWN]
    lines = []
    for campaign in campaigns:
        state = campaign.get_status_display()
        if campaign.status == Campaign.Status.SCHEDULED and campaign.scheduled_at:
            state = _("Scheduled for %(when)s") % {
                "when": date_format(localtime(campaign.scheduled_at), "j M, H:i")
            }
        url = reverse("campaigns:sending", args=[campaign.pk])
        lines.append(DeskLine(campaign.subject, str(state), url))
    return lines


CAMPAIGNS_PANEL = DeskPanel(
    name="newsletter_campaigns",
    title=_("Campaigns sending or scheduled"),
    lines=campaign_lines,
    url_name="campaigns:index",
    permission="newsletter.change_campaign",
    order=330,
)
