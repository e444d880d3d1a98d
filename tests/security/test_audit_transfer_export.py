"""The export of everything (every subscriber, donor and customer in one archive) leaves the
admin only with an entry in Wagtail's audit log: starting it and downloading it are each
logged against the Administrator who did it (issue 10, audit log)."""

import pytest
from django.contrib.auth.models import Group
from wagtail.log_actions import registry
from wagtail.models import ModelLogEntry

from masthead.publishing.roles import ADMINISTRATORS
from masthead.transfer import export_runs, tasks
from tests.publishing.factories import make_article, make_site_tree

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(client, django_user_model, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TRANSFER_EXPORT_DIR = tmp_path / "exports"
    make_article(make_site_tree().section, title="Ferry returns")
    user = django_user_model.objects.create_user("archivist", "archivist@newsroom.test", "pw")
    user.groups.add(Group.objects.get(name=ADMINISTRATORS))
    client.force_login(user)
    return user


def entries(action):
    return [
        (entry.user, entry.object_id, entry.data)
        for entry in ModelLogEntry.objects.filter(action=action).order_by("pk")
    ]


def message(action):
    entry = ModelLogEntry.objects.get(action=action)
    return str(registry.get_formatter(entry).format_message(entry))


def test_starting_and_downloading_the_export_are_logged_with_the_administrator(
    client, administrator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/export/")
    assert response.status_code == 302

    state = export_runs.read_state()
    assert state["status"] == "done"
    assert entries("transfer.export_started") == [
        (administrator, str(administrator.pk), {"requested_at": state["requested_at"]})
    ]
    assert message("transfer.export_started") == "Export of everything started"
    assert entries("transfer.export_downloaded") == []

    download = client.get("/admin/export/download/")
    assert download.status_code == 200
    b"".join(download.streaming_content)

    assert entries("transfer.export_downloaded") == [
        (administrator, str(administrator.pk), {"file": state["file"]})
    ]
    assert message("transfer.export_downloaded") == "Export of everything downloaded"


def test_a_refused_start_or_a_missing_archive_logs_nothing(client, administrator):
    tasks.request_export(None)  # queued by a command: no person to log

    assert client.post("/admin/export/").status_code == 302  # "already being made"
    assert client.get("/admin/export/download/").status_code == 404

    assert not ModelLogEntry.objects.filter(action__startswith="transfer.export").exists()
