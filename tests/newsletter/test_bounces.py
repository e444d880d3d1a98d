"""Bounces and complaints reported by an ESP through anymail's tracking signal."""

import pytest
from anymail.signals import AnymailTrackingEvent, tracking
from django.utils import timezone

from masthead.newsletter import consent
from masthead.newsletter.models import Campaign, ConsentRecord, Delivery, Subscriber, Suppression
from tests.newsletter.subscribe_helpers import active_slugs, make_newsletters, make_subscriber


def reader_with_delivery(email, newsletters, message_id):
    reader = make_subscriber(email, newsletters)
    campaign = Campaign.objects.create(subject="Morning news")
    campaign.newsletters.set(newsletters)
    delivery = Delivery.objects.create(
        campaign=campaign,
        subscriber=reader,
        status=Delivery.Status.SENT,
        sent_at=timezone.now(),
        message_id=message_id,
    )
    return reader, delivery


def send_event(**fields):
    tracking.send(sender=object, event=AnymailTrackingEvent(**fields), esp_name="Mailgun")


@pytest.mark.django_db
def test_hard_bounce_suppresses_the_address_and_marks_the_delivery():
    daily, _weekly, _members = make_newsletters()
    reader, delivery = reader_with_delivery("gone@example.org", [daily], "<abc.123@mail.example>")

    send_event(
        event_type="bounced",
        recipient="Gone@Example.org",
        message_id="abc.123@mail.example",
        description="550 5.1.1 user unknown",
    )

    suppression = Suppression.objects.get(email="gone@example.org")
    assert suppression.reason == Suppression.Reason.HARD_BOUNCE
    assert "550 5.1.1 user unknown" in suppression.detail
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.BOUNCED
    assert not consent.is_mailable(reader, [daily.pk])
    record = reader.consent_records.get()
    assert record.action == ConsentRecord.Action.SUPPRESS
    assert record.source == "Mailgun webhook"


@pytest.mark.django_db
def test_complaint_suppresses_unsubscribes_and_counts_in_the_figures():
    daily, _weekly, _members = make_newsletters()
    reader, delivery = reader_with_delivery("angry@example.org", [daily], "msg-1")

    send_event(event_type="complained", recipient="angry@example.org", message_id="msg-1")

    assert Suppression.objects.get(email="angry@example.org").reason == "complaint"
    delivery.refresh_from_db()
    assert delivery.complained is True
    assert delivery.status == Delivery.Status.SENT
    assert delivery.campaign.figures()["complained"] == 1
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.UNSUBSCRIBED
    assert active_slugs(reader) == []
    assert sorted(reader.consent_records.values_list("action", flat=True)) == [
        "opt_out",
        "suppress",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("event_type", "reject_reason", "suppressed"),
    [
        ("deferred", None, False),
        ("delivered", None, False),
        ("opened", None, False),
        ("rejected", "spam", False),
        ("rejected", "invalid", True),
        ("rejected", "bounced", True),
    ],
)
def test_only_permanent_failures_suppress(event_type, reject_reason, suppressed):
    daily, _weekly, _members = make_newsletters()
    reader, delivery = reader_with_delivery("maybe@example.org", [daily], "msg-2")

    send_event(
        event_type=event_type,
        reject_reason=reject_reason,
        recipient="maybe@example.org",
        message_id="msg-2",
    )

    assert Suppression.objects.filter(email="maybe@example.org").exists() is suppressed
    delivery.refresh_from_db()
    assert delivery.status == (Delivery.Status.BOUNCED if suppressed else Delivery.Status.SENT)
    assert consent.is_mailable(reader, [daily.pk]) is not suppressed


@pytest.mark.django_db
def test_esp_unsubscribe_event_unsubscribes():
    daily, _weekly, _members = make_newsletters()
    reader = make_subscriber("leaving@example.org", [daily])

    send_event(event_type="unsubscribed", recipient="leaving@example.org")

    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.UNSUBSCRIBED
    assert not Suppression.objects.exists()


@pytest.mark.django_db
def test_events_without_a_known_recipient_change_nothing():
    daily, _weekly, _members = make_newsletters()
    reader, delivery = reader_with_delivery("kept@example.org", [daily], "msg-3")

    send_event(event_type="bounced", recipient=None, message_id="msg-3")
    send_event(event_type="bounced", recipient="stranger@example.org", message_id="msg-3")

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT
    assert list(Suppression.objects.values_list("email", flat=True)) == ["stranger@example.org"]
    assert consent.is_mailable(reader, [daily.pk])


@pytest.mark.django_db
def test_repeated_bounces_record_one_suppression():
    daily, _weekly, _members = make_newsletters()
    reader, _delivery = reader_with_delivery("twice@example.org", [daily], "msg-4")

    for _ in range(3):
        send_event(event_type="bounced", recipient="twice@example.org", message_id="msg-4")

    assert Suppression.objects.count() == 1
    assert reader.consent_records.count() == 1


@pytest.mark.django_db
def test_webhook_endpoint_refuses_calls_without_the_shared_secret(client, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "masthead:webhook-secret"}
    bounce = (
        '{"RecordType": "Bounce", "Type": "HardBounce", "Email": "gone@example.org",'
        ' "MessageID": "m-1", "BouncedAt": "2025-01-01T10:00:00Z"}'
    )

    refused = client.post(
        "/newsletter/esp/postmark/tracking/", bounce, content_type="application/json"
    )
    accepted = client.post(
        "/newsletter/esp/postmark/tracking/",
        bounce,
        content_type="application/json",
        HTTP_AUTHORIZATION="Basic bWFzdGhlYWQ6d2ViaG9vay1zZWNyZXQ=",
    )

    assert refused.status_code == 400
    assert accepted.status_code == 200
    assert list(Suppression.objects.values_list("email", "reason")) == [
        ("gone@example.org", "hard_bounce")
    ]


@pytest.mark.django_db
def test_webhooks_of_an_esp_that_is_not_configured_are_not_found(client, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "masthead:webhook-secret"}

    response = client.post(
        "/newsletter/esp/mailgun/tracking/",
        "{}",
        content_type="application/json",
        HTTP_AUTHORIZATION="Basic bWFzdGhlYWQ6d2ViaG9vay1zZWNyZXQ=",
    )

    assert response.status_code == 404
    assert not Suppression.objects.exists()
