"""`masthead backup` and `masthead restore`, end to end in real processes: a populated outlet
(the demo: pages, images, supporters and gifts, the shop; plus a subscriber and an order) is
backed up, restored into a fresh database and media root, and compared table by table, row
by row, and file by file. On SQLite always; on PostgreSQL when DATABASE_URL points at one."""

import json
import os
import subprocess
import sys
import tarfile
import time
import uuid
import zipfile
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.test import override_settings

from masthead.core import backup

ROOT = Path(__file__).resolve().parents[2]
# Generous bounds: migrate takes ~15 s and the demo ~20 s on an idle machine.
COMMAND_TIMEOUT_SECONDS = 300

EXTRA_DATA = """
from masthead.newsletter.models import ConsentRecord, Newsletter, Subscriber, Subscription
from masthead.shop.models import Order, OrderLine, Variant

subscriber = Subscriber.objects.create(email="reader@example.org", name="A Reader", status="active")
Subscription.objects.create(subscriber=subscriber, newsletter=Newsletter.objects.first())
ConsentRecord.objects.create(subscriber=subscriber, action="opt_in", wording="Yes please")
variant = Variant.objects.first()
order = Order.objects.create(
    email="buyer@example.org", subtotal=1800, total=2150, full_name="A Buyer",
    address_line1="1 Mill Lane", city="Wennmouth", country="GB",
)
OrderLine.objects.create(
    order=order, variant=variant, product_title="Mug", sku=variant.sku, unit_price=1800,
    quantity=1, line_total=1800,
)
"""

# Prints every table of the database, rows ordered by all their columns, as JSON.
DUMP_TABLES = """
import json
from django.db import connection

tables = {}
with connection.cursor() as cursor:
    for table in sorted(connection.introspection.table_names()):
        quoted = connection.ops.quote_name(table)
        cursor.execute(f"SELECT * FROM {quoted}")
        columns = [column[0] for column in cursor.description]
        rows = [
            [value.hex() if isinstance(value, (bytes, memoryview)) else value for value in row]
            for row in cursor.fetchall()
        ]
        rows = sorted((json.dumps(row, default=str) for row in rows))
        tables[table] = {"columns": columns, "rows": rows}
print(json.dumps(tables))
"""


def run(arguments, environment, *, check=True):
    """Run ``manage.py <arguments>`` in a process of its own with ``environment``."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_SECONDS,
        check=False,
    )
    if check:
        assert result.returncode == 0, result.stderr[-3000:]
    return result


def outlet_environment(data_dir, database_url=None):
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "MEDIA_ROOT", "BACKUP_DIR", "DJANGO_SETTINGS_MODULE"}
    }
    environment.update(MASTHEAD_TESTING="1", MASTHEAD_DATA_DIR=str(data_dir))
    if database_url:
        environment["DATABASE_URL"] = database_url
    return environment


def tables_of(environment):
    output = run(["shell", "-v", "0", "-c", DUMP_TABLES], environment).stdout
    return json.loads(output)


def media_of(data_dir):
    root = Path(data_dir) / "media"
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file()
    }


def back_up_and_restore(tmp_path, source_url=None, target_url=None):
    """Populate an outlet, back it up, restore it elsewhere; return both sides' tables and
    media, and the archive."""
    source = outlet_environment(tmp_path / "source", source_url)
    run(["migrate", "--no-input", "-v", "0"], source)
    run(["demo_content"], source)
    run(["shell", "-v", "0", "-c", EXTRA_DATA], source)
    result = run(["backup"], source)
    archives = list((tmp_path / "source" / "backups").glob("masthead-*.tar.gz"))
    assert len(archives) == 1
    assert f"Backup written to {archives[0]}" in result.stdout

    target = outlet_environment(tmp_path / "target", target_url)
    if target_url:
        # A PostgreSQL target is migrated first, as an operator would: restore replaces it.
        run(["migrate", "--no-input", "-v", "0"], target)
    result = run(["restore", str(archives[0])], target)
    assert "media files." in result.stdout
    return (
        tables_of(source),
        tables_of(target),
        media_of(tmp_path / "source"),
        media_of(tmp_path / "target"),
        archives[0],
    )


def assert_same_outlet(source_tables, target_tables, source_media, target_media):
    assert sorted(target_tables) == sorted(source_tables)
    for table, contents in source_tables.items():
        assert target_tables[table] == contents, table
    # The demo really was there: pages, pictures, gifts, the subscriber and the order.
    assert len(source_tables["wagtailcore_page"]["rows"]) == 45
    assert len(source_tables["wagtailimages_image"]["rows"]) == 49
    assert len(source_tables["donations_donation"]["rows"]) == 175
    assert len(source_tables["newsletter_subscriber"]["rows"]) == 1
    assert len(source_tables["shop_order"]["rows"]) == 1
    assert len(source_media) >= 49
    assert target_media == source_media


def test_sqlite_backup_restores_every_row_and_every_media_file(tmp_path):
    source_tables, target_tables, source_media, target_media, archive = back_up_and_restore(
        tmp_path
    )

    assert_same_outlet(source_tables, target_tables, source_media, target_media)
    with tarfile.open(archive) as opened:
        manifest = json.load(opened.extractfile("manifest.json"))
        names = set(opened.getnames())
    assert manifest["database_vendor"] == "sqlite"
    assert manifest["database_dump"] == "database.sqlite3"
    assert "wagtailcore.0001_initial" in manifest["migrations"]
    assert manifest["media"] == {"included": True}
    assert set(manifest["files"]) == names - {"manifest.json"}
    assert {name for name in names if name.startswith("media/")} == {
        f"media/{name}" for name in source_media
    }


def postgres_url():
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else ""


@pytest.mark.skipif(not postgres_url(), reason="DATABASE_URL does not point at PostgreSQL")
def test_postgres_backup_restores_every_row_and_every_media_file(tmp_path):
    base = postgres_url().rsplit("/", 1)[0]
    suffix = uuid.uuid4().hex[:10]
    names = [f"backup_src_{suffix}", f"backup_dst_{suffix}"]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        for name in names:
            admin.execute(f"CREATE DATABASE {name}")
        try:
            source_tables, target_tables, source_media, target_media, _archive = (
                back_up_and_restore(tmp_path, f"{base}/{names[0]}", f"{base}/{names[1]}")
            )
        finally:
            for name in names:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    assert_same_outlet(source_tables, target_tables, source_media, target_media)


def test_restore_refuses_an_outlet_that_is_not_empty(tmp_path):
    environment = outlet_environment(tmp_path / "outlet")
    run(["migrate", "--no-input", "-v", "0"], environment)
    run(
        [
            "shell",
            "-v",
            "0",
            "-c",
            "from django.contrib.auth.models import User; User.objects.create(username='ed')",
        ],
        environment,
    )
    run(["backup", str(tmp_path / "one.tar.gz")], environment)
    run(
        [
            "shell",
            "-v",
            "0",
            "-c",
            "from django.contrib.auth.models import User; User.objects.create(username='later')",
        ],
        environment,
    )

    result = run(["restore", str(tmp_path / "one.tar.gz")], environment, check=False)

    assert result.returncode == 1
    assert result.stderr.strip() == (
        "CommandError: Refusing to restore: the database has user accounts. "
        "Use --force to overwrite it."
    )
    users = (
        "from django.contrib.auth.models import User; "
        "print(sorted(User.objects.values_list('username', flat=True)))"
    )
    assert run(["shell", "-v", "0", "-c", users], environment).stdout.strip() == "['ed', 'later']"

    forced = run(["restore", "--force", str(tmp_path / "one.tar.gz")], environment)

    assert "Restored a sqlite backup" in forced.stdout
    assert run(["shell", "-v", "0", "-c", users], environment).stdout.strip() == "['ed']"


def test_restore_refuses_an_archive_of_another_database_vendor(tmp_path):
    environment = outlet_environment(tmp_path / "outlet")
    run(["backup", str(tmp_path / "one.zip")], environment)
    # The same archive, claiming to hold a PostgreSQL dump.
    with zipfile.ZipFile(tmp_path / "one.zip") as original:
        members = {name: original.read(name) for name in original.namelist()}
    manifest = json.loads(members["manifest.json"])
    manifest["database_vendor"] = "postgresql"
    members["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as changed:
        for name, data in members.items():
            changed.writestr(name, data)

    result = run(["restore", str(tmp_path / "other.zip")], environment, check=False)

    assert result.returncode == 1
    assert result.stderr.strip() == (
        "CommandError: The archive holds a postgresql database but this site uses sqlite."
    )


@pytest.mark.django_db
def test_only_the_newest_backup_keep_archives_stay(tmp_path):
    backups = tmp_path / "backups"
    backups.mkdir()
    unrelated = backups / "notes.txt"
    unrelated.write_text("the operator's own file")
    with override_settings(BACKUP_DIR=backups, BACKUP_KEEP=2, MEDIA_ROOT=tmp_path / "media"):
        written = []
        for _ in range(4):
            written.append(backup.create_backup())
            # Archives are ordered by their time of writing.
            time.sleep(0.02)

    assert len(set(written)) == 4
    assert sorted(backups.iterdir()) == sorted([unrelated, *written[2:]])


@pytest.mark.django_db
def test_the_worker_backs_up_only_when_a_backup_is_due(tmp_path):
    backups = tmp_path / "backups"
    with override_settings(BACKUP_DIR=backups, BACKUP_EVERY_HOURS=0, MEDIA_ROOT=tmp_path / "m"):
        assert backup.backup_if_due() is None
        assert not backups.exists()
    with override_settings(BACKUP_DIR=backups, BACKUP_EVERY_HOURS=6, MEDIA_ROOT=tmp_path / "m"):
        first = backup.backup_if_due()
        assert backup.backup_if_due() is None
        six_hours_ago = time.time() - 6 * 3600
        os.utime(first, (six_hours_ago, six_hours_ago))
        second = backup.backup_if_due()

    assert first.parent == backups
    assert sorted(backups.iterdir()) == sorted([first, second])


def test_backup_settings_default_to_the_data_directory():
    assert settings.BACKUP_DIR == settings.DATA_DIR / "backups"
    assert settings.BACKUP_KEEP == 7
    assert settings.BACKUP_EVERY_HOURS == 0


def test_the_major_version_of_pg_dump_is_read_from_its_answer():
    debian = "pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)\n"

    assert backup.tool_major_version(debian) == 15
    assert backup.tool_major_version("pg_restore (PostgreSQL) 9.6.24\n") == 9
    assert backup.tool_major_version("not a version") is None


@pytest.mark.django_db
def test_media_in_an_object_store_are_named_in_the_manifest_not_copied(tmp_path):
    media_root = tmp_path / "media"
    media_root.mkdir()
    (media_root / "stale.jpg").write_bytes(b"not the store's")
    object_store = {
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
        "staticfiles": settings.STORAGES["staticfiles"],
    }
    with override_settings(STORAGES=object_store, MEDIA_ROOT=media_root):
        archive = backup.create_backup(tmp_path / "one.tar.gz")

    with tarfile.open(archive) as opened:
        manifest = json.load(opened.extractfile("manifest.json"))
        names = opened.getnames()
    assert manifest["media"]["included"] is False
    assert manifest["media"]["storage"] == "django.core.files.storage.InMemoryStorage"
    assert [name for name in names if name.startswith("media/")] == []
