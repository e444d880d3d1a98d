"""A reader's own data rights: the copy of their data (task, emailed link on a real SMTP
server, the ZIP, expiry), erasure's confirmation, its wait for a provider and its retry,
signing out, and the readers app's retention."""

import hashlib
import io
import json
import re
import secrets
import zipfile
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from masthead.core.scheduler import periodic_jobs
from masthead.readers import identity, reader_data, registry, retention, rights, tasks
from masthead.readers.models import DataRequest, Reader, ReaderSession, SignInRequest
from masthead.readers.registry import ErasureMustWait, PersonalData
from masthead.readers.sessions import SESSION_COOKIE

pytestmark = pytest.mark.django_db

ADDRESS = "ada@example.org"


@pytest.fixture(autouse=True)
def only_readers_share(monkeypatch):
    """The orchestration under test with the readers app's own share alone (the other
    apps' shares are exercised together by test_erasure and test_export_coverage)."""
    monkeypatch.setattr(registry, "_shares", {"readers": reader_data.share})


@pytest.fixture(autouse=True)
def export_dir(settings, tmp_path):
    settings.READERS_EXPORT_DIR = tmp_path / "exports"
    return settings.READERS_EXPORT_DIR


def signed_in(client, reader):
    key = secrets.token_urlsafe(32)
    ReaderSession.objects.create(
        reader=reader,
        key_hash=hashlib.sha256(key.encode()).hexdigest(),
        expires_at=timezone.now() + timedelta(days=1),
    )
    client.cookies[SESSION_COOKIE] = key
    return client


@pytest.fixture
def reader():
    return identity.verified(ADDRESS, name="=HYPERLINK(evil) Lovelace")


def link_in(message):
    return re.search(r"https?://\S+/account/data/download/[\w-]+/", message.text()).group(0)


def path_of(url):
    return urlsplit(url).path


def test_export_is_built_by_a_task_emailed_and_downloaded_as_one_zip(
    client, reader, smtp_mailbox, django_capture_on_commit_callbacks, export_dir
):
    signed_in(client, reader)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("readers:data_export"))
    assert response.status_code == 302
    assert response["Location"] == reverse("readers:data_export_sent")

    [message] = smtp_mailbox.wait_for(1)
    assert message.rcpt_tos == [ADDRESS]
    link = link_in(message)
    data_request = DataRequest.objects.get(kind="export")
    assert data_request.status == "received"
    assert data_request.download_hash and data_request.download_hash not in link
    [file] = list(export_dir.iterdir())
    assert file.name == data_request.file_name

    download = client.get(path_of(link))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    names = set(archive.namelist())
    assert {"README.txt", "data.json", "csv/readers-reader.csv"} <= names
    data = json.loads(archive.read("data.json"))
    assert set(data) == {share.name for share in registry.personal_data()}
    assert data["readers"]["reader"][0]["email"] == ADDRESS
    assert [row["kind"] for row in data["readers"]["data_requests"]] == ["export"]
    # Every table of every share has its CSV, and a formula is defused for spreadsheets.
    for share_name, tables in data.items():
        for table in tables:
            assert f"csv/{share_name}-{table}.csv" in names
    reader_csv = archive.read("csv/readers-reader.csv").decode()
    assert "'=HYPERLINK(evil) Lovelace" in reader_csv
    data_request.refresh_from_db()
    assert data_request.status == "done" and data_request.completed_at is not None


def test_asking_twice_within_the_hour_makes_one_copy(
    client, reader, django_capture_on_commit_callbacks
):
    signed_in(client, reader)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("readers:data_export"))
        client.post(reverse("readers:data_export"))
    assert DataRequest.objects.filter(kind="export").count() == 1
    assert len(mail.outbox) == 1


def test_an_expired_link_answers_410_and_retention_deletes_the_file(
    client, reader, django_capture_on_commit_callbacks, export_dir
):
    signed_in(client, reader)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("readers:data_export"))
    path = path_of(re.search(r"https?://\S+/download/[\w-]+/", mail.outbox[0].body).group(0))
    DataRequest.objects.update(download_expires_at=timezone.now() - timedelta(seconds=1))

    response = client.get(path)
    assert response.status_code == 410
    assert "expired" in response.content.decode()

    assert retention.delete_expired_exports() == 1
    assert list(export_dir.iterdir()) == []
    data_request = DataRequest.objects.get()
    assert (data_request.file_name, data_request.download_hash) == ("", "")
    assert client.get(path).status_code == 404


def test_a_copy_opens_only_with_its_own_token(client, reader, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        tasks.request_export(reader)
    data_request = DataRequest.objects.get()
    someone_else = identity.verified("grace@example.org")
    signed_in(client, someone_else)
    # Being signed in is not enough, nor is the stored hash, nor a guess.
    for token in (data_request.download_hash, secrets.token_urlsafe(32), "x"):
        response = client.get(reverse("readers:data_download", args=[token]))
        assert response.status_code == 404
    data_request.refresh_from_db()
    assert data_request.status == "received"


def test_the_account_part_offers_both_rights(client, reader):
    signed_in(client, reader)
    page = client.get(reverse("readers:data")).content.decode()
    assert reverse("readers:data_export") in page
    assert reverse("readers:data_erase") in page


def test_erasure_needs_the_address_typed_and_the_box_ticked(client, reader):
    signed_in(client, reader)
    page = client.get(reverse("readers:data_erase"))
    assert page.status_code == 200
    assert "What is kept" in page.content.decode()
    for form in (
        {"email": ADDRESS},
        {"email": "grace@example.org", "confirm": "on"},
        {"confirm": "on"},
    ):
        response = client.post(reverse("readers:data_erase"), form)
        assert response.status_code == 400
    assert Reader.objects.filter(pk=reader.pk).exists()
    assert not DataRequest.objects.exists()


def test_erasure_signs_out_erases_and_the_site_keeps_working(
    client, reader, django_capture_on_commit_callbacks
):
    signed_in(client, reader)
    SignInRequest.objects.create(
        email=ADDRESS,
        mailbox=ADDRESS,
        link_hash="a" * 64,
        code_hash="b" * 64,
        browser_hash="c" * 64,
        expires_at=timezone.now(),
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("readers:data_erase"), {"email": "Ada@Example.org", "confirm": "on"}
        )
    assert response.status_code == 302
    assert response.cookies[SESSION_COOKIE].value == ""
    assert not Reader.objects.exists()
    assert not ReaderSession.objects.exists()
    assert not SignInRequest.objects.exists()
    data_request = DataRequest.objects.get()
    assert (data_request.status, data_request.email, data_request.reader) == ("done", "", None)
    assert data_request.address_hash == identity.address_hash(ADDRESS)
    assert mail.outbox[-1].to == [ADDRESS]
    assert "erased" in mail.outbox[-1].subject

    status = client.get(response["Location"])
    assert status.status_code == 200
    assert "Your account is erased" in status.content.decode()
    account = client.get(reverse("readers:account"))
    assert account.status_code == 302
    assert reverse("readers:sign_in") in account["Location"]
    assert client.get(reverse("readers:sign_in")).status_code == 200


def test_a_status_page_needs_its_signed_ticket(client):
    assert client.get(reverse("readers:erasure_status", args=["1"])).status_code == 404


@pytest.fixture
def provider_share():
    """A share whose provider refuses until ``state["up"]``."""
    state = {"up": False, "erased": 0}

    def prepare(reader):
        if not state["up"]:
            raise ErasureMustWait("The payment provider could not cancel your monthly gift.")

    def erase(reader):
        state["erased"] += 1

    share = PersonalData(
        name="zz-provider",
        title="Provider",
        models=(),
        export=lambda reader: {},
        erase=erase,
        prepare_erasure=prepare,
    )
    registry.register_personal_data(share)
    return state


def test_erasure_waits_for_a_provider_and_is_retried(
    client, reader, provider_share, django_capture_on_commit_callbacks
):
    signed_in(client, reader)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("readers:data_erase"), {"email": ADDRESS, "confirm": "on"})
    data_request = DataRequest.objects.get()
    assert data_request.status == "waiting"
    assert "could not cancel" in data_request.detail
    assert Reader.objects.filter(pk=reader.pk).exists()
    assert provider_share["erased"] == 0
    assert response.cookies[SESSION_COOKIE].value == ""
    assert not ReaderSession.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "waiting" in page and "could not cancel" in page
    assert [message.subject for message in mail.outbox] == ["Your erasure is waiting"]

    # Still down: waits again, the reader is not told twice.
    with django_capture_on_commit_callbacks(execute=True):
        tasks.retry_waiting_erasures()
    assert DataRequest.objects.get().status == "waiting"
    assert len(mail.outbox) == 1

    provider_share["up"] = True
    with django_capture_on_commit_callbacks(execute=True):
        tasks.retry_waiting_erasures()
    data_request.refresh_from_db()
    assert data_request.status == "done"
    assert provider_share["erased"] == 1
    assert not Reader.objects.exists()
    assert "erased" in client.get(response["Location"]).content.decode()


def test_retention_trims_sign_ins_sessions_and_old_requests(reader):
    now = timezone.now()
    for expires in (now - timedelta(days=2), now - timedelta(hours=1)):
        SignInRequest.objects.create(
            email=ADDRESS,
            mailbox=ADDRESS,
            link_hash=secrets.token_hex(32),
            code_hash="b",
            browser_hash="c",
            expires_at=expires,
        )
    for expires in (now - timedelta(minutes=1), now + timedelta(days=1)):
        ReaderSession.objects.create(
            reader=reader, key_hash=secrets.token_hex(32), expires_at=expires
        )
    old = rights.open_request(reader, "export")
    recent = rights.open_request(reader, "erasure")
    DataRequest.objects.filter(pk=old.pk).update(received_at=now - timedelta(days=365 * 3 + 1))

    counts = retention.enforce()

    assert counts["sign_in_requests"] == 1
    assert SignInRequest.objects.get().expires_at == now - timedelta(hours=1)
    assert counts["reader_sessions"] == 1
    assert ReaderSession.objects.get().expires_at == now + timedelta(days=1)
    assert counts["data_requests"] == 1
    assert list(DataRequest.objects.values_list("pk", flat=True)) == [recent.pk]


def test_an_app_that_must_wait_while_erasing_rolls_everything_back(
    reader, django_capture_on_commit_callbacks
):
    def erase(reader):
        raise ErasureMustWait("An order still has items to send.")

    registry.register_personal_data(
        PersonalData(name="aa-shop", title="Shop", models=(), export=dict, erase=erase)
    )
    with django_capture_on_commit_callbacks(execute=True):
        data_request = tasks.request_erasure(reader)
    data_request.refresh_from_db()
    assert (data_request.status, data_request.detail) == (
        "waiting",
        "An order still has items to send.",
    )
    assert Reader.objects.filter(pk=reader.pk).exists()
    assert data_request.email == ADDRESS


def test_a_waiting_requests_reason_is_kept_as_written_and_made_a_sentence_when_shown(
    reader, django_capture_on_commit_callbacks
):
    def erase(reader):
        raise ErasureMustWait(
            "Order %(numbers)s still has items to send.",
            {"numbers": "MH-1, MH-2"},
            plural="Orders %(numbers)s still have items to send.",
            count=2,
        )

    registry.register_personal_data(
        PersonalData(name="aa-shop", title="Shop", models=(), export=dict, erase=erase)
    )
    with django_capture_on_commit_callbacks(execute=True):
        data_request = tasks.request_erasure(reader)
    data_request.refresh_from_db()

    assert (data_request.detail_kind, data_request.detail_parameters) == (
        DataRequest.DetailKind.MUST_WAIT,
        {
            "reason": "Order %(numbers)s still has items to send.",
            "plural": "Orders %(numbers)s still have items to send.",
            "count": 2,
            "values": {"numbers": "MH-1, MH-2"},
        },
    )
    assert data_request.detail == "Orders MH-1, MH-2 still have items to send."


def test_a_failed_request_keeps_the_errors_kind_and_never_its_message(reader, monkeypatch):
    def fail(*args):
        raise OSError(f"disk full writing {ADDRESS}")

    monkeypatch.setattr(rights, "write_zip", fail)
    data_request = rights.open_request(reader, DataRequest.Kind.EXPORT)

    with pytest.raises(OSError):
        rights.build_export(data_request.pk)

    data_request.refresh_from_db()
    assert (data_request.status, data_request.detail_kind, data_request.detail_parameters) == (
        DataRequest.Status.FAILED,
        DataRequest.DetailKind.FAILED,
        {"error": "OSError"},
    )
    assert data_request.detail == "Failed (OSError); see the server log. It can be run again."


def test_the_worker_runs_the_retries_and_the_retention():
    jobs = periodic_jobs()
    assert {"readers.retry-waiting-erasures", "readers.retention"} <= set(jobs)
