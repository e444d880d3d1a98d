"""The editors' tools for readers' data: find a person by address across every app, export
or erase on their behalf (logged), the register with its due dates, and who may use them."""

import io
import zipfile
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from masthead.readers import identity, reader_data, registry, rights, tasks
from masthead.readers.models import DataRequest, Reader, SignInRequest
from masthead.readers.wagtail_hooks import ManagerMenuItem

pytestmark = pytest.mark.django_db

ADDRESS = "ada@example.org"


@pytest.fixture(autouse=True)
def export_dir(settings, tmp_path):
    settings.READERS_EXPORT_DIR = tmp_path / "exports"


@pytest.fixture
def reader():
    reader = identity.verified(ADDRESS, name="Ada Lovelace")
    SignInRequest.objects.create(
        email=ADDRESS,
        mailbox=ADDRESS,
        link_hash="a" * 64,
        code_hash="b" * 64,
        browser_hash="c" * 64,
        expires_at=timezone.now(),
    )
    return reader


def editor(django_user_model, name, *permissions):
    user = django_user_model.objects.create_user(name, f"{name}@outlet.example", "pw")
    group = Group.objects.create(name=f"{name} group")
    for codename in ("access_admin", *permissions):
        group.permissions.add(Permission.objects.get(codename=codename))
    user.groups.add(group)
    return user


@pytest.fixture
def manager(client, django_user_model):
    user = editor(django_user_model, "manager", "manage_data_requests")
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def only_readers_share(monkeypatch):
    monkeypatch.setattr(registry, "_shares", {"readers": reader_data.share})


def test_find_a_person_shows_what_every_app_holds(manager, reader):
    response = manager.post(reverse("readers_data_person"), {"email": "ADA@example.org"})
    assert response.status_code == 200
    page = response.content.decode()
    for share in registry.personal_data():
        assert str(share.title) in page
    assert 'data-table="readers.reader"><td>Your account</td><td>reader</td><td data-count>1' in (
        page
    )
    assert 'data-table="readers.sign_in_requests"' in page
    assert "Ada Lovelace" in page
    # The address was POSTed: it is in no URL of the page.
    assert "?email=" not in page


def test_an_address_nobody_verified_is_searched_too(manager, only_readers_share):
    SignInRequest.objects.create(
        email="nobody@example.org",
        mailbox="nobody@example.org",
        link_hash="d" * 64,
        code_hash="b",
        browser_hash="c",
        expires_at=timezone.now(),
    )
    page = manager.post(reverse("readers_data_person"), {"email": "nobody@example.org"})
    assert "No reader has verified this address" in page.content.decode()
    assert 'data-table="readers.sign_in_requests"' in page.content.decode()
    assert not Reader.objects.exists()


def test_export_on_behalf_is_logged_and_downloaded_by_editors_in_the_admin(
    manager, reader, only_readers_share, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(reverse("readers_data_export"), {"email": ADDRESS})
    assert response.status_code == 302
    data_request = DataRequest.objects.get()
    assert data_request.requested_by == manager.user
    assert data_request.file_name and not data_request.download_hash
    assert mail.outbox == []  # the editor hands it over, the reader is not mailed a link
    entry = ModelLogEntry.objects.get(action="readers.export_on_behalf")
    assert entry.user == manager.user
    assert entry.data == {"request": data_request.pk, "kind": "export"}
    assert ADDRESS not in entry.label

    register = manager.get(reverse("readers_data_requests")).content.decode()
    download_url = reverse("readers_data_download", args=[data_request.pk])
    assert download_url in register
    download = manager.get(download_url)
    assert download.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    assert "data.json" in archive.namelist()
    assert ModelLogEntry.objects.filter(
        action="readers.export_downloaded", user=manager.user
    ).exists()
    data_request.refresh_from_db()
    assert data_request.status == "done"


def test_a_readers_own_copy_is_not_downloadable_in_the_admin(
    manager, reader, only_readers_share, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        data_request = tasks.request_export(reader)
    response = manager.get(reverse("readers_data_download", args=[data_request.pk]))
    assert response.status_code == 404


def test_erase_on_behalf_needs_the_confirmation_and_is_logged(
    manager, reader, only_readers_share, django_capture_on_commit_callbacks
):
    response = manager.post(reverse("readers_data_erase"), {"email": ADDRESS})
    assert response.status_code == 302
    assert Reader.objects.exists() and not DataRequest.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        manager.post(reverse("readers_data_erase"), {"email": ADDRESS, "confirm": "on"})
    assert not Reader.objects.exists()
    assert not SignInRequest.objects.exists()
    data_request = DataRequest.objects.get()
    assert (data_request.status, data_request.email) == ("done", "")
    assert data_request.requested_by == manager.user
    entry = ModelLogEntry.objects.get(action="readers.erasure_on_behalf")
    assert entry.user == manager.user
    assert mail.outbox == []


def test_the_register_shows_due_dates_and_highlights_overdue_requests(manager, reader):
    late = rights.open_request(reader, "export")
    DataRequest.objects.filter(pk=late.pk).update(
        received_at=timezone.now() - timedelta(days=40),
        due_at=timezone.now() - timedelta(days=10),
    )
    on_time = rights.open_request(reader, "erasure")
    answered = rights.open_request(reader, "export")
    DataRequest.objects.filter(pk=answered.pk).update(
        due_at=timezone.now() - timedelta(days=1), completed_at=timezone.now(), status="done"
    )
    page = manager.get(reverse("readers_data_requests")).content.decode()
    assert f'data-request="{late.pk}" data-overdue' in page
    assert f'data-request="{on_time.pk}">' in page
    assert f'data-request="{answered.pk}">' in page
    assert 'data-overdue-count="1"' in page
    assert on_time.due_at.strftime("%-d %b %Y") in page


def test_editors_without_the_permission_are_refused(client, django_user_model, reader):
    user = editor(django_user_model, "writer")
    client.force_login(user)
    data_request = rights.open_request(reader, "export")
    for method, url, form in (
        ("get", reverse("readers_data_person"), {}),
        ("post", reverse("readers_data_person"), {"email": ADDRESS}),
        ("post", reverse("readers_data_export"), {"email": ADDRESS}),
        ("post", reverse("readers_data_erase"), {"email": ADDRESS, "confirm": "on"}),
        ("get", reverse("readers_data_requests"), {}),
        ("get", reverse("readers_data_download", args=[data_request.pk]), {}),
        ("post", reverse("readers_data_retry", args=[data_request.pk]), {}),
    ):
        response = getattr(client, method)(url, form)
        assert response.status_code in (302, 403), url
        if response.status_code == 302:
            assert "readers-data" not in response["Location"], url
    assert DataRequest.objects.count() == 1
    assert Reader.objects.exists()
    assert not ModelLogEntry.objects.filter(action__startswith="readers.").exists()

    request = type("Request", (), {"user": user})()
    assert not ManagerMenuItem("x", "/").is_shown(request)
    superuser = django_user_model.objects.create_superuser("root", "root@outlet.example", "pw")
    request.user = superuser
    assert ManagerMenuItem("x", "/").is_shown(request)


def test_a_failed_request_is_run_again_from_the_register_and_logged(
    manager, reader, only_readers_share, django_capture_on_commit_callbacks
):
    failed = rights.open_request(reader, "export", requested_by=manager.user)
    DataRequest.objects.filter(pk=failed.pk).update(
        status="failed", detail_kind="failed", detail_parameters={"error": "OSError"}
    )
    register = manager.get(reverse("readers_data_requests")).content.decode()
    assert reverse("readers_data_retry", args=[failed.pk]) in register

    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(reverse("readers_data_retry", args=[failed.pk]))
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.file_name and (failed.status, failed.detail) == ("received", "")
    entry = ModelLogEntry.objects.get(action="readers.request_retried")
    assert (entry.user, entry.data) == (manager.user, {"request": failed.pk, "kind": "export"})
    # Only a failed or waiting request can be run again.
    assert manager.post(reverse("readers_data_retry", args=[failed.pk])).status_code == 404


def test_the_menu_offers_the_tools_to_those_who_may_use_them(manager, client, django_user_model):
    home = manager.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse("readers_data_person") in home
    assert reverse("readers_data_requests") in home
    client.force_login(editor(django_user_model, "columnist"))
    assert (
        reverse("readers_data_person")
        not in client.get(reverse("wagtailadmin_home")).content.decode()
    )
