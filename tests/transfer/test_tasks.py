"""The import as a background task on an ImportRun: queued after the commit, run once, its
progress written a few times a second at most, its report or error saved, and its uploaded
file deleted whatever happened."""

from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from masthead.publishing.models import ArticlePage
from masthead.transfer import tasks
from masthead.transfer.models import ImportRun
from tests.publishing.factories import make_site_tree
from tests.transfer.tiny_importer import KIND, tiny_importer

pytestmark = pytest.mark.django_db


@pytest.fixture
def tiny():
    with tiny_importer() as importer:
        yield importer


@pytest.fixture
def upload_dir(settings, tmp_path):
    settings.TRANSFER_UPLOAD_DIR = tmp_path / "import-uploads"
    return settings.TRANSFER_UPLOAD_DIR


@pytest.fixture
def tree():
    return make_site_tree()


def upload(text, name="export.txt"):
    return SimpleUploadedFile(name, text.encode(), content_type="text/plain")


def test_a_started_import_runs_after_the_commit_and_keeps_its_report(
    tiny, tree, upload_dir, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = tasks.start_import(KIND, [upload("1|Harbour wall\n2|Ferry fares\n")])
        stored = list(Path(run.path).iterdir())
        # Queued, not run, until the transaction commits.
        assert ImportRun.objects.get(pk=run.pk).status == ImportRun.Status.QUEUED
        assert not ArticlePage.objects.exists()
    assert len(callbacks) == 1
    callbacks[0]()

    run.refresh_from_db()
    assert run.status == ImportRun.Status.DONE
    assert (run.done, run.total) == (2, 2)
    assert run.report["counts"] == {"post": {"created": 2}}
    assert run.started_at <= run.finished_at
    assert sorted(ArticlePage.objects.values_list("title", flat=True)) == [
        "Ferry fares",
        "Harbour wall",
    ]
    # The upload was kept privately, outside the media folder, and is gone now.
    assert [path.name for path in stored] == ["export.txt"]
    assert Path(settings.MEDIA_ROOT).resolve() not in stored[0].resolve().parents
    assert stored[0].parent.parent == upload_dir.resolve()
    assert run.path == ""
    assert list(upload_dir.iterdir()) == []


def test_a_bad_file_fails_the_run_with_its_message_changes_nothing_and_is_deleted(
    tiny, tree, upload_dir, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = tasks.start_import(KIND, [upload("1|Fine\nthis line is not an item\n")])

    run.refresh_from_db()
    assert run.status == ImportRun.Status.FAILED
    assert run.error == "export.txt, line 2: this is not a tiny export (no “|”)."
    assert run.report == {}
    assert not ArticlePage.objects.exists()
    assert list(upload_dir.iterdir()) == []


def test_one_failing_item_is_reported_and_the_others_imported(
    tiny, tree, upload_dir, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = tasks.start_import(KIND, [upload("1|Tide tables\n2|FAIL\n3|Lock gates\n")])

    run.refresh_from_db()
    assert run.status == ImportRun.Status.DONE
    assert run.report["failed"] == [
        {"kind": "item", "item": "FAIL", "reason": "ValueError: this item is broken on purpose"}
    ]
    assert ArticlePage.objects.count() == 2


def test_a_dry_run_reports_changes_nothing_and_ends_with_its_progress(
    tiny, tree, upload_dir, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = tasks.start_import(
            KIND, [upload("1|Quay lights\n2|Slipway\n3|Boat yard\n")], dry_run=True
        )

    run.refresh_from_db()
    assert run.status == ImportRun.Status.DONE
    assert run.report["dry_run"] is True
    assert run.report["counts"] == {"post": {"created": 3}}
    assert (run.done, run.total) == (3, 3)
    assert not ArticlePage.objects.exists()
    assert cache.get(f"transfer:import-progress:{run.pk}") is None


def test_a_dry_runs_progress_is_kept_in_the_cache_while_it_runs(tiny, tree):
    run = ImportRun.objects.create(kind=KIND, filename="x", dry_run=True)
    run.status = ImportRun.Status.RUNNING
    recorder = tasks.ProgressRecorder(run.pk, dry_run=True)
    recorder(4, 10)
    # The dry run's transaction would hide the row's progress, and undo it...
    assert ImportRun.objects.filter(pk=run.pk, done=0, total=0).exists()
    # ...so what the page shows comes from the cache.
    assert tasks.progress_of(run) == (4, 10)


def test_progress_is_written_a_few_times_a_second_at_most(tiny, tree):
    run = ImportRun.objects.create(kind=KIND, filename="x")
    recorder = tasks.ProgressRecorder(run.pk)
    with CaptureQueriesContext(connection) as queries:
        for done in range(1, 2001):
            recorder(done, 2000)
    updates = [query for query in queries if query["sql"].startswith("UPDATE")]
    # The first call, the last one, and one per PROGRESS_SECONDS in between.
    assert 2 <= len(updates) <= 10
    run.refresh_from_db()
    assert (run.done, run.total) == (2000, 2000)


def test_a_task_delivered_twice_imports_once(
    tiny, tree, upload_dir, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = tasks.start_import(KIND, [upload("1|Harbour wall\n")])

    assert tasks.import_task.call(run.pk) == "not queued"
    assert ArticlePage.objects.count() == 1
    run.refresh_from_db()
    assert run.report["counts"] == {"post": {"created": 1}}


def test_a_run_whose_file_went_missing_fails_with_the_reason(
    tiny, tree, upload_dir, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = tasks.start_import(KIND, [upload("1|Harbour wall\n")])
    (Path(run.path) / "export.txt").unlink()
    callbacks[0]()

    run.refresh_from_db()
    assert run.status == ImportRun.Status.FAILED
    assert run.error == "The uploaded file is no longer there: export.txt"
    assert list(upload_dir.iterdir()) == []


def test_an_unexpected_error_fails_the_run_and_says_so(
    tiny, tree, upload_dir, monkeypatch, django_capture_on_commit_callbacks
):
    def broken_check(self):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(tiny, "check", broken_check)
    with django_capture_on_commit_callbacks(execute=True):
        run = tasks.start_import(KIND, [upload("1|Harbour wall\n")])

    run.refresh_from_db()
    assert run.status == ImportRun.Status.FAILED
    assert run.error == "The import stopped on an unexpected error (RuntimeError: disk on fire)."
    assert list(upload_dir.iterdir()) == []


def test_the_options_reach_the_importer_without_the_file_list(
    tiny, tree, upload_dir, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        tasks.start_import(
            KIND,
            [upload("1|Harbour wall\n")],
            options={"section_map": {"sport": "Sport"}, "download": True},
        )

    assert tiny.seen_options == [{"section_map": {"sport": "Sport"}, "download": True}]


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("wordpress.2024-01-01.xml", "wordpress.2024-01-01.xml"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\export.json", "export.json"),
        (".htaccess", "htaccess"),
        ("my export (final).zip", "my_export_final.zip"),
        ("", "upload"),
        ("x" * 300 + ".xml", "x" * 96 + ".xml"),
    ],
)
def test_uploaded_names_are_made_safe(given, kept):
    assert tasks.safe_name(given) == kept


def test_two_uploads_with_one_name_are_both_kept(upload_dir):
    folder, names = tasks.store_uploads([upload("a", "list.csv"), upload("b", "list.csv")])
    assert names == ["list.csv", "list-2.csv"]
    assert (folder / "list-2.csv").read_text() == "b"
