"""The admin's import screens: for Administrators only; upload, options and dry run; the
progress page that reloads itself until the run is over; the report with links to what was
imported; past runs; and clear refusals of a wrong kind of file, an empty or oversize
upload and a bad file, none of which changes anything."""

import re

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from wagtail.models import ModelLogEntry

from masthead.newsletter.models import Newsletter
from masthead.publishing.models import ArticlePage
from masthead.publishing.roles import ADMINISTRATORS, CONTRIBUTORS, EDITORS
from masthead.transfer.forms import ImportForm
from masthead.transfer.models import ImportRun
from tests.publishing.factories import make_section, make_site_tree
from tests.transfer.tiny_importer import KIND, tiny_importer

pytestmark = pytest.mark.django_db

START = "/admin/import/new/"


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


def member_of(django_user_model, group_name):
    user = django_user_model.objects.create_user(group_name.lower(), f"{group_name}@x.test", "pw")
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def administrator(client, django_user_model):
    client.force_login(member_of(django_user_model, ADMINISTRATORS))
    return client


def upload(text, name="old-site.txt"):
    return SimpleUploadedFile(name, text.encode(), content_type="text/plain")


def start(client, files, **fields):
    data = {"kind": KIND, "files": files, **fields}
    return client.post(START, data)


def text_of(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.mark.parametrize("role", [EDITORS, CONTRIBUTORS])
def test_only_administrators_may_import(client, django_user_model, tiny, tree, upload_dir, role):
    client.force_login(member_of(django_user_model, role))
    run = ImportRun.objects.create(kind=KIND, filename="x.txt")

    # Wagtail answers a refused admin page with a redirect to the admin's home.
    for url in ("/admin/import/", START, f"/admin/import/{run.pk}/"):
        assert client.get(url)["Location"] == "/admin/"
    assert start(client, [upload("1|Harbour wall\n")])["Location"] == "/admin/"
    assert ImportRun.objects.count() == 1
    assert not ArticlePage.objects.exists()
    assert '"/admin/import/"' not in client.get("/admin/").content.decode()


def test_the_menu_offers_import_to_administrators(administrator):
    home = administrator.get("/admin/").content.decode()
    assert "Import and export" in home
    assert '"/admin/import/"' in home


def test_an_administrator_imports_a_file_watches_it_and_reads_the_report(
    administrator, tiny, tree, upload_dir, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = start(administrator, [upload("1|Harbour wall\n2|FAIL\n3|Ferry fares\n")])
    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/import/{run.pk}/"
    assert run.created_by.username == "administrators"
    # Who started which import is in the admin's audit log.
    entry = ModelLogEntry.objects.get(action="transfer.import_started")
    assert (entry.user, entry.object_id) == (run.created_by, str(run.pk))
    assert entry.data == {"run": run.pk, "kind": KIND, "dry_run": False}

    # Queued: the page says so and reloads itself, with no script needed.
    waiting = administrator.get(response["Location"])
    assert waiting["Refresh"] == "2"
    assert '<meta http-equiv="refresh" content="2">' in waiting.content.decode()
    assert "Waiting for the task worker to pick it up" in text_of(waiting)

    for callback in callbacks:
        callback()
    report = administrator.get(response["Location"])
    body = report.content.decode()
    text = text_of(report)
    assert "Refresh" not in report
    assert 'http-equiv="refresh"' not in body
    assert '<progress max="3" value="3"' in body
    assert "3 of 3 items (100%)" in text
    assert "<th>Kind</th><th>Created</th><th>Failed</th></tr>" in body
    assert '<tr data-kind="post"><td>post</td><td>2</td><td>0</td></tr>' in body
    assert '<tr data-kind="item"><td>item</td><td>0</td><td>1</td></tr>' in body
    assert "Failed (1)" in text
    assert "FAIL ValueError: this item is broken on purpose" in text
    for title in ("Harbour wall", "Ferry fares"):
        article = ArticlePage.objects.get(title=title)
        assert f'<a href="{article.url}">{title}</a>' in body
        assert reverse("wagtailadmin_pages:edit", args=[article.pk]) in body

    listing = administrator.get("/admin/import/").content.decode()
    assert f'<tr data-run="{run.pk}">' in listing
    assert "old-site.txt" in listing


def test_the_form_turns_its_fields_into_each_kinds_options(tree, tmp_path):
    sport = make_section(tree.home, "Sport")
    weekly = Newsletter.objects.create(name="Weekly letter", slug="weekly")
    data = {
        "section_map": "local-sport = Sport\n\n# a comment\nnews=News",
        "default_section": sport.pk,
        "images_dir": str(tmp_path),
        "download": "on",
        "create_users": "on",
        "include_unapproved_comments": "on",
        "site": "https://old.example.org/",
        "author": "Sam Field",
        "newsletter_map": "Weekly = weekly",
        "default_newsletter": weekly.pk,
    }
    expected = {
        "wordpress": {
            "section_map": {"local-sport": "Sport", "news": "News"},
            "default_section": "sport",
            "uploads_dir": str(tmp_path),
            "download": True,
            "create_users": True,
            "include_unapproved_comments": True,
        },
        "ghost": {
            "site": "https://old.example.org/",
            "section_map": {"local-sport": "Sport", "news": "News"},
            "default_section": "sport",
            "images_dir": str(tmp_path),
            "download": True,
            "newsletter_map": {"Weekly": "weekly"},
            "default_newsletter": "weekly",
        },
        "substack": {
            "site": "https://old.example.org/",
            "default_section": "sport",
            "download": True,
            "author": "Sam Field",
            "newsletter_map": {"Weekly": "weekly"},
            "default_newsletter": "weekly",
        },
    }
    names = {"wordpress": "site.xml", "ghost": "site.json", "substack": "export.zip"}
    for kind, options in expected.items():
        form = ImportForm({**data, "kind": kind}, {"files": [upload("x", names[kind])]})
        form.fields["kind"].choices = [(kind, kind)]
        assert form.is_valid(), form.errors
        assert form.importer_options() == options


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"section_map": "sport Sport"}, "Line 1 is not “old = new”: sport Sport"),
        ({"images_dir": "relative/folder"}, "Give the folder&#x27;s full path, starting with /."),
        ({"images_dir": "/no/such/folder"}, "There is no folder /no/such/folder on this server."),
    ],
)
def test_bad_options_are_refused_with_the_reason(
    administrator, tiny, tree, upload_dir, fields, message
):
    response = start(administrator, [upload("1|Harbour wall\n")], **fields)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ImportRun.objects.exists()
    assert not upload_dir.exists() or list(upload_dir.iterdir()) == []


def test_a_file_of_the_wrong_kind_is_refused(administrator, tree, upload_dir):
    response = administrator.post(
        START, {"kind": "wordpress", "files": [upload("PK...", "export.zip")]}
    )

    assert response.status_code == 400
    assert (
        "export.zip is not an export of this kind. A WordPress export is an .xml file "
        "(Tools → Export)."
    ) in text_of(response)
    assert not ImportRun.objects.exists()


def test_an_empty_upload_is_refused(administrator, tiny, tree, upload_dir):
    response = start(administrator, [upload("")])

    assert response.status_code == 400
    assert "The submitted file is empty." in response.content.decode()
    assert not ImportRun.objects.exists()


def test_no_file_at_all_is_refused(administrator, tiny, tree, upload_dir):
    response = administrator.post(START, {"kind": KIND})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not ImportRun.objects.exists()


def test_an_upload_over_the_limit_is_refused_before_it_is_read(
    administrator, tiny, tree, upload_dir, settings
):
    settings.TRANSFER_MAX_UPLOAD_MB = 1
    response = start(administrator, [upload("1|" + "x" * (2 * 1024 * 1024 + 10) + "\n")])

    assert response.status_code == 413
    assert "The upload is larger than the 1 MiB an import may be." in response.content.decode()
    assert not ImportRun.objects.exists()
    assert not upload_dir.exists() or list(upload_dir.iterdir()) == []


def test_an_upload_just_over_the_limit_is_cut_off_while_it_is_read(
    administrator, tiny, tree, upload_dir, settings
):
    # Small enough to pass the Content-Length check (which leaves room for the form's
    # other fields), so the upload handler stops it.
    settings.TRANSFER_MAX_UPLOAD_MB = 1
    response = start(administrator, [upload("1|" + "x" * (1024 * 1024 + 10) + "\n")])

    assert response.status_code == 413
    assert "The upload is larger than the 1 MiB an import may be." in response.content.decode()
    assert not ImportRun.objects.exists()


def test_a_bad_file_fails_its_run_with_the_message_and_changes_nothing(
    administrator, tiny, tree, upload_dir, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = start(administrator, [upload("1|Harbour wall\nno bar on this line\n")])

    page = administrator.get(response["Location"])
    text = text_of(page)
    assert "The import could not be done. old-site.txt, line 2: this is not a tiny export" in text
    assert "Nothing in the file was imported" in text
    assert "Refresh" not in page
    assert ImportRun.objects.get().status == ImportRun.Status.FAILED
    assert not ArticlePage.objects.exists()
    assert list(upload_dir.iterdir()) == []


def test_a_dry_run_from_the_admin_says_so_and_changes_nothing(
    administrator, tiny, tree, upload_dir, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = start(administrator, [upload("1|Harbour wall\n")], dry_run="on")

    text = text_of(administrator.get(response["Location"]))
    assert "Dry run: this is what the import would do. Nothing was changed." in text
    assert "Imported articles and pages" not in text
    assert not ArticlePage.objects.exists()


def test_the_upload_needs_a_csrf_token(django_user_model, tiny, tree, upload_dir):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member_of(django_user_model, ADMINISTRATORS))

    response = start(client, [upload("1|Harbour wall\n")])

    assert response.status_code == 403
    assert not ImportRun.objects.exists()

    form_page = client.get(START).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form_page).group(1)
    response = start(client, [upload("1|Harbour wall\n")], csrfmiddlewaretoken=token)
    assert response.status_code == 302


def test_a_runs_page_shows_its_options_and_every_count_the_importer_kept(administrator):
    run = ImportRun.objects.create(
        kind="wordpress",
        filename="site.xml",
        status=ImportRun.Status.DONE,
        options={"section_map": {"quayside": "Harbour"}, "download": True, "_files": ["x"]},
        report={
            "dry_run": False,
            "counts": {
                "attachment": {"imported": 3},
                "category": {"mapped": 1, "to the default section": 2},
                "post": {"created": 4, "updated": 1},
            },
            "skipped": [],
            "approximated": [{"kind": "post", "item": "A post", "reason": "slug taken"}],
            "failed": [],
        },
    )

    response = administrator.get(f"/admin/import/{run.pk}/")
    body = response.content.decode()
    text = text_of(response)

    assert "section_map : quayside → Harbour" in text
    assert "download : yes" in text
    assert "_files" not in body
    assert (
        "<th>Kind</th><th>Created</th><th>Updated</th><th>Imported</th><th>Mapped</th>"
        "<th>To the default section</th></tr>"
    ) in body
    assert (
        '<tr data-kind="category"><td>category</td><td>0</td><td>0</td><td>0</td><td>1</td>'
        "<td>2</td></tr>"
    ) in body
    assert "Approximated (1)" in text
    assert "post A post slug taken" in text


def test_a_run_stopped_part_way_says_what_stays_imported(administrator):
    run = ImportRun.objects.create(
        kind="wordpress",
        filename="site.xml",
        status=ImportRun.Status.FAILED,
        done=40,
        total=100,
        error="The import stopped on an unexpected error (OperationalError: disk full).",
    )

    text = text_of(administrator.get(f"/admin/import/{run.pk}/"))

    assert "The import could not be done. The import stopped on an unexpected error" in text
    assert "It stopped after 40 of 100 items, which stay imported" in text
    assert "Nothing in the file was imported" not in text
