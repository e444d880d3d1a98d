"""Taking a copy of the subscriber list needs its own permission, and every export and
import is written to the admin's audit log with who did it (issue 10, part 12 and the
audit log)."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.models import ModelLogEntry

from tests.newsletter.subscribe_helpers import make_newsletters, make_subscriber

SUBSCRIBER_PERMISSIONS = ("view_subscriber", "add_subscriber", "change_subscriber")


def staff(username, *codenames):
    """A user who may enter the admin, with these newsletter permissions only."""
    user = get_user_model().objects.create_user(username, f"{username}@example.org", "pw")
    user.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        *Permission.objects.filter(content_type__app_label="newsletter", codename__in=codenames),
    )
    return user


def audit_log(action):
    return [
        (entry.user.username, entry.data)
        for entry in ModelLogEntry.objects.filter(action=action).order_by("pk")
    ]


@pytest.mark.django_db
def test_every_subscriber_permission_but_export_cannot_take_a_copy(client):
    daily, _weekly, _members = make_newsletters()
    make_subscriber("ada@example.org", [daily])
    client.force_login(staff("clerk", *SUBSCRIBER_PERMISSIONS))

    listing = client.get("/admin/subscribers/")
    export = client.get("/admin/subscribers/?export=csv")
    spreadsheet = client.get("/admin/subscribers/?export=xlsx")

    assert listing.status_code == 200
    assert "ada@example.org" in listing.content.decode()
    assert "Download CSV" not in listing.content.decode()
    # Wagtail answers a refused admin request by sending the editor back to the dashboard.
    assert (export.status_code, export["Location"]) == (302, "/admin/")
    assert (spreadsheet.status_code, spreadsheet["Location"]) == (302, "/admin/")
    assert b"ada@example.org" not in export.content
    assert audit_log("newsletter.export_subscribers") == []


@pytest.mark.django_db
def test_an_export_is_logged_with_who_took_it_and_which_filters(client):
    daily, _weekly, _members = make_newsletters()
    make_subscriber("ada@example.org", [daily])
    client.force_login(staff("lead", "view_subscriber", "export_subscribers"))

    listing = client.get("/admin/subscribers/")
    export = client.get("/admin/subscribers/?status=confirmed&export=csv")

    assert "Download CSV" in listing.content.decode()
    assert export.status_code == 200
    assert b"ada@example.org" in b"".join(export.streaming_content)
    assert audit_log("newsletter.export_subscribers") == [
        ("lead", {"format": "csv", "query": "status=confirmed&export=csv"})
    ]


@pytest.mark.django_db
def test_an_import_is_logged_with_its_counts(client):
    make_newsletters()
    client.force_login(staff("clerk", *SUBSCRIBER_PERMISSIONS))
    upload = SimpleUploadedFile(
        "readers.csv",
        b"email,newsletters\nada@example.org,daily\nnot-an-address,daily\n",
        "text/csv",
    )

    response = client.post("/admin/subscribers/import/", {"csv_file": upload})

    assert response.status_code == 200
    assert audit_log("newsletter.import_subscribers") == [
        ("clerk", {"filename": "readers.csv", "created": 1, "rejected": 1})
    ]
