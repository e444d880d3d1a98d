"""Personal data is kept no longer than its documented time (issue 10, retention jobs)."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from masthead.core.retention import clear_expired_sessions
from masthead.core.scheduler import periodic_jobs


@pytest.mark.django_db
def test_expired_sessions_are_deleted_by_the_worker(settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    now = timezone.now()
    Session.objects.create(session_key="old", session_data="x", expire_date=now - timedelta(1))
    Session.objects.create(session_key="live", session_data="x", expire_date=now + timedelta(1))

    clear_expired_sessions()

    assert list(Session.objects.values_list("session_key", flat=True)) == ["live"]
    assert periodic_jobs()["core.clear-expired-sessions"] is not None
