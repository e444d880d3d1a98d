"""Sending a campaign over real SMTP: headers, both parts, personal links, figures, pause,
resume, cancel, and an unsubscribe that takes effect mid-campaign."""

from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from masthead.newsletter import campaigns, sending, tasks
from masthead.newsletter.models import (
    Campaign,
    Delivery,
    Newsletter,
    Subscriber,
    Subscription,
    Suppression,
)


def make_subscriber(email, newsletters, name="", status=Subscriber.Status.CONFIRMED):
    """A subscriber with an active subscription to each of ``newsletters``."""
    subscriber = Subscriber.objects.create(
        email=email, name=name, status=status, confirmed_at=timezone.now()
    )
    for newsletter in newsletters:
        Subscription.objects.create(subscriber=subscriber, newsletter=newsletter)
    return subscriber


def make_campaign(newsletters, subject="This week at the town hall", **fields):
    """A custom campaign, ready to send, to ``newsletters``."""
    fields.setdefault("intro", "<p>Three things happened at the council this week.</p>")
    campaign = Campaign.objects.create(subject=subject, kind=Campaign.Kind.CUSTOM, **fields)
    campaign.newsletters.set(newsletters)
    return campaign


def send(campaign, capture):
    """Send the campaign now, running the tasks queued after commit (immediate backend)."""
    with capture(execute=True):
        campaigns.send_now(campaign)
    campaign.refresh_from_db()
    return campaign


@pytest.fixture
def daily(db):
    return Newsletter.objects.create(name="Daily briefing", slug="daily")


@pytest.mark.django_db
def test_each_reader_gets_their_own_message_with_list_headers(
    smtp_mailbox, daily, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://news.example.org"
    ada = make_subscriber("ada@example.org", [daily], name="Ada Quill")
    ben = make_subscriber("ben@example.org", [daily])
    campaign = send(make_campaign([daily]), django_capture_on_commit_callbacks)

    received = {mail.rcpt_tos[0]: mail for mail in smtp_mailbox.wait_for(2)}
    assert sorted(received) == ["ada@example.org", "ben@example.org"]
    assert campaign.status == Campaign.Status.SENT
    for subscriber in (ada, ben):
        mail = received[subscriber.email]
        message = mail.message
        delivery = Delivery.objects.get(campaign=campaign, subscriber=subscriber)
        unsubscribe = sending.tokens.unsubscribe_url(subscriber, campaign=campaign)
        preferences = sending.tokens.preferences_url(subscriber)
        assert message["Subject"] == "This week at the town hall"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message["List-Unsubscribe"].strip() == (
            f"<{unsubscribe}>, <{sending.tokens.unsubscribe_mailto(subscriber)}>"
        )
        assert message["List-Id"] == "Daily briefing <daily.newsletters.news.example.org>"
        assert message["Message-ID"] == delivery.message_id
        assert delivery.status == Delivery.Status.SENT
        assert delivery.sent_at is not None
        for part in (mail.text(), mail.html()):
            assert "Three things happened at the council this week." in part
            assert unsubscribe in part
            assert preferences in part
    assert "Hello Ada Quill," in received["ada@example.org"].text()
    assert "Hello there," in received["ben@example.org"].text()
    assert "Hello Ada Quill," in received["ada@example.org"].html()
    # Nobody sees another reader's links.
    assert sending.tokens.preferences_url(ben) not in received["ada@example.org"].html()
    assert campaign.figures()["sent"] == 2


@pytest.mark.django_db
def test_names_and_subjects_beyond_ascii_arrive_intact(
    smtp_mailbox, daily, django_capture_on_commit_callbacks
):
    reader = make_subscriber("zoe@example.org", [daily], name="Zoë Ørsted-Łukasz 李")
    subject = "Café reopens — and the {bridge} is 100% finished"
    campaign = send(make_campaign([daily], subject=subject), django_capture_on_commit_callbacks)

    mail = smtp_mailbox.wait_for(1)[0]
    assert mail.message["Subject"] == subject
    assert mail.rcpt_tos == ["zoe@example.org"]
    assert mail.message["To"] == "zoe@example.org"
    assert "Hello Zoë Ørsted-Łukasz 李," in mail.text()
    assert "Hello Zoë Ørsted-Łukasz 李," in mail.html()
    assert sending.tokens.preferences_url(reader) in mail.html()
    assert sending.tokens.unsubscribe_url(reader, campaign=campaign) in mail.text()
    # Quoted-printable bodies and an RFC 2047 subject keep the message 7-bit.
    raw = mail.message.as_bytes()
    assert raw.isascii()


@pytest.mark.django_db
def test_links_in_the_email_work(smtp_mailbox, daily, client, django_capture_on_commit_callbacks):
    subscriber = make_subscriber("cara@example.org", [daily], name="Cara")
    campaign = send(make_campaign([daily]), django_capture_on_commit_callbacks)
    message = smtp_mailbox.wait_for(1)[0].message

    preferences = sending.tokens.preferences_url(subscriber)
    assert client.get(urlsplit(preferences).path).status_code == 200
    one_click = message["List-Unsubscribe"].split(",")[0].strip(" <>")
    response = client.post(urlsplit(one_click).path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert campaign.figures()["unsubscribed"] == 1


@pytest.mark.django_db
def test_only_mailable_subscribers_get_deliveries_and_building_twice_adds_none(daily):
    weekly = Newsletter.objects.create(name="Weekly", slug="weekly")
    make_subscriber("one@example.org", [daily])
    make_subscriber("both@example.org", [daily, weekly])
    make_subscriber("other-list@example.org", [weekly])
    make_subscriber("pending@example.org", [daily], status=Subscriber.Status.PENDING)
    make_subscriber("blocked@example.org", [daily])
    Suppression.objects.create(email="blocked@example.org", reason="manual")
    campaign = make_campaign([daily])

    assert sending.create_deliveries(campaign) == 2
    assert sending.create_deliveries(campaign) == 0
    assert sorted(campaign.deliveries.values_list("subscriber__email", flat=True)) == [
        "both@example.org",
        "one@example.org",
    ]


@pytest.mark.django_db
def test_unsubscribing_mid_campaign_skips_that_reader(
    smtp_mailbox, daily, settings, django_capture_on_commit_callbacks
):
    settings.NEWSLETTER_PARALLELISM = 1
    stays = make_subscriber("stays@example.org", [daily])
    leaves = make_subscriber("leaves@example.org", [daily])
    campaign = make_campaign([daily])
    campaign.status = Campaign.Status.SENDING
    campaign.save()
    sending.create_deliveries(campaign)
    Subscription.objects.filter(subscriber=leaves).update(is_active=False)

    result = sending.send_batch(campaign)

    assert (result.sent, result.skipped) == (1, 1)
    assert [mail.rcpt_tos for mail in smtp_mailbox.wait_for(1)] == [["stays@example.org"]]
    assert campaign.deliveries.get(subscriber=leaves).status == Delivery.Status.SKIPPED
    assert campaign.deliveries.get(subscriber=stays).status == Delivery.Status.SENT


@pytest.mark.django_db
def test_pause_stops_claiming_and_resume_finishes(
    smtp_mailbox, daily, settings, django_capture_on_commit_callbacks
):
    settings.NEWSLETTER_BATCH_SIZE = 2
    for number in range(5):
        make_subscriber(f"reader{number}@example.org", [daily])
    campaign = make_campaign([daily])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        campaigns.send_now(campaign)
    # Start the campaign but pause it before any batch runs.
    assert tasks.start_campaign(campaign.pk)
    campaign.refresh_from_db()
    campaigns.pause(campaign)
    assert tasks.run_batch(campaign.pk, campaign.send_generation) == "stopped"
    assert smtp_mailbox.messages == []
    assert campaign.figures()["pending"] == 5
    assert len(callbacks) == 1

    with django_capture_on_commit_callbacks(execute=True):
        campaigns.resume(campaign)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT
    assert len(smtp_mailbox.wait_for(5)) == 5
    assert campaign.figures()["sent"] == 5


@pytest.mark.django_db
def test_cancel_skips_everyone_not_yet_mailed(daily, django_capture_on_commit_callbacks):
    for number in range(3):
        make_subscriber(f"reader{number}@example.org", [daily])
    campaign = make_campaign([daily])
    campaign.status = Campaign.Status.SCHEDULED
    campaign.scheduled_at = timezone.now()
    campaign.save()
    assert tasks.start_campaign(campaign.pk) is True
    campaign.refresh_from_db()

    campaigns.cancel(campaign)

    assert campaign.status == Campaign.Status.CANCELLED
    assert tasks.run_batch(campaign.pk, campaign.send_generation) == "stopped"
    assert campaign.figures()["pending"] == 0
    assert set(campaign.deliveries.values_list("status", flat=True)) == {"skipped"}
    with pytest.raises(campaigns.CampaignError):
        campaigns.resume(campaign)


@pytest.mark.django_db
def test_starting_twice_sends_once(smtp_mailbox, daily, django_capture_on_commit_callbacks):
    make_subscriber("once@example.org", [daily])
    campaign = send(make_campaign([daily]), django_capture_on_commit_callbacks)

    assert tasks.start_campaign(campaign.pk) is False
    with pytest.raises(campaigns.CampaignError):
        campaigns.send_now(campaign)
    assert len(smtp_mailbox.wait_for(1)) == 1
    assert campaign.deliveries.count() == 1


@pytest.mark.django_db
def test_rate_limit_spaces_messages(
    smtp_mailbox, daily, settings, django_capture_on_commit_callbacks
):
    settings.NEWSLETTER_RATE_LIMIT = 20
    settings.NEWSLETTER_PARALLELISM = 1
    for number in range(6):
        make_subscriber(f"reader{number}@example.org", [daily])
    started = timezone.now()
    send(make_campaign([daily]), django_capture_on_commit_callbacks)

    # Six messages at 20 a second need at least five gaps of 50 ms.
    assert (timezone.now() - started).total_seconds() >= 0.25
    assert len(smtp_mailbox.wait_for(6)) == 6
