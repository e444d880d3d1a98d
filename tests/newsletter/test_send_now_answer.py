"""The admin's answer to "Send now" says the campaign is sending, even while its status is
still "Scheduled" for the moment until a worker gathers the recipients."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from masthead.newsletter.models import Campaign, Newsletter
from tests.newsletter.test_sending import make_campaign, make_subscriber


@pytest.mark.django_db
def test_send_now_answers_sending(client):
    editor = User.objects.create_superuser("editor", "editor@example.org", "a-long-password")
    daily = Newsletter.objects.create(name="Daily briefing", slug="daily")
    make_subscriber("reader@example.org", [daily])
    campaign = make_campaign([daily])
    client.force_login(editor)

    response = client.post(reverse("campaigns:action", args=[campaign.pk, "send_now"]), follow=True)

    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SCHEDULED
    assert [str(message) for message in response.context["messages"]] == [
        "Sending: the campaign is on its way to its recipients."
    ]
