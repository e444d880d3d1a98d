"""Campaign actions in the admin: preview, send a test, schedule, send now, pause, resume,
cancel; refusals are clear 4xx answers or messages, never a 500."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from masthead.newsletter import campaigns
from masthead.newsletter.models import Campaign, Newsletter
from tests.newsletter.test_sending import make_campaign, make_subscriber


@pytest.fixture
def editor(db):
    return User.objects.create_superuser(
        "editor", "editor@example.org", "a-long-password", first_name="Eda", last_name="Tor"
    )


@pytest.fixture
def daily(db):
    return Newsletter.objects.create(name="Daily briefing", slug="daily")


def url(name, *args):
    return reverse(f"campaigns:{name}", args=args)


@pytest.mark.django_db
def test_sending_page_shows_figures_and_previews(client, editor, daily):
    campaign = make_campaign([daily])
    client.force_login(editor)

    page = client.get(url("sending", campaign.pk))
    html_preview = client.get(url("preview_html", campaign.pk))
    text_preview = client.get(url("preview_text", campaign.pk))

    assert page.status_code == 200
    assert "Send now" in page.content.decode()
    assert html_preview.status_code == 200
    assert "sandbox" in html_preview["Content-Security-Policy"]
    assert "Hello Eda Tor," in html_preview.content.decode()
    assert text_preview["Content-Type"] == "text/plain; charset=utf-8"
    assert "Three things happened at the council this week." in text_preview.content.decode()


@pytest.mark.django_db
def test_send_test_goes_to_the_editor_only(client, editor, daily, smtp_mailbox):
    make_subscriber("reader@example.org", [daily])
    campaign = make_campaign([daily])
    client.force_login(editor)

    response = client.post(url("send_test", campaign.pk))

    assert response.status_code == 302
    mail = smtp_mailbox.wait_for(1)[0]
    assert mail.rcpt_tos == ["editor@example.org"]
    assert mail.subject == "[Test] This week at the town hall"
    assert "Hello Eda Tor," in mail.text()
    assert campaign.deliveries.count() == 0
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


@pytest.mark.django_db
def test_send_now_from_the_admin_sends_to_subscribers(
    client, editor, daily, smtp_mailbox, django_capture_on_commit_callbacks
):
    make_subscriber("reader@example.org", [daily])
    campaign = make_campaign([daily])
    client.force_login(editor)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("action", campaign.pk, "send_now"))

    assert response.status_code == 302
    assert [mail.rcpt_tos for mail in smtp_mailbox.wait_for(1)] == [["reader@example.org"]]
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT
    assert "Sent" in client.get(url("sending", campaign.pk)).content.decode()


@pytest.mark.django_db
def test_schedule_then_due_campaign_starts(
    client, editor, daily, smtp_mailbox, django_capture_on_commit_callbacks
):
    make_subscriber("reader@example.org", [daily])
    campaign = make_campaign([daily])
    client.force_login(editor)
    later = timezone.localtime() + timedelta(hours=2)

    response = client.post(
        url("schedule", campaign.pk), {"scheduled_at": later.strftime("%Y-%m-%dT%H:%M")}
    )

    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SCHEDULED
    with django_capture_on_commit_callbacks(execute=True):
        assert campaigns.send_due_campaigns() == ([], [])
    assert smtp_mailbox.messages == []

    Campaign.objects.filter(pk=campaign.pk).update(scheduled_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert campaigns.send_due_campaigns() == ([campaign.pk], [])
    assert len(smtp_mailbox.wait_for(1)) == 1
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT


@pytest.mark.django_db
def test_bad_requests_are_refused_cleanly(client, editor, daily):
    campaign = make_campaign([daily])
    client.force_login(editor)

    assert client.get(url("sending", 999999)).status_code == 404
    assert client.get(url("action", campaign.pk, "pause")).status_code == 405
    assert client.post(url("action", campaign.pk, "explode")).status_code == 404
    assert client.post(url("schedule", campaign.pk), {"scheduled_at": "soon"}).status_code == 400
    past = client.post(url("schedule", campaign.pk), {"scheduled_at": "2001-01-01T09:00"})
    assert past.status_code == 302
    # Pausing a draft is refused with a message, and changes nothing.
    client.post(url("action", campaign.pk, "pause"))
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT
    assert (
        "Only a campaign that is sending can be paused."
        in client.get(url("sending", campaign.pk)).content.decode()
    )


@pytest.mark.django_db
def test_campaign_without_newsletters_cannot_be_sent(daily):
    campaign = Campaign.objects.create(subject="Nowhere to go", intro="<p>Hi</p>")

    with pytest.raises(campaigns.CampaignError, match="Choose at least one newsletter"):
        campaigns.send_now(campaign)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


@pytest.mark.django_db
def test_people_without_admin_access_are_kept_out(client, daily):
    campaign = make_campaign([daily])
    User.objects.create_user("reader", "reader@example.org", "a-long-password")
    client.login(username="reader", password="a-long-password")

    response = client.post(url("action", campaign.pk, "send_now"))

    assert response.status_code in {302, 403}
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT
