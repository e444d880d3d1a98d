"""Backup archives kept off the machine, in an S3-compatible bucket.

A backup on the same disk as the site does not survive losing that disk. With
``BACKUP_S3_BUCKET`` set, every archive ``masthead backup`` writes into BACKUP_DIR is also
uploaded to ``s3://BACKUP_S3_BUCKET/BACKUP_S3_PREFIX<name>``, and only the newest
BACKUP_KEEP archives stay there too. ``masthead backup s3://bucket/prefix/`` uploads one
archive to a bucket given on the command line, and ``masthead restore s3://bucket/key``
fetches one back before restoring it.

Any S3-compatible store works (AWS, Backblaze B2, Wasabi, MinIO, Cloudflare R2...):
``BACKUP_S3_ENDPOINT_URL`` names one that is not AWS. Credentials come from the usual
``AWS_ACCESS_KEY_ID`` and ``AWS_SECRET_ACCESS_KEY`` variables, which boto3 reads itself.
boto3 is an optional dependency (``pip install boto3``, or ``.[s3]``), needed only here and
for media in S3.
"""

import re
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

S3_SCHEME = "s3://"
# Only names Masthead gives its archives are listed, pruned or fetched as "the newest", so an
# operator's other objects under the same prefix are never touched.
ARCHIVE_NAME = re.compile(r"masthead-(\d{8}-\d{6})(?:-(\d+))?\.(?:tar\.gz|zip)$")


class OffsiteError(Exception):
    """An upload, listing or download that failed; the message is one line for the operator."""


@dataclass(frozen=True)
class Location:
    """A bucket and a key (or a prefix ending in ``/``) in it."""

    bucket: str
    key: str

    def __str__(self):
        return f"{S3_SCHEME}{self.bucket}/{self.key}"


def is_s3_url(value):
    return str(value).startswith(S3_SCHEME)


def parse_s3_url(value):
    """``s3://bucket/some/key`` as a Location; the key may be empty or a prefix."""
    rest = str(value)[len(S3_SCHEME) :]
    bucket, _, key = rest.partition("/")
    if not bucket:
        raise OffsiteError(f"{value} names no bucket (expected s3://bucket/prefix/).")
    return Location(bucket, key)


def configured():
    """Whether archives written into BACKUP_DIR also go to the bucket in the settings."""
    return bool(settings.BACKUP_S3_BUCKET)


def configured_prefix():
    return Location(settings.BACKUP_S3_BUCKET, settings.BACKUP_S3_PREFIX)


def _client():
    try:
        import boto3  # optional: only offsite backups and S3 media need it
        from botocore.config import Config
    except ImportError as error:
        raise OffsiteError(
            "Backups to S3 need boto3: pip install boto3 (or install Masthead with .[s3])."
        ) from error
    return boto3.client(
        "s3",
        endpoint_url=settings.BACKUP_S3_ENDPOINT_URL or None,
        region_name=settings.BACKUP_S3_REGION or None,
        config=Config(retries={"max_attempts": 5, "mode": "standard"}),
    )


@contextmanager
def _failing_call(action, location):
    """Turn boto3's many exceptions into one clear line for the operator."""
    from boto3.exceptions import Boto3Error
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except (Boto3Error, BotoCoreError, ClientError) as error:
        raise OffsiteError(f"Could not {action} {location}: {error}") from error


def upload(path, prefix):
    """Upload the archive at ``path`` under ``prefix`` (a Location); return where it went.

    boto3 uploads large files in parts; an upload that fails midway leaves no object."""
    path = Path(path)
    key_prefix = prefix.key if not prefix.key or prefix.key.endswith("/") else prefix.key + "/"
    target = Location(prefix.bucket, key_prefix + path.name)
    client = _client()
    with _failing_call("upload the backup to", target):
        client.upload_file(str(path), target.bucket, target.key)
    return target


def list_archives(prefix):
    """The archives under ``prefix``, oldest first."""
    client = _client()
    found = []
    with _failing_call("list the backups in", prefix):
        paginator = client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=prefix.bucket, Prefix=prefix.key):
            for item in page.get("Contents", []):
                name = item["Key"][len(prefix.key) :]
                if "/" not in name and (match := ARCHIVE_NAME.fullmatch(name)):
                    # By the time in the name and its number within that second: the store's
                    # own modification times are only to the second.
                    found.append((match.group(1), int(match.group(2) or 0), item["Key"]))
    found.sort()
    return [Location(prefix.bucket, key) for *_, key in found]


def prune(prefix, keep):
    """Delete all but the newest ``keep`` archives under ``prefix``; return the deleted."""
    archives = list_archives(prefix)
    deleted = archives[: -max(keep, 1)]
    if deleted:
        client = _client()
        with _failing_call("delete old backups in", prefix):
            client.delete_objects(
                Bucket=prefix.bucket,
                Delete={"Objects": [{"Key": location.key} for location in deleted]},
            )
    return deleted


def download(location, directory):
    """Fetch the archive at ``location`` into ``directory``; return the local path.

    ``location`` may be a prefix ending in ``/``: the newest archive under it is fetched."""
    if not location.key or location.key.endswith("/"):
        archives = list_archives(location)
        if not archives:
            raise OffsiteError(f"There is no Masthead backup in {location}.")
        location = archives[-1]
    name = location.key.rsplit("/", 1)[-1]
    if not name.endswith((".tar.gz", ".tgz", ".zip")):
        raise OffsiteError(f"{location} is not a .tar.gz or .zip archive.")
    target = Path(directory) / name
    client = _client()
    with _failing_call("download", location):
        client.download_file(location.bucket, location.key, str(target))
    return target


def temporary_directory():
    """Where an archive bound for a bucket, or fetched from one, waits on this machine."""
    parent = Path(settings.BACKUP_DIR)
    parent.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(dir=parent, prefix=".masthead-offsite-")
