"""The newsletter's share of a reader's data: the data migration that links confirmed
subscribers to Readers, the copy of their data, and erasure, after which nothing in the
newsletter's tables names them and their address cannot be added again silently."""

import importlib
import json
import re

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import User
from django.db import models
from django.utils import timezone

from masthead.newsletter import consent, sending, services
from masthead.newsletter.models import (
    Campaign,
    ConsentRecord,
    Delivery,
    Subscriber,
    Subscription,
    Suppression,
)
from masthead.readers import identity, registry
from masthead.readers.models import Reader
from tests.newsletter.subscribe_helpers import make_newsletters, make_subscriber
from tests.newsletter.test_reader_account import join, sign_in

EMAIL = "ada.lovelace@example.org"
TAGGED = "ada.lovelace+letters@example.org"
NAME = "Ada Lovelace"
IP = "198.51.100.23"
BROWSER = "AdaBrowser/1.0 (Analytical Engine)"

migration = importlib.import_module(
    "masthead.newsletter.migrations.0005_link_confirmed_subscribers_to_readers"
)


def share():
    return {share.name: share for share in registry.personal_data()}["newsletter"]


def build_reader_with_everything():
    """A reader with two subscriber rows (one mailbox), subscriptions, consent evidence,
    deliveries (sent, bounced with the address in its error, pending) and a suppression."""
    daily, weekly, _members = make_newsletters()
    reader = Reader.objects.create(email=EMAIL, mailbox=identity.mailbox(EMAIL), name=NAME)
    own = make_subscriber(EMAIL, [daily, weekly], name=NAME)
    tagged = make_subscriber(TAGGED, [daily], name=NAME)
    Subscriber.objects.filter(pk=own.pk).update(reader=reader, source=f"footer {NAME}")
    for subscriber in (own, tagged):
        ConsentRecord.objects.create(
            subscriber=subscriber,
            action=ConsentRecord.Action.OPT_IN,
            newsletters="daily",
            wording="Send me the daily briefing.",
            wording_version="3",
            source="footer /news/",
            ip_address=IP,
            user_agent=BROWSER,
        )
    sent = Campaign.objects.create(subject="Monday's briefing", status=Campaign.Status.SENT)
    sent.newsletters.set([daily])
    sending = Campaign.objects.create(subject="Tuesday's briefing", status=Campaign.Status.SENDING)
    sending.newsletters.set([daily])
    Delivery.objects.create(
        campaign=sent,
        subscriber=own,
        status=Delivery.Status.SENT,
        sent_at=timezone.now(),
        message_id="<esp-1234@mail.example.net>",
        unsubscribed=True,
    )
    Delivery.objects.create(
        campaign=sent,
        subscriber=tagged,
        status=Delivery.Status.BOUNCED,
        last_error=f"550 5.1.1 <{TAGGED}>: mailbox unavailable",
    )
    Delivery.objects.create(campaign=sending, subscriber=own)
    consent.suppress_address(
        TAGGED, Suppression.Reason.HARD_BOUNCE, detail=f"550 {TAGGED} unknown", source="test"
    )
    # Someone else's records, which must come through untouched.
    other = make_subscriber("grace@example.org", [daily], name="Grace Hopper")
    Delivery.objects.create(campaign=sent, subscriber=other, status=Delivery.Status.SENT)
    return reader, own, tagged, other, sent


def newsletter_text():
    """Every text value in every newsletter table (JSON included), lower-cased."""
    values = []
    for model in apps.get_app_config("newsletter").get_models():
        columns = [
            field.attname
            for field in model._meta.concrete_fields
            if isinstance(
                field,
                models.CharField
                | models.TextField
                | models.GenericIPAddressField
                | models.JSONField,
            )
        ]
        for row in model.objects.values_list(*columns):
            values.extend(str(value).lower() for value in row if value)
    return "\n".join(values)


# --- The data migration ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_data_migration_links_each_confirmed_subscriber_to_one_reader_per_mailbox():
    daily, _weekly, _members = make_newsletters()
    joe = make_subscriber("joe@example.org", [daily], name="Joe")
    joe_tagged = make_subscriber("joe+news@example.org", [daily])
    dotted = make_subscriber("j.o.e@gmail.com", [daily])
    plain = make_subscriber("joe@googlemail.com", [daily])
    pending = make_subscriber("pending@example.org", status=Subscriber.Status.PENDING)
    left = make_subscriber("left@example.org", status=Subscriber.Status.UNSUBSCRIBED)
    known = Reader.objects.create(email="ann@example.org", mailbox="ann@example.org")
    ann = make_subscriber("ann@example.org", [daily])

    migration.link_confirmed_subscribers(apps, None)

    for subscriber in (joe, joe_tagged, dotted, plain, pending, left, ann):
        subscriber.refresh_from_db()
    assert joe.reader is not None and joe.reader == joe_tagged.reader
    assert (joe.reader.email, joe.reader.mailbox, joe.reader.name) == (
        "joe@example.org",
        "joe@example.org",
        "Joe",
    )
    assert dotted.reader is not None and dotted.reader == plain.reader
    assert dotted.reader.mailbox == "joe@gmail.com"
    assert ann.reader == known
    assert pending.reader is None and left.reader is None
    assert Reader.objects.count() == 3

    # Running it again makes no one twice.
    migration.link_confirmed_subscribers(apps, None)
    assert Reader.objects.count() == 3


# --- The share ---------------------------------------------------------------------------------


def test_the_share_covers_every_newsletter_model_holding_an_address_or_a_reader():
    covered = set(share().models) | set(registry.not_personal.reasons)
    for model in apps.get_app_config("newsletter").get_models():
        holds_personal_data = any(
            isinstance(field, models.EmailField | models.GenericIPAddressField)
            or (field.is_relation and field.related_model is Reader)
            for field in model._meta.get_fields()
        )
        if holds_personal_data:
            assert model._meta.label in covered, model._meta.label


@pytest.mark.django_db
def test_the_export_holds_everything_the_newsletter_keeps_about_the_reader():
    reader, *_rest = build_reader_with_everything()

    tables = share().export(reader)

    assert sorted(row["email"] for row in tables["subscribers"]) == sorted([EMAIL, TAGGED])
    assert {row["name"] for row in tables["subscribers"]} == {NAME}
    assert sorted(
        (row["email"], row["newsletter_slug"]) for row in tables["subscriptions"]
    ) == sorted([(EMAIL, "daily"), (EMAIL, "weekly"), (TAGGED, "daily")])
    opt_ins = [row for row in tables["consent_records"] if row["ip_address"] == IP]
    assert len(opt_ins) == 2
    assert {row["user_agent"] for row in opt_ins} == {BROWSER}
    assert {row["wording_version"] for row in opt_ins} == {"3"}
    # The bounce's suppression is on the consent history too.
    assert any(row["action"].startswith("Suppressed") for row in tables["consent_records"])
    assert sorted((row["campaign"], row["status"]) for row in tables["deliveries"]) == [
        ("Monday's briefing", "Bounced"),
        ("Monday's briefing", "Sent"),
        ("Tuesday's briefing", "Pending"),
    ]
    assert [(row["email"], row["reason"]) for row in tables["suppressions"]] == [
        (TAGGED, "Hard bounce")
    ]
    assert "grace@example.org" not in str(tables)
    # Values a JSON file can hold.
    assert json.loads(json.dumps(tables))["subscribers"]


@pytest.mark.django_db
def test_an_editor_can_export_by_address_before_the_reader_ever_signed_in():
    daily, _weekly, _members = make_newsletters()
    make_subscriber("never@example.org", [daily])

    tables = share().export(identity.transient("Never@Example.org"))

    assert [row["email"] for row in tables["subscribers"]] == ["never@example.org"]


# --- Erasure -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_erasure_leaves_only_a_keyed_hash_and_the_campaign_figures_as_they_were():
    reader, own, tagged, other, sent = build_reader_with_everything()
    figures_before = sent.figures()
    assert EMAIL in newsletter_text() and IP in newsletter_text()

    share().erase(reader)

    assert not Subscriber.objects.filter(pk__in=[own.pk, tagged.pk]).exists()
    assert not ConsentRecord.objects.exclude(subscriber=other).exists()
    assert list(Subscription.objects.values_list("subscriber_id", flat=True)) == [other.pk]
    erased = Suppression.objects.get()
    assert erased.email == ""
    assert erased.reason == Suppression.Reason.ERASED
    assert erased.address_hash == identity.address_hash(EMAIL)
    assert sent.figures() == figures_before
    assert Delivery.objects.filter(subscriber__isnull=True).count() == 3
    # The delivery that had not gone yet never will.
    assert Delivery.objects.get(campaign__subject="Tuesday's briefing").status == (
        Delivery.Status.SKIPPED
    )
    text = newsletter_text()
    for trace in (EMAIL, TAGGED, "ada.lovelace", NAME.lower(), "lovelace", IP, BROWSER.lower()):
        assert trace not in text, trace
    assert "esp-1234" not in text
    assert "grace@example.org" in text  # and nobody else was touched
    assert Subscriber.objects.get(pk=other.pk).name == "Grace Hopper"


@pytest.mark.django_db
def test_an_erased_address_is_refused_by_import_and_suppression_checks():
    reader, *_rest = build_reader_with_everything()
    share().erase(reader)

    for address in (EMAIL, "Ada.Lovelace@Example.org", "ada.lovelace+other@example.org"):
        assert consent.is_suppressed(address)
    assert not consent.is_suppressed("ada.byron@example.org")

    uploader = User.objects.create_user("editor")
    report = services.import_subscribers(
        f"email,name,newsletters\n{EMAIL},{NAME},daily\n{TAGGED},,daily\nnew@example.org,,daily\n",
        filename="old-list.csv",
        uploader=uploader,
        already_confirmed=True,
    )
    assert report.created == 1
    assert [(row.line, row.email, row.reason) for row in report.rejected] == [
        (2, EMAIL, "erased at the reader's request"),
        (3, TAGGED, "erased at the reader's request"),
    ]
    assert not Subscriber.objects.filter(email__in=[EMAIL, TAGGED]).exists()

    # Suppressing the address again (a late bounce) does not write it back.
    suppression, created = consent.suppress_address(EMAIL, Suppression.Reason.HARD_BOUNCE)
    assert not created and suppression.reason == Suppression.Reason.ERASED
    assert Suppression.objects.filter(email=EMAIL).count() == 0


@pytest.mark.django_db
def test_the_admin_refuses_to_suppress_an_erased_address_by_hand(admin_client):
    reader, *_rest = build_reader_with_everything()
    share().erase(reader)

    response = admin_client.post(
        "/admin/suppressions/new/",
        {"email": EMAIL, "reason": Suppression.Reason.MANUAL, "detail": "asked by phone"},
    )

    assert response.status_code == 200
    assert b"already suppressed: erased at the reader" in response.content
    assert not Suppression.objects.filter(email=EMAIL).exists()
    listing = admin_client.get("/admin/suppressions/")
    assert b"an erased reader: only a keyed hash is kept" in listing.content
    assert EMAIL.encode() not in listing.content


@pytest.mark.django_db
def test_the_reader_may_join_again_from_their_account_after_an_erasure(client):
    reader, *_rest = build_reader_with_everything()
    daily = Subscription.objects.first().newsletter
    share().erase(reader)
    reader.delete()
    again = identity.verified(EMAIL)

    join(sign_in(client, again), daily)

    subscriber = Subscriber.objects.get(email=EMAIL)
    assert subscriber.reader == again
    assert not Suppression.objects.filter(reason=Suppression.Reason.ERASED).exists()
    assert subscriber.consent_records.get().source == "account page"


@pytest.mark.django_db
def test_erasing_a_reader_with_no_newsletter_records_still_blocks_a_later_import():
    make_newsletters()
    reader = Reader.objects.create(email="donor@example.org", mailbox="donor@example.org")

    assert share().export(reader) == {
        "subscribers": [],
        "subscriptions": [],
        "consent_records": [],
        "deliveries": [],
        "suppressions": [],
    }
    share().erase(reader)

    assert consent.is_suppressed("donor@example.org")
    assert Suppression.objects.get().email == ""


@pytest.mark.django_db
def test_a_delivery_left_without_its_reader_is_never_claimed_for_sending():
    reader, *_rest = build_reader_with_everything()
    tuesday = Campaign.objects.get(subject="Tuesday's briefing")
    share().erase(reader)
    # Even if something put it back to pending, there is nobody to send it to.
    Delivery.objects.filter(campaign=tuesday).update(status=Delivery.Status.PENDING)

    assert sending.claim_deliveries(tuesday, 10, "worker-1") == []
    assert Delivery.objects.get(campaign=tuesday).status == Delivery.Status.PENDING


@pytest.mark.django_db
def test_an_erased_reader_who_signs_up_again_is_asked_to_confirm_and_only_then_rejoins(
    client, smtp_mailbox, django_capture_on_commit_callbacks
):
    reader, *_rest = build_reader_with_everything()
    daily = Subscription.objects.first().newsletter
    share().erase(reader)
    bounced = "bounced@example.org"
    consent.suppress_address(bounced, Suppression.Reason.HARD_BOUNCE)
    context = consent.ConsentContext(source="footer")

    # A bounced address still gets nothing; the erased reader, asking for themselves on a
    # form, gets the double opt-in email, and the hash entry stays until they confirm.
    assert services.sign_up(bounced, "", [daily], context, "w", "1") == (
        services.SignupOutcome.SUPPRESSED
    )
    with django_capture_on_commit_callbacks(execute=True):
        outcome = services.sign_up(EMAIL, NAME, [daily], context, "w", "1")
    assert outcome == services.SignupOutcome.CONFIRMATION_SENT
    [message] = smtp_mailbox.wait_for(1)
    assert message.rcpt_tos == [EMAIL]
    assert Subscriber.objects.get(email=EMAIL).status == Subscriber.Status.PENDING
    assert consent.is_suppressed(EMAIL)

    [link] = re.findall(r"https?://\S+/newsletter/confirm/\S+", message.text())
    response = client.post(link.replace(settings.SITE_URL, ""))

    assert response.status_code == 200
    subscriber = Subscriber.objects.get(email=EMAIL)
    assert subscriber.status == Subscriber.Status.CONFIRMED
    assert subscriber.subscriptions.get(newsletter=daily).is_active
    assert not consent.is_suppressed(EMAIL)
    assert consent.is_suppressed(bounced)
