"""Subscribers imported from anywhere are never sent a campaign until an editor confirms the
imported list's consent basis in the admin (recorded: who, when, in what words, and in the
audit log). Campaigns go through the real sending path to a real SMTP server."""

import time

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.models import ModelLogEntry

from masthead.newsletter import campaigns, imported_lists, services
from masthead.newsletter.consent import ConsentContext
from masthead.newsletter.models import (
    Campaign,
    ConsentRecord,
    ImportedList,
    Newsletter,
    Subscriber,
    Subscription,
)

User = get_user_model()


def send_campaign(newsletter, capture, subject):
    campaign = Campaign.objects.create(
        subject=subject, kind=Campaign.Kind.CUSTOM, intro="<p>News from the council.</p>"
    )
    campaign.newsletters.set([newsletter])
    with capture(execute=True):
        campaigns.send_now(campaign)
    campaign.refresh_from_db()
    return campaign


def received(mailbox, subject, settle=0.3):
    """The addresses that got ``subject`` (after giving the SMTP server a moment)."""
    time.sleep(settle)
    return sorted(mail.rcpt_tos[0] for mail in mailbox.messages if mail.subject == subject)


@pytest.fixture
def daily(db):
    return Newsletter.objects.create(name="Daily briefing", slug="daily")


@pytest.fixture
def editor(db, client):
    user = User.objects.create_user("editor", email="editor@example.org", password="x")
    user.is_staff = True
    user.save()
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="newsletter",
            codename__in=[
                "send_campaign",
                "view_importedlist",
                "change_importedlist",
                "add_subscriber",
                "change_subscriber",
            ],
        ),
        Permission.objects.get(codename="access_admin"),
    )
    client.force_login(user)
    return user


def import_list(daily, emails):
    imported = imported_lists.start_list("ghost", "members.csv")
    for email in emails:
        result = imported_lists.import_member(
            imported_lists.ImportedMember(email=email, newsletters=[daily]),
            imported_list=lambda: imported,
            source="Ghost import of members.csv",
            wording="Imported from Ghost.",
        )
        assert result.outcome == imported_lists.MemberOutcome.CREATED
    imported_lists.count_list(imported)
    return imported


@pytest.mark.django_db
def test_an_unconfirmed_list_gets_nothing_until_an_editor_confirms_it(
    client, editor, daily, smtp_mailbox, django_capture_on_commit_callbacks
):
    local = Subscriber.objects.create(email="local@example.org", status="confirmed")
    Subscription.objects.create(subscriber=local, newsletter=daily)
    imported = import_list(daily, ["ada@example.org", "ben@example.org"])
    assert imported.count == 2

    first = send_campaign(daily, django_capture_on_commit_callbacks, "Before confirmation")
    assert received(smtp_mailbox, "Before confirmation") == ["local@example.org"]
    assert first.status == Campaign.Status.SENT
    assert first.deliveries.count() == 1  # the waiting ones were never recipients

    listing = client.get("/admin/imported_lists/")
    assert listing.status_code == 200
    assert b"members.csv" in listing.content and b"waiting" in listing.content
    page = client.get(f"/admin/imported_lists/inspect/{imported.pk}/")
    assert page.status_code == 200
    assert b"data-imported-list-waiting" in page.content
    # Its consent basis is never edited outside the recorded confirmation.
    edit = client.post(f"/admin/imported_lists/edit/{imported.pk}/", {"consent_basis": "x"})
    assert edit.status_code == 302
    imported.refresh_from_db()
    assert imported.consent_basis == ""

    # The form needs both the basis and the tick: nothing changes without them.
    refused = client.post(
        f"/admin/imported_lists/{imported.pk}/confirm/",
        {"consent_basis": "They signed up on our Ghost site."},
    )
    assert refused.status_code == 302
    imported.refresh_from_db()
    assert imported.confirmed_at is None

    response = client.post(
        f"/admin/imported_lists/{imported.pk}/confirm/",
        {
            "consent_basis": "They signed up on our Ghost site with double opt-in.",
            "confirmed": "on",
        },
    )
    assert response.status_code == 302
    imported.refresh_from_db()
    assert imported.confirmed_by == editor
    assert imported.confirmed_at is not None
    assert imported.consent_basis == "They signed up on our Ghost site with double opt-in."
    entry = ModelLogEntry.objects.get(action="newsletter.confirm_imported_list")
    assert entry.user_id == editor.pk
    assert entry.object_id == str(imported.pk)
    assert entry.data["consent_basis"] == imported.consent_basis
    assert entry.data["subscribers"] == 2

    page = client.get(f"/admin/imported_lists/inspect/{imported.pk}/")
    assert b"data-imported-list-confirmed" in page.content

    send_campaign(daily, django_capture_on_commit_callbacks, "After confirmation")
    assert received(smtp_mailbox, "After confirmation") == [
        "ada@example.org",
        "ben@example.org",
        "local@example.org",
    ]


@pytest.mark.django_db
def test_confirming_needs_the_send_permission_and_happens_once(client, daily):
    imported = import_list(daily, ["ada@example.org"])
    clerk = User.objects.create_user("clerk", password="x", is_staff=True)
    clerk.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_importedlist"),
    )
    client.force_login(clerk)

    response = client.post(
        f"/admin/imported_lists/{imported.pk}/confirm/",
        {"consent_basis": "Signed up there.", "confirmed": "on"},
    )

    # Wagtail answers a refused admin request by sending the user back to the dashboard.
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    imported.refresh_from_db()
    assert imported.confirmed_at is None
    assert not ModelLogEntry.objects.filter(action="newsletter.confirm_imported_list").exists()

    boss = User.objects.create_superuser("boss", password="x")
    # A list is a record of where its people came from: never deleted, not even by a
    # superuser.
    client.force_login(boss)
    deleted = client.post(f"/admin/imported_lists/delete/{imported.pk}/")
    assert deleted.status_code == 302
    assert ImportedList.objects.filter(pk=imported.pk).exists()
    imported_lists.confirm_list(imported, boss, "Signed up there.")
    with pytest.raises(imported_lists.ListAlreadyConfirmed):
        imported_lists.confirm_list(imported, clerk, "Something else.")
    imported.refresh_from_db()
    assert imported.confirmed_by == boss
    assert imported.consent_basis == "Signed up there."


@pytest.mark.django_db
def test_a_reader_who_confirms_here_themselves_is_mailed_before_the_list_is(
    daily, smtp_mailbox, django_capture_on_commit_callbacks
):
    import_list(daily, ["ada@example.org", "ben@example.org"])
    ada = Subscriber.objects.get(email="ada@example.org")
    weekly = Newsletter.objects.create(name="Weekly", slug="weekly")
    # Ada chooses her newsletters on the preferences page (a link only she holds).
    services.update_preferences(
        ada, [daily, weekly], "Ada", ConsentContext(source="preferences"), "Send me these.", "1"
    )
    assert ada.consent_records.filter(action=ConsentRecord.Action.CHANGE).exists()

    send_campaign(daily, django_capture_on_commit_callbacks, "Her own choice")

    assert received(smtp_mailbox, "Her own choice") == ["ada@example.org"]


@pytest.mark.django_db
def test_the_csv_import_of_people_declared_confirmed_goes_through_the_same_gate(
    client, editor, daily, smtp_mailbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/subscribers/import/",
            {
                "csv_file": SimpleUploadedFile(
                    "old-list.csv", b"email,name\nada@example.org,Ada\n", "text/csv"
                ),
                "default_newsletters": [str(daily.pk)],
                "already_confirmed": "on",
            },
        )
    assert response.status_code == 200
    assert b"data-imported-list-waiting" in response.content
    imported = ImportedList.objects.get()
    assert (imported.source, imported.filename, imported.count) == ("csv", "old-list.csv", 1)
    assert imported.created_by == editor
    ada = Subscriber.objects.get(email="ada@example.org")
    assert ada.imported_list == imported
    inspect = client.get(f"/admin/subscribers/inspect/{ada.pk}/")
    assert str(imported).encode() in inspect.content

    send_campaign(daily, django_capture_on_commit_callbacks, "Waiting")
    assert received(smtp_mailbox, "Waiting") == []

    imported_lists.confirm_list(imported, editor, "They confirmed on our old list provider.")
    send_campaign(daily, django_capture_on_commit_callbacks, "Confirmed")
    assert received(smtp_mailbox, "Confirmed") == ["ada@example.org"]


@pytest.mark.django_db
def test_a_csv_import_that_sends_confirmation_emails_makes_no_list(client, editor, daily):
    report = services.import_subscribers(
        "email\nada@example.org\n", "new.csv", editor, default_newsletters=[daily]
    )
    assert report.created == 1
    assert report.imported_list is None
    assert not ImportedList.objects.exists()
    assert Subscriber.objects.get().imported_list is None
