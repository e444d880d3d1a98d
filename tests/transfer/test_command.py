"""``masthead import <kind> FILE... [--dry-run] [--option key=value] [--section-map a=b]``:
prints the report, records the run, and exits with status 1 and the reason on a bad file."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from masthead.publishing.models import ArticlePage
from masthead.transfer.models import ImportRun
from tests.publishing.factories import make_section, make_site_tree
from tests.transfer.tiny_importer import KIND, tiny_importer

pytestmark = pytest.mark.django_db


@pytest.fixture
def tiny():
    with tiny_importer() as importer:
        yield importer


@pytest.fixture
def tree():
    return make_site_tree()


@pytest.fixture
def export(tmp_path):
    path = tmp_path / "old-site.txt"
    path.write_text("101|Harbour wall repaired\n102|FAIL\n103|Ferry fares frozen\n")
    return path


def run_command(*args):
    out = io.StringIO()
    call_command("import", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue().splitlines()


def test_the_command_imports_and_prints_the_report(tiny, tree, export):
    lines = run_command(KIND, str(export))

    assert lines == [
        "Import finished.",
        "  item: 1 failed",
        "  post: 2 created",
        "Failed (1):",
        "  item FAIL: ValueError: this item is broken on purpose",
        "1 items failed.",
    ]
    assert sorted(ArticlePage.objects.values_list("title", flat=True)) == [
        "Ferry fares frozen",
        "Harbour wall repaired",
    ]
    run = ImportRun.objects.get()
    assert (run.kind, run.filename, run.status) == (KIND, "old-site.txt", ImportRun.Status.DONE)
    assert run.created_by is None
    assert (run.done, run.total) == (3, 3)
    assert run.report["counts"]["post"] == {"created": 2}


def test_running_it_again_updates_instead_of_duplicating(tiny, tree, export):
    run_command(KIND, str(export))
    lines = run_command(KIND, str(export))

    assert "  post: 2 updated" in lines
    assert ArticlePage.objects.count() == 2


def test_a_dry_run_reports_and_changes_nothing(tiny, tree, export):
    lines = run_command(KIND, str(export), "--dry-run")

    assert lines[:3] == ["Dry run: nothing was changed.", "  item: 1 failed", "  post: 2 created"]
    assert not ArticlePage.objects.exists()
    assert ImportRun.objects.get().dry_run is True


def test_a_bad_file_exits_with_status_1_and_the_reason_and_changes_nothing(tiny, tree, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("201|Fine\nnot an item\n")

    with pytest.raises(CommandError) as refused:
        run_command(KIND, str(bad))

    # Django's command runner prints "CommandError: <message>" and exits with returncode.
    assert refused.value.returncode == 1
    assert str(refused.value) == "bad.txt, line 2: this is not a tiny export (no “|”)."
    assert not ArticlePage.objects.exists()
    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.FAILED
    assert run.error == "bad.txt, line 2: this is not a tiny export (no “|”)."


def test_an_unknown_kind_names_the_kinds_there_are(tiny, export):
    with pytest.raises(CommandError) as refused:
        run_command("drupal", str(export))

    assert "There is no importer for 'drupal'; the kinds are:" in str(refused.value)
    assert KIND in str(refused.value)
    assert not ImportRun.objects.exists()


def test_a_missing_file_is_refused(tiny, tmp_path):
    with pytest.raises(CommandError, match=r"There is no file '.*nowhere\.xml'\."):
        run_command(KIND, str(tmp_path / "nowhere.xml"))
    assert not ImportRun.objects.exists()


def test_options_and_mappings_reach_the_importer(tiny, tree, export):
    sport = make_section(tree.home, "Sport")

    run_command(
        KIND,
        str(export),
        "--option",
        "uploads_dir=/srv/old-site/wp-content/uploads",
        "--option",
        "download=no",
        "--option",
        "create_users=yes",
        "--option",
        f"default_section={sport.slug}",
        "--option",
        'section_map={"news": "News"}',
        "--section-map",
        "local-sport=Sport",
        "--newsletter-map",
        "Weekly letter=weekly",
    )

    assert tiny.seen_options == [
        {
            "uploads_dir": "/srv/old-site/wp-content/uploads",
            "download": False,
            "create_users": True,
            "default_section": "sport",
            "section_map": {"news": "News", "local-sport": "Sport"},
            "newsletter_map": {"Weekly letter": "weekly"},
        }
    ]
    # Every item went to the default section given.
    assert ArticlePage.objects.count() == ArticlePage.objects.child_of(sport).count() == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--option", "download"], "--option takes key=value, not 'download'."),
        (["--section-map", "=Sport"], "--section-map takes key=value, not '=Sport'."),
        (["--option", "section_map={broken"], "This option value is not JSON: '{broken'"),
    ],
)
def test_malformed_options_are_refused_before_anything_runs(tiny, tree, export, args, message):
    with pytest.raises(CommandError) as refused:
        run_command(KIND, str(export), *args)

    assert str(refused.value).startswith(message)
    assert not ImportRun.objects.exists()
    assert not ArticlePage.objects.exists()
