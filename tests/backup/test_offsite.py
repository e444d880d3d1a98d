"""Backups kept off the machine, in an S3-compatible bucket.

boto3 talks to moto's S3, which answers boto3's HTTP requests in this process (nothing
leaves the machine), as the Stripe client's HTTP layer is answered elsewhere.
"""

import sys

import boto3
import pytest
from django.contrib.auth.models import User
from django.test import override_settings
from moto import mock_aws

from masthead.core import backup, backup_offsite

BUCKET = "outlet-backups"


@pytest.fixture
def s3(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    with mock_aws():
        client = boto3.client("s3", region_name="eu-west-2")
        client.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
        )
        yield client


def keys(client, prefix=""):
    listed = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return sorted(item["Key"] for item in listed)


def offsite_settings(tmp_path, **extra):
    values = {
        "BACKUP_DIR": tmp_path / "backups",
        "MEDIA_ROOT": tmp_path / "media",
        "BACKUP_S3_BUCKET": BUCKET,
        "BACKUP_S3_PREFIX": "nightly/",
        "BACKUP_S3_REGION": "eu-west-2",
    }
    return override_settings(**{**values, **extra})


@pytest.mark.django_db
def test_each_archive_goes_to_the_bucket_which_keeps_the_newest_backup_keep(tmp_path, s3):
    # An object of the operator's own under the same prefix is never pruned.
    s3.put_object(Bucket=BUCKET, Key="nightly/README.txt", Body=b"ours")
    with offsite_settings(tmp_path, BACKUP_KEEP=2):
        written = [backup.create_backup() for _ in range(3)]

    local = sorted(path.name for path in (tmp_path / "backups").iterdir())
    assert local == sorted(path.name for path in written[1:])
    assert keys(s3, "nightly/") == sorted(
        ["nightly/README.txt", *(f"nightly/{path.name}" for path in written[1:])]
    )
    newest = s3.get_object(Bucket=BUCKET, Key=f"nightly/{written[-1].name}")["Body"].read()
    assert newest == written[-1].read_bytes()


@pytest.mark.django_db
def test_a_backup_to_an_s3_url_uploads_one_archive_and_leaves_no_local_copy(tmp_path, s3):
    with offsite_settings(tmp_path, BACKUP_S3_BUCKET=""):
        location = backup.create_offsite_backup(f"s3://{BUCKET}/adhoc")

    assert location.bucket == BUCKET
    assert keys(s3) == [location.key]
    assert location.key.startswith("adhoc/masthead-")
    assert list((tmp_path / "backups").iterdir()) == []


@pytest.mark.django_db
def test_the_newest_archive_under_a_prefix_is_fetched_byte_for_byte(tmp_path, s3):
    with offsite_settings(tmp_path, BACKUP_KEEP=5):
        written = [backup.create_backup() for _ in range(2)]
        fetched = backup_offsite.download(
            backup_offsite.parse_s3_url(f"s3://{BUCKET}/nightly/"), tmp_path
        )

    assert fetched.name == written[-1].name
    assert fetched.read_bytes() == written[-1].read_bytes()


@pytest.mark.django_db
def test_restoring_from_a_bucket_refuses_an_outlet_in_use_before_downloading(tmp_path, s3):
    User.objects.create(username="editor")
    with offsite_settings(tmp_path), pytest.raises(backup.BackupError) as refused:
        backup.restore_backup(f"s3://{BUCKET}/nightly/")

    assert str(refused.value) == (
        "Refusing to restore: the database has user accounts. Use --force to overwrite it."
    )
    assert not (tmp_path / "backups").exists() or not list((tmp_path / "backups").iterdir())


@pytest.mark.django_db
def test_an_empty_prefix_or_a_missing_object_is_a_clear_error(tmp_path, s3):
    with offsite_settings(tmp_path), pytest.raises(backup.BackupError) as empty:
        backup.restore_backup(f"s3://{BUCKET}/nothing-here/", force=True)
    assert str(empty.value) == f"There is no Masthead backup in s3://{BUCKET}/nothing-here/."

    with offsite_settings(tmp_path), pytest.raises(backup.BackupError) as missing:
        backup.restore_backup(f"s3://{BUCKET}/nightly/masthead-20260101-030000.tar.gz", force=True)
    assert str(missing.value).startswith(
        f"Could not download s3://{BUCKET}/nightly/masthead-20260101-030000.tar.gz:"
    )


@pytest.mark.django_db
def test_a_failed_upload_keeps_the_local_archive_and_says_so(tmp_path, s3):
    with (
        offsite_settings(tmp_path, BACKUP_S3_BUCKET="no-such-bucket"),
        pytest.raises(backup.BackupError) as failed,
    ):
        backup.create_backup()

    archives = backup.archives_in(tmp_path / "backups")
    assert len(archives) == 1
    assert str(failed.value).startswith(f"{archives[0]} was written, but Could not upload")
    assert "NoSuchBucket" in str(failed.value)


def test_an_s3_url_without_a_bucket_is_refused():
    with pytest.raises(backup_offsite.OffsiteError, match="names no bucket"):
        backup_offsite.parse_s3_url("s3:///prefix/")


@pytest.mark.django_db
def test_without_boto3_the_operator_is_told_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "boto3", None)
    with offsite_settings(tmp_path), pytest.raises(backup.BackupError) as refused:
        backup.create_backup()

    assert "Backups to S3 need boto3: pip install boto3" in str(refused.value)
    assert len(backup.archives_in(tmp_path / "backups")) == 1
