"""Copies of donors' data leaving the admin are in Wagtail's audit log (issue 10, audit
log): every export of the donations or recurring supporters listing writes an entry naming
the editor who took it and the filters that chose the rows; merely looking at a listing
writes none."""

import pytest
from django.contrib.auth.models import Permission, User
from wagtail.models import ModelLogEntry

from tests.donations.helpers import give_and_pay, open_outlet

pytestmark = pytest.mark.django_db


@pytest.fixture
def outlet(settings):
    return open_outlet(settings)


@pytest.fixture
def viewer(client, outlet):
    """A staff member who may see donations and supporters, signed in."""
    user = User.objects.create_user("viewer", "viewer@example.org", "a-long-password")
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="donations",
            codename__in=["view_donation", "view_recurringdonation"],
        )
        | Permission.objects.filter(codename="access_admin")
    )
    client.force_login(user)
    give_and_pay(client, frequency="monthly", amount="500")
    return user


def audit_log(action):
    return [
        (entry.user.username, entry.object_id, entry.data)
        for entry in ModelLogEntry.objects.filter(action=action).order_by("pk")
    ]


@pytest.mark.parametrize(
    ("listing", "status", "action"),
    [
        ("/admin/donations/", "paid", "donations.export_donations"),
        ("/admin/supporters/", "active", "donations.export_supporters"),
    ],
)
def test_an_export_is_logged_with_the_editor_and_the_filters(
    client, viewer, listing, status, action
):
    browsed = client.get(f"{listing}?status={status}")
    assert browsed.status_code == 200
    assert audit_log(action) == []

    csv = client.get(f"{listing}?status={status}&export=csv")
    xlsx = client.get(f"{listing}?export=xlsx")

    assert (csv.status_code, xlsx.status_code) == (200, 200)
    assert b"".join(csv.streaming_content).count(b"reader@example.org") == 1
    assert audit_log(action) == [
        ("viewer", str(viewer.pk), {"format": "csv", "query": f"status={status}&export=csv"}),
        ("viewer", str(viewer.pk), {"format": "xlsx", "query": "export=xlsx"}),
    ]


def test_the_export_entries_read_as_sentences_in_the_logs_report(client, viewer):
    client.get("/admin/donations/?export=csv")
    client.get("/admin/supporters/?export=csv")

    labels = [entry.message for entry in ModelLogEntry.objects.order_by("pk")]

    assert labels[-2:] == ["Donations exported", "Recurring supporters exported"]
