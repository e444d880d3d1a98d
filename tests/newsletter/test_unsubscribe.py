"""Unsubscribe links: one click in the browser, and RFC 8058 one-click POSTs from mail
providers with no cookie, no login and no CSRF token."""

import pytest
from django.test import Client
from django.utils import timezone

from masthead.newsletter import consent, tokens
from masthead.newsletter.models import Campaign, ConsentRecord, Delivery, Subscriber
from tests.newsletter.subscribe_helpers import (
    active_slugs,
    make_newsletters,
    make_subscriber,
    path_of,
)


@pytest.mark.django_db
def test_one_click_post_without_cookies_unsubscribes_at_once():
    daily, weekly, _members = make_newsletters()
    reader = make_subscriber("reader@example.org", [daily, weekly])
    campaign = Campaign.objects.create(subject="Council news")
    campaign.newsletters.set([daily])
    Delivery.objects.create(
        campaign=campaign, subscriber=reader, status=Delivery.Status.SENT, sent_at=timezone.now()
    )
    provider = Client(enforce_csrf_checks=True)

    response = provider.post(
        path_of(tokens.unsubscribe_url(reader, campaign)),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert not response.has_header("Location")
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.UNSUBSCRIBED
    assert active_slugs(reader) == []
    assert not consent.is_mailable(reader, [daily.pk, weekly.pk])
    assert Delivery.objects.get(campaign=campaign, subscriber=reader).unsubscribed is True
    assert campaign.figures()["unsubscribed"] == 1
    record = reader.consent_records.get(action=ConsentRecord.Action.OPT_OUT)
    assert record.source == "one-click unsubscribe"
    assert record.newsletters == "daily,weekly"


@pytest.mark.django_db
def test_get_only_asks_and_the_button_unsubscribes(client):
    daily, _weekly, _members = make_newsletters()
    reader = make_subscriber("reader@example.org", [daily])
    url = path_of(tokens.unsubscribe_url(reader))

    page = client.get(url)

    assert page.status_code == 200
    assert b"Unsubscribe from all newsletters" in page.content
    assert "no-store" in page["Cache-Control"]
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.CONFIRMED

    done = client.post(url)
    assert done.status_code == 200
    assert b"You are unsubscribed" in done.content
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.UNSUBSCRIBED
    assert reader.consent_records.get().source == "unsubscribe link"


@pytest.mark.django_db
def test_unsubscribing_twice_records_one_opt_out(client):
    daily, _weekly, _members = make_newsletters()
    reader = make_subscriber("reader@example.org", [daily])
    url = path_of(tokens.unsubscribe_url(reader))

    assert client.post(url).status_code == 200
    assert client.post(url).status_code == 200

    assert reader.consent_records.filter(action=ConsentRecord.Action.OPT_OUT).count() == 1


@pytest.mark.django_db
def test_bad_unsubscribe_links_change_nothing(client):
    daily, _weekly, _members = make_newsletters()
    reader = make_subscriber("reader@example.org", [daily])
    campaign = Campaign.objects.create(subject="Council news")
    good = path_of(tokens.unsubscribe_url(reader, campaign))
    other_campaign = good.replace(f"/{campaign.pk}/", f"/{campaign.pk + 1}/")
    preferences_signature = path_of(tokens.preferences_url(reader)).rstrip("/").rsplit("/", 1)[1]

    for bad in (
        good[:-4] + "abc/",
        other_campaign,
        f"/newsletter/unsubscribe/{reader.pk}/0/{preferences_signature}/",
        f"/newsletter/unsubscribe/999999/0/{preferences_signature}/",
    ):
        response = client.post(
            bad, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code == 400
    assert client.put(good).status_code == 405
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.CONFIRMED
    assert active_slugs(reader) == ["daily"]


@pytest.mark.django_db
def test_mailto_unsubscribe_address_carries_a_token_we_can_check(settings):
    settings.DEFAULT_FROM_EMAIL = "The Riverside Post <news@riverside.example>"
    reader = make_subscriber("reader@example.org")

    address = tokens.unsubscribe_mailto(reader)

    assert address.startswith(f"mailto:unsubscribe+{reader.pk}-")
    assert address.endswith("@riverside.example?subject=unsubscribe")
    token = address.split("+", 1)[1].split("@", 1)[0]

    def lookup(pk):
        return Subscriber.objects.filter(pk=pk).first()

    assert tokens.subscriber_id_from_mailbox_token(token, lookup) == reader.pk
    assert tokens.subscriber_id_from_mailbox_token(token[:-1] + "x", lookup) is None
    assert tokens.subscriber_id_from_mailbox_token("garbage", lookup) is None
    settings.NEWSLETTER_UNSUBSCRIBE_MAILBOX = "leave@lists.riverside.example"
    assert tokens.unsubscribe_mailto(reader).startswith(f"mailto:leave+{reader.pk}-")
