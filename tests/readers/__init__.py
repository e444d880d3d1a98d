"""Tests of readers' accounts. ``signed_in`` gives a test client a real reader session
(a ReaderSession row and the cookies a sign-in sets), for tests that are not about how
the reader got signed in."""

import hashlib
import secrets
from datetime import timedelta

from django.utils import timezone

from masthead.readers import identity
from masthead.readers.models import ReaderSession
from masthead.readers.sessions import HINT_COOKIE, SESSION_COOKIE


def signed_in(client, address="reader@example.org", *, name="", browser="Firefox on Linux"):
    """Sign ``client`` in as the Reader for ``address`` (made if new); returns the Reader."""
    reader = identity.verified(address, name=name)
    key = secrets.token_urlsafe(32)
    ReaderSession.objects.create(
        reader=reader,
        key_hash=hashlib.sha256(key.encode()).hexdigest(),
        browser=browser,
        expires_at=timezone.now() + timedelta(days=1),
    )
    client.cookies[SESSION_COOKIE] = key
    client.cookies[HINT_COOKIE] = "1"
    return reader
