"""Campaign actions: only an editor who may change campaigns can send, schedule, test, pause,
resume or cancel one; a refusal changes nothing, and every action done is in the audit log
with the editor who did it."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from masthead.core.actions import ActionNotPermitted
from masthead.newsletter import actions, campaigns, tasks
from masthead.newsletter.models import Campaign, Newsletter
from tests.newsletter.test_sending import make_campaign, make_subscriber

IN_TWO_HOURS = timedelta(hours=2)


@pytest.fixture
def daily(db):
    return Newsletter.objects.create(name="Daily briefing", slug="daily")


def user_with(username, *codenames):
    """A staff member with only these newsletter permissions (read afresh, so nothing is
    cached)."""
    user = User.objects.create_user(
        username, f"{username}@example.org", "a-long-password", first_name=username.title()
    )
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="newsletter", codename__in=codenames)
    )
    return User.objects.get(pk=user.pk)


def logged(campaign):
    """The campaign's audit log as (action, username, data), oldest first."""
    return [
        (entry.action, entry.user.username, entry.data)
        for entry in ModelLogEntry.objects.for_instance(campaign).order_by("pk")
    ]


def send_now(campaign, user):
    return actions.SendCampaignNow(campaign, user)


def schedule(campaign, user):
    return actions.ScheduleCampaign(campaign, user, timezone.now() + IN_TWO_HOURS)


def send_test(campaign, user):
    return actions.SendTestCampaign(campaign, user)


def cancel(campaign, user):
    return actions.CancelCampaign(campaign, user)


@pytest.mark.django_db
@pytest.mark.parametrize("action", [send_now, schedule, send_test, cancel])
def test_an_editor_who_may_only_view_campaigns_is_refused_and_nothing_changes(
    action, daily, smtp_mailbox, django_capture_on_commit_callbacks
):
    make_subscriber("reader@example.org", [daily])
    campaign = make_campaign([daily])
    viewer = user_with("viewer", "view_campaign")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ActionNotPermitted),
    ):
        action(campaign, viewer).execute()

    campaign.refresh_from_db()
    assert (campaign.status, campaign.scheduled_at) == (Campaign.Status.DRAFT, None)
    assert callbacks == []
    assert campaign.deliveries.count() == 0
    assert smtp_mailbox.messages == []
    assert logged(campaign) == []


@pytest.mark.django_db
@pytest.mark.parametrize("action", [send_now, schedule])
def test_sending_needs_the_send_permission_not_just_editing(
    action, daily, smtp_mailbox, django_capture_on_commit_callbacks
):
    make_subscriber("reader@example.org", [daily])
    campaign = make_campaign([daily])
    writer = user_with("writer", "change_campaign")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ActionNotPermitted),
    ):
        action(campaign, writer).execute()

    campaign.refresh_from_db()
    assert (campaign.status, campaign.scheduled_at) == (Campaign.Status.DRAFT, None)
    assert callbacks == []
    assert campaign.deliveries.count() == 0
    assert smtp_mailbox.messages == []
    assert logged(campaign) == []
    # Writing the campaign and trying it on themselves is still theirs to do.
    actions.SendTestCampaign(campaign, writer).execute()
    (message,) = smtp_mailbox.wait_for(1)
    assert message.subject.startswith("[Test]")


@pytest.mark.django_db
def test_send_now_is_logged_with_the_editor(daily, django_capture_on_commit_callbacks):
    campaign = make_campaign([daily])
    editor = user_with("eda", "change_campaign", "send_campaign")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        actions.SendCampaignNow(campaign, editor).execute()

    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SCHEDULED
    assert len(callbacks) == 1
    assert logged(campaign) == [("newsletter.send_campaign", "eda", {})]


@pytest.mark.django_db
def test_schedule_is_logged_with_the_time_chosen(daily):
    campaign = make_campaign([daily])
    editor = user_with("eda", "change_campaign", "send_campaign")
    when = (timezone.now() + IN_TWO_HOURS).replace(microsecond=0)

    actions.ScheduleCampaign(campaign, editor, when).execute()

    campaign.refresh_from_db()
    assert (campaign.status, campaign.scheduled_at) == (Campaign.Status.SCHEDULED, when)
    assert logged(campaign) == [
        ("newsletter.schedule_campaign", "eda", {"scheduled_at": when.isoformat()})
    ]


@pytest.mark.django_db
def test_send_test_goes_to_the_editor_and_is_logged(daily, smtp_mailbox):
    campaign = make_campaign([daily])
    editor = user_with("eda", "change_campaign")

    actions.SendTestCampaign(campaign, editor).execute()

    assert [mail.rcpt_tos for mail in smtp_mailbox.wait_for(1)] == [["eda@example.org"]]
    assert logged(campaign) == [
        ("newsletter.send_test_campaign", "eda", {"email": "eda@example.org"})
    ]


@pytest.mark.django_db
def test_pause_resume_and_cancel_are_logged_in_turn(daily, django_capture_on_commit_callbacks):
    make_subscriber("reader@example.org", [daily])
    campaign = make_campaign([daily])
    editor = user_with("eda", "change_campaign", "send_campaign")
    with django_capture_on_commit_callbacks(execute=False):
        actions.SendCampaignNow(campaign, editor).execute()
        tasks.start_campaign(campaign.pk)
    campaign.refresh_from_db()

    actions.PauseCampaign(campaign, editor).execute()
    assert campaign.status == Campaign.Status.PAUSED
    with django_capture_on_commit_callbacks(execute=False):
        actions.ResumeCampaign(campaign, editor).execute()
    assert campaign.status == Campaign.Status.SENDING
    actions.CancelCampaign(campaign, editor).execute()

    assert campaign.status == Campaign.Status.CANCELLED
    assert [action for action, _user, _data in logged(campaign)] == [
        "newsletter.send_campaign",
        "newsletter.pause_campaign",
        "newsletter.resume_campaign",
        "newsletter.cancel_campaign",
    ]


@pytest.mark.django_db
def test_an_action_the_status_does_not_allow_is_refused_and_not_logged(daily):
    campaign = make_campaign([daily])
    editor = user_with("eda", "change_campaign")

    with pytest.raises(campaigns.CampaignError, match="Only a campaign that is sending"):
        actions.PauseCampaign(campaign, editor).execute()

    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT
    assert logged(campaign) == []


@pytest.mark.django_db
def test_the_admin_button_goes_through_the_action_and_the_history_says_who(
    client, daily, django_capture_on_commit_callbacks
):
    campaign = make_campaign([daily])
    editor = User.objects.create_superuser("editor", "editor@example.org", "a-long-password")
    client.force_login(editor)

    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(reverse("campaigns:action", args=[campaign.pk, "send_now"]))
    history = client.get(reverse("campaigns:history", args=[campaign.pk]))

    assert response.status_code == 302
    assert logged(campaign) == [("newsletter.send_campaign", "editor", {})]
    assert history.status_code == 200
    assert "Campaign sending started" in history.content.decode()
