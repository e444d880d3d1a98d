"""The admin's export button: Administrators only; the task builds the archive after the
commit; the page shows progress, then the download; the download is served only to
Administrators from the private folder (never MEDIA_ROOT); old exports are deleted after
TRANSFER_EXPORT_KEEP_HOURS and when a new one is made."""

import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from masthead.core.scheduler import periodic_jobs
from masthead.publishing.roles import ADMINISTRATORS, CONTRIBUTORS, EDITORS
from masthead.transfer import export_runs, tasks
from tests.publishing.factories import make_article, make_site_tree

pytestmark = pytest.mark.django_db

PAGE = "/admin/export/"
DOWNLOAD = "/admin/export/download/"


@pytest.fixture(autouse=True)
def folders(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TRANSFER_EXPORT_DIR = tmp_path / "exports"
    make_article(make_site_tree().section, title="Ferry returns")
    return settings


def member_of(django_user_model, group_name):
    user = django_user_model.objects.create_user(group_name.lower(), f"{group_name}@x.test", "pw")
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def administrator(client, django_user_model):
    client.force_login(member_of(django_user_model, ADMINISTRATORS))
    return client


def start(client, capture):
    with capture(execute=True):
        return client.post(PAGE)


@pytest.mark.parametrize("role", [EDITORS, CONTRIBUTORS])
def test_only_administrators_see_the_page_start_an_export_or_download_it(
    django_user_model, administrator, django_capture_on_commit_callbacks, role
):
    other = Client()
    other.force_login(member_of(django_user_model, role))
    assert other.get(PAGE).status_code in (302, 403)
    assert other.post(PAGE).status_code in (302, 403)
    assert export_runs.read_state() == {"status": "none"}

    start(administrator, django_capture_on_commit_callbacks)
    assert export_runs.read_state()["status"] == "done"
    assert other.get(DOWNLOAD).status_code in (302, 403)
    assert Client().get(DOWNLOAD).status_code == 302  # to the sign-in page


def test_an_administrator_exports_and_downloads_the_archive(
    administrator, folders, django_capture_on_commit_callbacks
):
    page = administrator.get(PAGE)
    assert page.status_code == 200
    assert b"data-start-export" in page.content
    # The page warns that the archive holds the fediverse signing keys and network tokens.
    warning = page.content.decode().split("data-export-secrets", 1)[1].split("</div>", 1)[0]
    assert "private keys" in warning
    assert "access tokens and app passwords" in warning

    response = start(administrator, django_capture_on_commit_callbacks)
    assert response.status_code == 302

    page = administrator.get(PAGE)
    assert b'data-export-status="done"' in page.content
    assert b"data-download" in page.content
    download = administrator.get(DOWNLOAD)
    assert download.status_code == 200
    assert {"private", "no-store"} <= {
        part.strip() for part in download["Cache-Control"].split(",")
    }
    assert "attachment" in download["Content-Disposition"]
    body = b"".join(download.streaming_content)
    path = export_runs.archive_path()
    assert body == path.read_bytes()
    assert not path.resolve().is_relative_to(folders.MEDIA_ROOT)
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["counts"]["publishing.articlepage"] == 1
    assert set(manifest["secrets"]) == {"social.localactor", "social.networkaccount"}


def test_a_queued_export_shows_its_progress_and_is_not_started_twice(administrator):
    tasks.request_export(None)  # queued; its task runs only after a commit
    page = administrator.get(PAGE)
    assert b'data-export-status="queued"' in page.content
    assert page["Refresh"]
    assert b"data-start-export" not in page.content
    with pytest.raises(export_runs.ExportBusy):
        tasks.request_export(None)
    assert export_runs.build_export() == "done"
    assert export_runs.build_export() == "not queued"  # a task delivered twice


def test_a_new_export_replaces_the_old_one_and_old_ones_expire(
    administrator, folders, django_capture_on_commit_callbacks
):
    start(administrator, django_capture_on_commit_callbacks)
    first = export_runs.archive_path()
    state = export_runs.read_state()
    # A second one within the same second gets the same name: make the first one older.
    later = export_runs.admin_folder() / "masthead-export-20000101-000000.zip"
    first.rename(later)
    state["file"] = later.name
    export_runs._write_state(export_runs.admin_folder(), state)

    start(administrator, django_capture_on_commit_callbacks)
    assert not later.exists()
    second = export_runs.archive_path()
    assert second.is_file()

    finished = datetime.fromisoformat(export_runs.read_state()["finished_at"])
    hours = folders.TRANSFER_EXPORT_KEEP_HOURS
    assert not export_runs.prune(now=finished + timedelta(hours=hours) - timedelta(minutes=1))
    assert second.is_file()
    assert export_runs.prune(now=finished + timedelta(hours=hours, minutes=1))
    assert not second.exists()
    assert export_runs.archive_path() is None
    assert administrator.get(DOWNLOAD).status_code == 404
    assert datetime.now(UTC) > finished


def test_the_worker_deletes_old_exports_even_if_no_one_opens_the_page_again():
    assert "transfer.delete-old-export" in periodic_jobs()
