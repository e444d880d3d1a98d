"""The export archive (its manifest, rows, media, CSVs), its committed schema, and the
restore's refusals: a site that is not empty, a tampered archive, hostile archives."""

import csv
import hashlib
import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from wagtail.models import Page

from masthead.newsletter.models import Subscriber
from masthead.transfer import export
from masthead.transfer.importing import ImportFileError, run_import
from masthead.transfer.restore import not_empty_reason
from tests.publishing.factories import make_article, make_author, make_image, make_site_tree

pytestmark = pytest.mark.django_db

SCHEMA = Path(django_settings.BASE_DIR) / "docs" / "export-schema.json"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def outlet():
    tree = make_site_tree()
    author = make_author(tree.author_index, "Gwen Allard")
    picture = make_image("Quay at dawn", 40, 30)
    article = make_article(
        tree.section, [author], title="Ferry returns", hero_image=picture, tags=["ferries"]
    )
    Subscriber.objects.create(email="ana@example.org", name="=HYPERLINK(1)")
    return tree, article, picture


def members(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_archive_holds_rows_media_csvs_and_a_manifest_of_checksums(outlet, tmp_path):
    _tree, article, picture = outlet
    result = export.create_export(tmp_path)
    assert result.path.parent == tmp_path and result.path.name.endswith(".zip")
    files = members(result.path)
    manifest = json.loads(files["manifest.json"])
    assert manifest["format"] == "masthead-export" and manifest["format_version"] == 1
    assert set(manifest["files"]) == set(files) - {"manifest.json"}
    for name, expected in manifest["files"].items():
        assert hashlib.sha256(files[name]).hexdigest() == expected["sha256"], name
        assert len(files[name]) == expected["size"]

    pages = [json.loads(line) for line in files["data/wagtailcore.page.jsonl"].splitlines()]
    row = next(row for row in pages if row["pk"] == article.pk)
    assert row["fields"]["title"] == "Ferry returns"
    assert row["fields"]["content_type"] == ["publishing", "articlepage"]
    assert manifest["counts"]["wagtailcore.page"] == len(pages)
    specific = json.loads(files["data/publishing.articlepage.jsonl"].splitlines()[0])
    assert specific["fields"]["hero_image"] == picture.pk
    # Times to the microsecond.
    assert row["fields"]["first_published_at"].endswith("Z")
    assert f"{article.first_published_at.microsecond:06d}" in row["fields"]["first_published_at"]

    assert files["media/" + picture.file.name] == picture.file.open("rb").read()
    assert not any(name.startswith("media/images/") for name in files)  # no renditions

    left_out = set(manifest["excluded"])
    assert {"sessions.session", "wagtailimages.rendition", "audience.hit"} <= left_out
    assert not any(f"data/{label}.jsonl" in files for label in left_out)
    users = files["data/auth.user.jsonl"].decode()
    assert "password" not in users

    subscribers = list(csv.DictReader(io.StringIO(files["csv/subscribers.csv"].decode())))
    assert subscribers[0]["email"] == "ana@example.org"
    assert subscribers[0]["name"] == "'=HYPERLINK(1)"  # defused for spreadsheets
    articles = list(csv.DictReader(io.StringIO(files["csv/articles.csv"].decode())))
    assert [(row["title"], row["authors"], row["tags"]) for row in articles] == [
        ("Ferry returns", "Gwen Allard", "ferries")
    ]
    assert b"<wp:wxr_version>1.2</wp:wxr_version>" in files["articles.wxr"]


def test_a_tar_gz_export_restores_too(outlet, tmp_path):
    result = export.create_export(tmp_path / "outlet.tar.gz")
    with tarfile.open(result.path) as archive:
        assert "manifest.json" in archive.getnames()
    # Not empty: refused, with nothing changed.
    with pytest.raises(ImportFileError, match="it has pages"):
        run_import("masthead", [result.path])


def test_the_committed_schema_matches_the_models():
    committed = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert committed == export.schema(), (
        "docs/export-schema.json no longer matches the models: run "
        "`masthead export --schema docs/export-schema.json` and commit the result."
    )


def test_the_schema_names_every_exported_model_and_its_relations():
    described = export.schema()["models"]
    assert set(described) == {model._meta.label_lower for model in export.exported_models()}
    article = described["publishing.articlepage"]
    assert article["parents"] == ["wagtailcore.page"]
    assert article["fields"]["hero_image"]["relation"] == {
        "kind": "many_to_one",
        "to": "wagtailimages.image",
        "by": "primary key",
    }
    owner = described["wagtailcore.page"]["fields"]["owner"]["relation"]
    assert owner["by"] == 'natural key ["username"]'


# --- Refusals ---------------------------------------------------------------------------------


def test_an_outlet_is_not_empty_and_a_fresh_site_is():
    assert not_empty_reason() == ""
    tree = make_site_tree()
    assert not_empty_reason() == "it has pages"
    Page.objects.filter(depth__gt=2).delete()
    assert tree  # the home page made by migrations alone is still "empty"
    assert not_empty_reason() == ""
    Subscriber.objects.create(email="ana@example.org")
    assert not_empty_reason() == "it has subscribers"


def rewritten(source, target, change):
    """A copy of the zip ``source`` with ``change(name, data)`` applied to each member."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = change(info.filename, old.read(info))
            if data is not None:
                new.writestr(info.filename, data)
    return target


def empty_archive(tmp_path):
    """An export of an empty site (made before anything is added)."""
    return export.create_export(tmp_path / "empty.zip").path


def test_a_tampered_archive_changes_nothing(tmp_path):
    archive = empty_archive(tmp_path)
    tampered = rewritten(
        archive,
        tmp_path / "tampered.zip",
        lambda name, data: data.replace(b"Home", b"Hxme") if "page.jsonl" in name else data,
    )
    titles = list(Page.objects.values_list("title", flat=True))
    with pytest.raises(ImportFileError, match="checksum"):
        run_import("masthead", [tampered])
    assert list(Page.objects.values_list("title", flat=True)) == titles


def test_a_member_missing_from_the_manifest_is_refused(tmp_path):
    archive = empty_archive(tmp_path)
    extra = tmp_path / "extra.zip"
    rewritten(archive, extra, lambda name, data: data)
    with zipfile.ZipFile(extra, "a") as opened:
        opened.writestr("data/extra.jsonl", b"{}")
    with pytest.raises(ImportFileError, match="not in its manifest"):
        run_import("masthead", [extra])


@pytest.mark.parametrize(
    "name", ["../escape.txt", "/etc/evil", "media/../../escape.txt", "C:/evil", "a\\..\\b"]
)
def test_paths_outside_the_archive_are_refused(tmp_path, name):
    archive = tmp_path / "hostile.zip"
    with zipfile.ZipFile(archive, "w") as opened:
        opened.writestr("manifest.json", b"{}")
        opened.writestr(name, b"x")
    with pytest.raises(ImportFileError, match="Refusing the archive"):
        run_import("masthead", [archive])
    assert not (tmp_path.parent / "escape.txt").exists()


def test_a_tar_with_a_link_is_refused(tmp_path):
    archive = tmp_path / "link.tar.gz"
    with tarfile.open(archive, "w:gz") as opened:
        info = tarfile.TarInfo("media/passwd")
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/passwd"
        opened.addfile(info)
    with pytest.raises(ImportFileError, match="link or device"):
        run_import("masthead", [archive])


def test_a_zip_bomb_is_stopped_at_its_stated_size(tmp_path):
    archive = empty_archive(tmp_path)
    with zipfile.ZipFile(archive) as opened:
        manifest = json.loads(opened.read("manifest.json"))
    name = "data/wagtailcore.locale.jsonl"
    bomb = tmp_path / "bomb.zip"
    # The manifest states the real size; the member unpacks to 200 MB of zeros.
    rewritten(archive, bomb, lambda member, data: None if member == name else data)
    with (
        zipfile.ZipFile(bomb, "a", compression=zipfile.ZIP_DEFLATED) as opened,
        opened.open(name, "w", force_zip64=True) as target,
    ):
        zeros = bytes(1024 * 1024)
        for _ in range(200):
            target.write(zeros)
    assert manifest["files"][name]["size"] < 1024
    with pytest.raises(ImportFileError, match="zip bomb"):
        run_import("masthead", [bomb])


def test_a_file_that_is_not_an_archive_is_refused(tmp_path):
    path = tmp_path / "notes.zip"
    path.write_text("just some text")
    with pytest.raises(ImportFileError, match="neither a zip nor a tar"):
        run_import("masthead", [path])


def test_the_export_command_writes_an_archive(outlet, tmp_path):
    out = io.StringIO()
    call_command("export", str(tmp_path / "out.zip"), stdout=out)
    assert "media files" in out.getvalue()
    assert (tmp_path / "out.zip").is_file()


def test_masthead_import_masthead_refuses_a_site_that_is_not_empty(outlet, tmp_path):
    archive = export.create_export(tmp_path / "outlet.zip").path
    pages = Page.objects.count()
    with pytest.raises(CommandError, match="Refusing to restore into this site: it has pages"):
        call_command("import", "masthead", str(archive), stdout=io.StringIO())
    assert Page.objects.count() == pages


def test_a_dry_run_restore_reports_and_changes_nothing(tmp_path, media):
    archive = empty_archive(tmp_path)
    titles = list(Page.objects.order_by("pk").values_list("pk", "title"))
    report = run_import("masthead", [archive], dry_run=True)
    assert report.failed == []
    assert report.as_dict()["counts"]["wagtailcore.page"] == {"created": len(titles)}
    assert list(Page.objects.order_by("pk").values_list("pk", "title")) == titles
