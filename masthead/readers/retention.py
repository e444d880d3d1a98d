"""How long the readers app keeps what it holds, enforced by periodic jobs (the README's
"Your readers' data" lists every kind of personal data the site keeps, and for how long).

- A sign-in request: a day after its link and code expired (long enough to answer "why did
  my link not work?"), then deleted.
- A signed-in browser: until its session expires (READERS_SESSION_DAYS after sign-in) or
  the reader signs out.
- A copy of a reader's data: READERS_EXPORT_DAYS after it was made, then the file is
  deleted and the link stops working.
- The register of data-rights requests: READERS_REQUEST_RETENTION_YEARS after a request
  arrived (erased readers' requests hold only a keyed hash of the address).
"""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from masthead.readers import rights
from masthead.readers.models import DataRequest, ReaderSession, SignInRequest

SIGN_IN_KEPT_AFTER_EXPIRY = timedelta(days=1)


def delete_old_sign_in_requests(now=None):
    now = now or timezone.now()
    deleted, _detail = SignInRequest.objects.filter(
        expires_at__lt=now - SIGN_IN_KEPT_AFTER_EXPIRY
    ).delete()
    return deleted


def delete_expired_reader_sessions(now=None):
    deleted, _detail = ReaderSession.objects.filter(expires_at__lt=now or timezone.now()).delete()
    return deleted


def delete_expired_exports(now=None):
    """Delete every copy whose link has expired (and any file no request names: one left
    half-written by a worker that stopped)."""
    now = now or timezone.now()
    expired = DataRequest.objects.filter(download_expires_at__lt=now).exclude(file_name="")
    count = 0
    for data_request in expired:
        rights.delete_export_file(data_request)
        count += 1
    named = set(DataRequest.objects.exclude(file_name="").values_list("file_name", flat=True))
    stale = now - timedelta(days=1)
    for path in rights.export_dir().iterdir():
        modified = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
        if path.name not in named and modified < stale:
            path.unlink(missing_ok=True)
            count += 1
    return count


def delete_old_data_requests(now=None):
    now = now or timezone.now()
    cutoff = now - timedelta(days=365 * settings.READERS_REQUEST_RETENTION_YEARS)
    old = DataRequest.objects.filter(received_at__lt=cutoff)
    for data_request in old.exclude(file_name=""):
        rights.delete_export_file(data_request)
    deleted, _detail = old.delete()
    return deleted


def enforce(now=None):
    """Every readers retention rule once (the periodic job)."""
    return {
        "sign_in_requests": delete_old_sign_in_requests(now),
        "reader_sessions": delete_expired_reader_sessions(now),
        "exports": delete_expired_exports(now),
        "data_requests": delete_old_data_requests(now),
    }
