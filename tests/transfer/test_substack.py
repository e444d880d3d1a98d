"""The Substack importer: the export ZIP (built here from fixtures/substack/, written to
Substack's export format) becomes articles and subscribers; re-runs, redirects, dates, dry
runs, and hostile ZIPs (bombs, path traversal, too many files) refused whole."""

import datetime
import io
import zipfile
from pathlib import Path

import pytest
from wagtail.contrib.redirects.models import Redirect
from wagtail.models import Page

from masthead.newsletter.models import (
    ConsentRecord,
    ImportedList,
    Newsletter,
    Subscriber,
)
from masthead.publishing.models import ArticlePage, AuthorPage
from masthead.transfer.importing import ImportFileError, run_import
from masthead.transfer.models import SourceRecord
from tests.publishing.factories import make_site_tree

SUBSTACK = Path(__file__).parent / "fixtures" / "substack"
UTC = datetime.UTC


def build_zip(path, extra=None, skip=()):
    """Substack's export ZIP from the fixture folder, plus ``extra`` {name: bytes}."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(SUBSTACK.rglob("*")):
            name = file.relative_to(SUBSTACK).as_posix()
            if file.is_file() and name not in skip:
                archive.write(file, name)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def zip_of(path, files, encrypted=False):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    if encrypted:
        # Set the "encrypted" flag bit in the local and central headers.
        data = bytearray(path.read_bytes())
        for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            at = data.find(signature)
            data[at + offset] |= 0x1
        path.write_bytes(bytes(data))
    return path


@pytest.fixture
def tree(db):
    return make_site_tree()


@pytest.fixture
def export(tmp_path):
    return build_zip(tmp_path / "bay-notes.zip")


@pytest.fixture
def notes_list(db):
    return Newsletter.objects.create(name="Bay Notes", slug="bay-notes")


def notes(report, kind="approximated"):
    return "\n".join(f"{note.item}: {note.reason}" for note in getattr(report, kind))


def state():
    return (
        Page.objects.count(),
        Redirect.objects.count(),
        Subscriber.objects.count(),
        ConsentRecord.objects.count(),
        ImportedList.objects.count(),
        SourceRecord.objects.count(),
    )


@pytest.mark.django_db
def test_the_export_becomes_articles_and_subscribers(client, tree, export, notes_list):
    report = run_import(
        "substack", [export], options={"author": "Mara Quint", "site": "https://bay.example"}
    )

    gauge = ArticlePage.objects.get(slug="tide-gauge-repaired")
    assert gauge.live
    assert gauge.get_parent().pk == tree.section.pk
    assert gauge.standfirst == "The gauge on the north pier reads true again after two winters."
    assert gauge.first_published_at == datetime.datetime(2023, 4, 5, 12, 34, 56, 789000, UTC)
    assert [author.title for author in gauge.author_list] == ["Mara Quint"]
    types = [block.block_type for block in gauge.body]
    assert "heading" in types and "pull_quote" in types
    text = str(gauge.body.render_as_block())
    assert "tide gauge" in text and "https://example.org/tides" in text
    assert "We can finally trust the numbers again." in text
    assert 'href="/p/members-briefing"' in text  # a path here, which its redirect answers
    assert "Harbour staff thanked the volunteers." in text
    for hostile in ("onmouseover", "<script", "alert(", "Subscribe for free", "<form"):
        assert hostile not in text
    # Images come by URL only with download=yes: noted, not fatal.
    assert "substackcdn.com/image/upload/gauge.jpg" in notes(report, "skipped")

    assert not ArticlePage.objects.get(slug="unfinished-draft").live
    assert ArticlePage.objects.get(slug="members-briefing").live
    episode = ArticlePage.objects.get(slug="episode-one")
    assert "https://audio.example.org/episode-one.mp3" in str(episode.body.render_as_block())
    assert not ArticlePage.objects.filter(slug="open-thread").exists()
    assert AuthorPage.objects.filter(title="Mara Quint").count() == 1

    response = client.get("/p/tide-gauge-repaired")
    assert response.status_code == 301
    assert response["Location"] == gauge.url

    # Subscribers: onto one imported list no campaign reaches until it is confirmed.
    one = Subscriber.objects.get(email="reader.one@example.org")
    assert one.status == Subscriber.Status.CONFIRMED
    assert list(one.subscriptions.values_list("newsletter__slug", "is_active")) == [
        ("bay-notes", True)
    ]
    assert one.imported_list.source == "substack"
    assert one.imported_list.confirmed_at is None
    assert one.imported_list.count == 4  # the two who had left are on it, unsubscribed
    record = one.consent_records.get()
    assert record.action == ConsentRecord.Action.IMPORT
    assert "Imported from Substack (https://bay.example)" in record.wording
    assert "2021-02-03" in record.wording
    assert record.confirmed_at == datetime.datetime(2021, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert Subscriber.objects.get(email="reader.two@example.org").status == "confirmed"
    for email in ("quiet@example.org", "lapsed@example.org"):
        left = Subscriber.objects.get(email=email)
        assert left.status == Subscriber.Status.UNSUBSCRIBED
        assert not left.subscriptions.filter(is_active=True).exists()

    data = report.as_dict()
    assert data["counts"]["post"] == {"created": 4, "skipped": 1}
    assert data["counts"]["member"] == {"created": 4}
    assert data["failed"] == []
    approximated = notes(report)
    assert "had a paid plan until 2024-12-31T00:00:00.000Z on Substack" in approximated
    assert "paid on Substack; imported as a free subscriber" in approximated
    assert "was for paying subscribers only (only_paid); it is public here" in approximated
    assert "button or widget" in approximated
    assert "podcast's audio was linked" in approximated


@pytest.mark.django_db
def test_a_re_run_updates_and_never_duplicates(tree, export, notes_list):
    run_import("substack", [export])
    before = state()

    report = run_import("substack", [export])

    assert state() == before
    assert report.as_dict()["counts"]["post"] == {"updated": 4, "skipped": 1}
    assert report.as_dict()["counts"]["member"] == {"unchanged": 4}


@pytest.mark.django_db
def test_a_dry_run_reports_and_changes_nothing(tree, export, notes_list):
    before = state()

    report = run_import("substack", [export], dry_run=True)

    assert report.dry_run
    assert report.as_dict()["counts"]["post"]["created"] == 4
    assert state() == before


@pytest.mark.django_db
def test_subscribers_need_a_newsletter_to_join(tree, export):
    with pytest.raises(ImportFileError, match="no newsletter here"):
        run_import("substack", [export])
    assert not Page.objects.filter(slug="tide-gauge-repaired").exists()


def bomb():
    """A small ZIP entry that unpacks to 64 MiB of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("posts/huge.html", b"\0" * (64 * 1024 * 1024))
    return buffer.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda path: path.write_bytes(b"PK\x03\x04 this is no zip"), "is not a ZIP file"),
        (lambda path: path.write_bytes(b"posts.csv\n"), "is not a ZIP file"),
        (lambda path: build_zip(path, {"../../etc/evil.html": b"x"}), "outside the archive"),
        (lambda path: build_zip(path, {"/abs/evil.html": b"x"}), "outside the archive"),
        (lambda path: build_zip(path, {"C:/evil.html": b"x"}), "outside the archive"),
        (
            lambda path: build_zip(path, {"posts.csv": b"title\nno id column\n"}, {"posts.csv"}),
            "has no post_id column",
        ),
        (
            lambda path: build_zip(path, {"posts.csv": b"post_id\n\xff\xfe\n"}, {"posts.csv"}),
            "posts.csv is not UTF-8",
        ),
        (lambda path: zip_of(path, {"readme.txt": b"nothing here"}), "not a Substack export"),
        (lambda path: zip_of(path, {"a": b"x"}, encrypted=True), "encrypted file"),
    ],
)
def test_a_bad_or_hostile_zip_is_refused_whole(tmp_path, tree, notes_list, make, message):
    path = tmp_path / "export.zip"
    make(path)
    before = state()

    with pytest.raises(ImportFileError, match=message):
        run_import("substack", [path])

    assert state() == before


@pytest.mark.django_db
def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path, tree, notes_list):
    path = tmp_path / "bomb.zip"
    path.write_bytes(bomb())
    assert path.stat().st_size < 200 * 1024

    with pytest.raises(ImportFileError, match="zip bomb"):
        run_import("substack", [path])
    assert not SourceRecord.objects.exists()


@pytest.mark.django_db
def test_too_much_unpacked_or_too_many_files_is_refused(tmp_path, tree, notes_list, settings):
    settings.TRANSFER_ZIP_MAX_BYTES = 10_000
    big = build_zip(tmp_path / "big.zip", {"posts/extra.html": b"<p>x</p>" * 2000})
    with pytest.raises(ImportFileError, match="would unpack to more than"):
        run_import("substack", [big])

    settings.TRANSFER_ZIP_MAX_BYTES = 10**9
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w") as archive:
        for number in range(50_001):
            archive.writestr(f"f{number}", b"")
    with pytest.raises(ImportFileError, match="holds more than 50,000 files"):
        run_import("substack", [many])
    assert not Page.objects.filter(slug="tide-gauge-repaired").exists()
