"""Wagtail admin for campaigns: write, preview, test, schedule, send, pause, cancel, figures.

Editing happens in the usual create and edit views; everything about sending lives on one
"Sending" page per campaign, whose buttons post to the campaign actions (actions.py), which
check the editor's permission and record who did it.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.viewsets.model import ModelViewSet

from masthead.newsletter import actions, campaigns
from masthead.newsletter.models import Campaign
from masthead.newsletter.rendering import fallback_name, render_campaign

# The preview is the editor's own content, shown in a sandbox so nothing in it can run.
PREVIEW_POLICY = "sandbox; default-src 'none'; img-src * data:; style-src 'unsafe-inline'"


class ScheduleForm(forms.Form):
    """When to send a campaign, in the site's time zone."""

    scheduled_at = forms.DateTimeField(
        label=_("Send at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )


def preview_values(request):
    """Stand-ins for a reader's own parts in the admin preview."""
    return {
        "name": request.user.get_full_name() or fallback_name(),
        "newsletter": _("your newsletter"),
        "preferences_url": "#preferences",
        "unsubscribe_url": "#unsubscribe",
    }


class CampaignViewSet(ModelViewSet):
    """Campaigns in the admin, with a Sending page for previews, tests and sending."""

    model = Campaign
    icon = "mail"
    form_fields = [
        "subject",
        "preheader",
        "newsletters",
        "kind",
        "article",
        "digest_articles",
        "digest_recent_count",
        "intro",
        "body",
    ]
    sending_actions = {
        "send_now": actions.SendCampaignNow,
        "pause": actions.PauseCampaign,
        "resume": actions.ResumeCampaign,
        "cancel": actions.CancelCampaign,
    }

    @property
    def list_display(self):
        return [
            TitleColumn("subject", label=_("Subject"), url_name=self.get_url_name("edit")),
            TitleColumn(
                "get_status_display",
                label=_("Status"),
                get_url=lambda campaign: reverse(self.get_url_name("sending"), args=[campaign.pk]),
            ),
            Column("scheduled_at", label=_("Scheduled for")),
            Column("created_at", label=_("Created")),
        ]

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("<int:pk>/sending/", self.sending_view, name="sending"),
            path("<int:pk>/preview/html/", self.preview_html_view, name="preview_html"),
            path("<int:pk>/preview/text/", self.preview_text_view, name="preview_text"),
            path("<int:pk>/send-test/", self.send_test_view, name="send_test"),
            path("<int:pk>/schedule/", self.schedule_view, name="schedule"),
            path("<int:pk>/<str:action>/", self.action_view, name="action"),
        ]

    def _campaign(self, request, pk, permission="change"):
        if not self.permission_policy.user_has_permission(request.user, permission):
            raise PermissionDenied
        campaign = Campaign.objects.filter(pk=pk).first()
        if campaign is None:
            raise Http404(_("There is no such campaign."))
        return campaign

    def _back(self, campaign):
        return redirect(self.get_url_name("sending"), campaign.pk)

    def sending_view(self, request, pk, schedule_form=None):
        """The campaign's status and figures, previews, and the buttons that send it."""
        campaign = self._campaign(request, pk)
        return TemplateResponse(
            request,
            "newsletter/admin/campaign_sending.html",
            {
                "campaign": campaign,
                "figures": campaign.figures(),
                "problems": campaigns.problems(campaign),
                "schedule_form": schedule_form or ScheduleForm(),
                "edit_url": reverse(self.get_url_name("edit"), args=[campaign.pk]),
                "index_url": reverse(self.get_url_name("index")),
                "urls": {
                    name: reverse(self.get_url_name(name), args=[campaign.pk])
                    for name in ("preview_html", "preview_text", "send_test", "schedule")
                },
                "action_urls": {
                    action: reverse(self.get_url_name("action"), args=[campaign.pk, action])
                    for action in self.sending_actions
                },
                "header_icon": self.icon,
                "header_title": campaign.subject,
            },
        )

    @xframe_options_sameorigin
    def preview_html_view(self, request, pk):
        """The HTML part as readers will see it (with the editor's name in place)."""
        campaign = self._campaign(request, pk)
        html_part, _text = render_campaign(campaign).personalise(preview_values(request))
        response = HttpResponse(html_part)
        response["Content-Security-Policy"] = PREVIEW_POLICY
        return response

    def preview_text_view(self, request, pk):
        """The plain-text alternative, as plain text."""
        campaign = self._campaign(request, pk)
        _html, text_part = render_campaign(campaign).personalise(preview_values(request))
        return HttpResponse(text_part, content_type="text/plain; charset=utf-8")

    def _post_only(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return None

    def send_test_view(self, request, pk):
        """Send the campaign to the signed-in editor's own address."""
        refusal = self._post_only(request)
        if refusal:
            return refusal
        campaign = self._campaign(request, pk)
        try:
            actions.SendTestCampaign(campaign, request.user).execute()
        except campaigns.CampaignError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Test sent to %(email)s.") % {"email": request.user.email})
        return self._back(campaign)

    def schedule_view(self, request, pk):
        """Schedule the campaign for a time in the future."""
        refusal = self._post_only(request)
        if refusal:
            return refusal
        campaign = self._campaign(request, pk)
        form = ScheduleForm(request.POST)
        if not form.is_valid():
            response = self.sending_view(request, pk, schedule_form=form)
            response.status_code = 400
            return response
        when = form.cleaned_data["scheduled_at"]
        if timezone.is_naive(when):
            when = timezone.make_aware(when)
        try:
            actions.ScheduleCampaign(campaign, request.user, when).execute()
        except campaigns.CampaignError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Campaign scheduled."))
        return self._back(campaign)

    def action_view(self, request, pk, action):
        """Send now, pause, resume or cancel."""
        refusal = self._post_only(request)
        if refusal:
            return refusal
        campaign = self._campaign(request, pk)
        action_class = self.sending_actions.get(action)
        if action_class is None:
            raise Http404(_("There is no such action."))
        try:
            action_class(campaign, request.user).execute()
        except campaigns.CampaignError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, self._done_message(action, campaign))
        return self._back(campaign)

    def _done_message(self, action, campaign):
        if action == "send_now":
            # A task gathers the recipients, so until a worker takes it the campaign's
            # status is still "Scheduled" (for now), which reads as if nothing happened.
            return _("Sending: the campaign is on its way to its recipients.")
        return _("Done: %(status)s.") % {"status": campaign.get_status_display()}


viewsets = [CampaignViewSet("campaigns")]
