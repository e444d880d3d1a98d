"""Wagtail admin for campaigns: write, preview, test, schedule, send, pause, cancel."""

from wagtail.admin.viewsets.model import ModelViewSet

from masthead.newsletter.models import Campaign


class CampaignViewSet(ModelViewSet):
    model = Campaign
    icon = "mail"
    form_fields = ["subject", "preheader", "newsletters", "kind", "article", "intro", "body"]
    list_display = ["subject", "status", "created_at"]


viewsets = [CampaignViewSet("campaigns")]
