"""Confirmation emails cannot be used to flood a victim (issue 10, defect 3): per-address
limits count the mailbox an address reaches (case, +tags, and dots where the provider
ignores them), and per-IP limits count a whole IPv6 /64 as one client."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone

from masthead.core import ratelimit
from masthead.newsletter import tokens
from masthead.newsletter.models import ConsentRecord, Subscriber
from masthead.newsletter.services import clear_old_consent_evidence, purge_unconfirmed_subscribers
from tests.donations.helpers import ORIGIN, donate_form, open_outlet
from tests.newsletter.subscribe_helpers import (
    make_newsletters,
    make_subscriber,
    post_signup,
    signup_data,
)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize(
    ("address", "mailbox"),
    [
        ("Victim@Example.org", "victim@example.org"),
        ("victim+news@example.org", "victim@example.org"),
        ("v.i.c.t.i.m+1@GoogleMail.com", "victim@gmail.com"),
        ("vic.tim@gmail.com", "victim@gmail.com"),
        ("vic.tim@example.org", "vic.tim@example.org"),
        ("not-an-address", "not-an-address"),
    ],
)
def test_addresses_are_counted_by_the_mailbox_they_reach(address, mailbox):
    assert ratelimit.mailbox(address) == mailbox


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:fffe", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.9", "192.0.2.9"),
        (None, None),
    ],
)
def test_ipv6_clients_are_counted_by_their_64(address, network):
    assert ratelimit.network(address) == network


@pytest.mark.django_db
def test_variants_of_one_mailbox_share_its_confirmation_limit(
    client, django_capture_on_commit_callbacks, settings
):
    settings.NEWSLETTER_SIGNUP_LIMIT_PER_ADDRESS = (2, 3600)
    daily, _weekly, _members = make_newsletters()
    variants = [
        "victim@gmail.com",
        "Vic.Tim@gmail.com",
        "victim+a@googlemail.com",
        "v.ictim+b@gmail.com",
    ]
    for number, address in enumerate(variants):
        with django_capture_on_commit_callbacks(execute=True):
            post_signup(client, signup_data(address, [daily]), REMOTE_ADDR=f"192.0.2.{number}")

    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_one_ipv6_64_is_one_client_for_the_per_ip_limit(
    client, django_capture_on_commit_callbacks, settings
):
    settings.NEWSLETTER_SIGNUP_LIMIT_PER_IP = (3, 3600)
    daily, _weekly, _members = make_newsletters()
    statuses = []
    for number in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            response = post_signup(
                client,
                signup_data(f"reader{number}@example.org", [daily]),
                REMOTE_ADDR=f"2001:db8:5:6::{number + 1:x}",
            )
        statuses.append(response.status_code)
    elsewhere = post_signup(
        client, signup_data("other@example.org", [daily]), REMOTE_ADDR="2001:db8:5:7::1"
    )

    assert statuses == [200, 200, 200, 429, 429]
    assert len(mail.outbox) == 3
    assert elsewhere.status_code == 200


@pytest.mark.django_db
def test_donate_form_opt_ins_and_sign_ups_share_the_per_network_limit(
    client, django_capture_on_commit_callbacks, settings
):
    open_outlet(settings)
    settings.NEWSLETTER_SIGNUP_LIMIT_PER_IP = (3, 3600)
    daily, _weekly, _members = make_newsletters()
    network = "2001:db8:9:9::{}"
    gifts = []
    for number in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            post_signup(
                client,
                signup_data(f"signup{number}@example.org", [daily]),
                REMOTE_ADDR=network.format(number + 1),
            )
    for number in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            gifts.append(
                client.post(
                    "/support/give/",
                    donate_form(email=f"donor{number}@example.org", newsletter_opt_in="1"),
                    REMOTE_ADDR=network.format(number + 10),
                    **ORIGIN,
                )
            )
    with django_capture_on_commit_callbacks(execute=True):
        post_signup(
            client, signup_data("elsewhere@example.org", [daily]), REMOTE_ADDR="2001:db8:9:a::1"
        )

    # The fourth confirmation from one /64 is not sent, whichever form asked for it; the gift
    # goes on to its checkout all the same.
    assert [gift.status_code for gift in gifts] == [302, 302]
    assert sorted(address for message in mail.outbox for address in message.to) == [
        "donor0@example.org",
        "elsewhere@example.org",
        "signup0@example.org",
        "signup1@example.org",
    ]
    assert not Subscriber.objects.filter(email="donor1@example.org").exists()


@pytest.mark.django_db
def test_sign_ups_never_confirmed_are_purged_after_the_retention_time(settings):
    settings.NEWSLETTER_PENDING_RETENTION_DAYS = 30
    now = timezone.now()
    daily, _weekly, _members = make_newsletters()
    old = make_subscriber("old@example.org", status=Subscriber.Status.PENDING)
    recent = make_subscriber("recent@example.org", status=Subscriber.Status.PENDING)
    confirmed = make_subscriber("reader@example.org", [daily])
    ConsentRecord.objects.create(subscriber=old, action=ConsentRecord.Action.OPT_IN)
    Subscriber.objects.filter(pk__in=[old.pk, confirmed.pk]).update(
        created_at=now - timedelta(days=31)
    )
    Subscriber.objects.filter(pk=recent.pk).update(created_at=now - timedelta(days=29))

    assert purge_unconfirmed_subscribers(now) == 1

    assert sorted(Subscriber.objects.values_list("email", flat=True)) == [
        "reader@example.org",
        "recent@example.org",
    ]
    assert not ConsentRecord.objects.filter(subscriber_id=old.pk).exists()
    assert purge_unconfirmed_subscribers(now) == 0


@pytest.mark.django_db
def test_consent_evidence_is_cleared_after_its_time_and_the_consent_kept(client, settings):
    settings.NEWSLETTER_CONSENT_EVIDENCE_DAYS = 90
    now = timezone.now()
    daily, _weekly, _members = make_newsletters()
    reader = make_subscriber("reader@example.org", [daily])
    old = ConsentRecord.objects.create(
        subscriber=reader,
        action=ConsentRecord.Action.OPT_IN,
        wording="Send me the daily briefing.",
        ip_address="2001:db8::1",
        user_agent="Browser/1.0",
    )
    recent = ConsentRecord.objects.create(
        subscriber=reader,
        action=ConsentRecord.Action.CONFIRM,
        ip_address="192.0.2.1",
        user_agent="Browser/2.0",
    )
    ConsentRecord.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=91))

    assert clear_old_consent_evidence(now) == 1

    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.ip_address, old.user_agent, old.wording) == (
        None,
        "",
        "Send me the daily briefing.",
    )
    assert (recent.ip_address, recent.user_agent) == ("192.0.2.1", "Browser/2.0")
    assert clear_old_consent_evidence(now) == 0
    page = client.get(tokens.preferences_path(reader)).content.decode()
    assert "keep them for 90 days" in page
