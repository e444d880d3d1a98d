"""The subscriber admin: search and filters, a subscriber's history, CSV import with a
report of every refused row, streaming CSV export, and the suppression list."""

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from masthead.newsletter import consent
from masthead.newsletter.models import ConsentRecord, Delivery, Subscriber, Suppression
from tests.newsletter.subscribe_helpers import (
    LINK,
    active_slugs,
    make_newsletters,
    make_subscriber,
    path_of,
)


@pytest.fixture
def editor(client, db):
    user = get_user_model().objects.create_superuser("editor", "editor@example.org", "pw")
    client.force_login(user)
    return user


def upload(client, text, **fields):
    data = {"csv_file": SimpleUploadedFile("readers.csv", text.encode(), "text/csv"), **fields}
    return client.post("/admin/subscribers/import/", data)


@pytest.mark.django_db
def test_search_and_filters_find_the_right_subscribers(client, editor):
    daily, weekly, _members = make_newsletters()
    make_subscriber("ada@example.org", [daily], name="Ada Quill")
    make_subscriber("ben@example.org", [weekly], name="Ben Stone")
    gone = make_subscriber("cy@example.org", status=Subscriber.Status.UNSUBSCRIBED)
    gone.imported = True
    gone.save()

    def emails(query):
        response = client.get(f"/admin/subscribers/?{query}")
        assert response.status_code == 200
        return sorted(row.email for row in response.context["object_list"])

    assert emails("q=quill") == ["ada@example.org"]
    assert emails("q=ben%40") == ["ben@example.org"]
    assert emails(f"newsletter={weekly.pk}") == ["ben@example.org"]
    assert emails("status=unsubscribed") == ["cy@example.org"]
    assert emails("imported=true") == ["cy@example.org"]
    assert (
        emails("status=nonsense") == ["ada@example.org", "ben@example.org", "cy@example.org"]
        or client.get("/admin/subscribers/?status=nonsense").status_code == 200
    )


@pytest.mark.django_db
def test_a_subscribers_page_shows_consents_and_deliveries(client, editor):
    from masthead.newsletter.models import Campaign

    daily, _weekly, _members = make_newsletters()
    reader = make_subscriber("ada@example.org", [daily])
    ConsentRecord.objects.create(
        subscriber=reader,
        action=ConsentRecord.Action.OPT_IN,
        newsletters="daily",
        wording="Send me the daily.",
        wording_version="2",
        source="footer /news/",
        ip_address="203.0.113.5",
    )
    campaign = Campaign.objects.create(subject="Flood defences update")
    Delivery.objects.create(campaign=campaign, subscriber=reader, status=Delivery.Status.SENT)

    response = client.get(f"/admin/subscribers/inspect/{reader.pk}/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "Send me the daily. (v2)" in body
    assert "203.0.113.5" in body
    assert "footer /news/" in body
    assert "Flood defences update" in body
    assert "Daily briefing" in body


@pytest.mark.django_db
def test_csv_import_reports_every_refused_row(client, editor, django_capture_on_commit_callbacks):
    daily, _weekly, _members = make_newsletters()
    make_subscriber("known@example.org", [daily])
    make_subscriber("left@example.org", status=Subscriber.Status.UNSUBSCRIBED)
    Suppression.objects.create(email="bounced@example.org", reason="hard_bounce")
    text = (
        "Email,Name,Newsletters\n"
        "new.one@example.org,New One,daily\n"
        "not-an-email,Broken,daily\n"
        "New.One@example.org,Again,weekly\n"
        "two@example.org,Two,daily;Weekly digest\n"
        "three@example.org,Three,sports\n"
        "bounced@example.org,,daily\n"
        "left@example.org,,daily\n"
        "known@example.org,,weekly\n"
        "four@example.org,Four,\n"
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, text)

    assert response.status_code == 200
    report = response.context["report"]
    assert report.created == 2
    assert [(row.line, row.email, row.reason) for row in report.rejected] == [
        (3, "not-an-email", "invalid email address"),
        (4, "New.One@example.org", "duplicate of line 2"),
        (6, "three@example.org", "unknown newsletter: sports"),
        (7, "bounced@example.org", "address is on the suppression list"),
        (8, "left@example.org", "already unsubscribed; their opt-out stands"),
        (9, "known@example.org", "already a subscriber; left unchanged"),
        (10, "four@example.org", "no newsletter given"),
    ]
    body = response.content.decode()
    assert "duplicate of line 2" in body and "readers.csv" in body

    two = Subscriber.objects.get(email="two@example.org")
    assert two.status == Subscriber.Status.PENDING
    assert two.imported is True
    assert active_slugs(two) == []
    record = two.consent_records.get()
    assert record.action == ConsentRecord.Action.IMPORT
    assert record.source == "CSV import of readers.csv by editor"
    assert record.newsletters == "daily,weekly"
    assert sorted(message.to[0] for message in mail.outbox) == [
        "new.one@example.org",
        "two@example.org",
    ]
    link = next(m for m in mail.outbox if m.to == ["two@example.org"])
    client.logout()
    client.post(path_of(LINK.findall(link.body)[0]))
    two.refresh_from_db()
    assert two.status == Subscriber.Status.CONFIRMED
    assert active_slugs(two) == ["daily", "weekly"]
    assert two.consent_records.get(action=ConsentRecord.Action.IMPORT).confirmed_at is not None


@pytest.mark.django_db
def test_import_of_people_who_already_confirmed_sends_nothing(
    client, editor, django_capture_on_commit_callbacks
):
    _daily, weekly, _members = make_newsletters()

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(
            client,
            "email,name\nada@example.org,Ada\n",
            already_confirmed="on",
            default_newsletters=[str(weekly.pk)],
        )

    assert response.context["report"].created == 1
    ada = Subscriber.objects.get(email="ada@example.org")
    assert ada.status == Subscriber.Status.CONFIRMED
    assert active_slugs(ada) == ["weekly"]
    assert "declared" in ada.consent_records.get().wording
    assert mail.outbox == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The submitted file is empty."),
        (b"name,newsletters\nAda,daily\n", "The first line must name the columns"),
        ("email\nada@example.org\n".encode("utf-16"), "The file is not UTF-8 text"),
    ],
)
def test_an_unreadable_file_is_refused_as_a_whole(client, editor, content, message):
    make_newsletters()

    response = client.post(
        "/admin/subscribers/import/",
        {"csv_file": SimpleUploadedFile("bad.csv", content, "text/csv")},
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Subscriber.objects.exists()


@pytest.mark.django_db
def test_adding_a_subscriber_by_hand_leads_to_the_import(client, editor):
    response = client.get("/admin/subscribers/new/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/subscribers/import/"


@pytest.mark.django_db
def test_import_needs_permission(client):
    user = get_user_model().objects.create_user("reporter", "reporter@example.org", "pw")
    from django.contrib.auth.models import Permission

    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)

    response = upload(client, "email\nada@example.org\n")

    assert response.status_code in (302, 403)
    assert not Subscriber.objects.exists()


@pytest.mark.django_db
def test_csv_export_streams_filtered_subscribers_safely(client, editor):
    daily, weekly, _members = make_newsletters()
    make_subscriber("ada@example.org", [daily, weekly], name='=HYPERLINK("x")')
    make_subscriber("ben@example.org", [weekly], name="Ben")
    make_subscriber("cy@example.org", status=Subscriber.Status.PENDING)

    response = client.get("/admin/subscribers/?export=csv&status=confirmed")

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Disposition"] == 'attachment; filename="subscribers.csv"'
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    by_email = {row["Email"]: row for row in rows}
    assert sorted(by_email) == ["ada@example.org", "ben@example.org"]
    assert by_email["ada@example.org"]["newsletters"] == "daily;weekly"
    assert by_email["ada@example.org"]["Name"] == '\'=HYPERLINK("x")'
    assert by_email["ben@example.org"]["Status"] == "confirmed"


@pytest.mark.django_db
def test_suppression_added_by_hand_stops_mail_and_is_recorded(client, editor):
    daily, _weekly, _members = make_newsletters()
    reader = make_subscriber("ada@example.org", [daily])

    response = client.post(
        "/admin/suppressions/new/",
        {"email": "Ada@Example.org", "reason": "manual", "detail": "Asked by phone"},
    )

    assert response.status_code == 302
    suppression = Suppression.objects.get()
    assert suppression.email == "ada@example.org"
    assert not consent.is_mailable(reader, [daily.pk])
    record = reader.consent_records.get()
    assert record.action == ConsentRecord.Action.SUPPRESS
    assert record.source == "added by editor"

    removed = client.post(f"/admin/suppressions/delete/{suppression.pk}/")
    assert removed.status_code == 302
    assert consent.is_mailable(reader, [daily.pk])


@pytest.mark.django_db
def test_newsletters_are_managed_in_the_admin(client, editor):
    response = client.post(
        "/admin/newsletters/new/",
        {
            "name": "Local elections",
            "slug": "elections",
            "description": "",
            "is_public": "on",
            "sort_order": "3",
        },
    )

    assert response.status_code == 302
    listing = client.get("/admin/newsletters/")
    assert b"Local elections" in listing.content
