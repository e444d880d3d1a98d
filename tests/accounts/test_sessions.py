"""Admin sessions end after ``ADMIN_SESSION_IDLE_SECONDS`` without use, and when the
password changes (every other session of that person; Django's session hash, kept working
through Wagtail's own password-change form)."""

import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from masthead.accounts.middleware import LAST_SEEN_SESSION_KEY
from tests.accounts.admin_forms import submit
from tests.accounts.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def last_used(client, seconds_ago):
    session = client.session
    session[LAST_SEEN_SESSION_KEY] = int(time.time()) - seconds_ago
    session.save()


def test_the_default_idle_limit_is_twelve_hours(settings):
    assert settings.ADMIN_SESSION_IDLE_SECONDS == 12 * 3600


def test_a_session_unused_for_longer_than_the_idle_limit_is_signed_out(client, settings, editor):
    settings.ADMIN_SESSION_IDLE_SECONDS = 3600
    client.force_login(editor)
    assert client.get("/admin/").status_code == 200
    assert client.session[LAST_SEEN_SESSION_KEY] >= int(time.time()) - 5

    last_used(client, 3601)
    response = client.get("/admin/")

    assert response.status_code == 302
    assert response.url == "/admin/login/?next=/admin/"
    assert SESSION_KEY not in client.session


def test_a_session_used_within_the_idle_limit_stays_signed_in(client, settings, editor):
    settings.ADMIN_SESSION_IDLE_SECONDS = 3600
    client.force_login(editor)
    last_used(client, 3500)

    assert client.get("/admin/").status_code == 200
    # Using it moved the idle clock on.
    assert client.session[LAST_SEEN_SESSION_KEY] >= int(time.time()) - 5


def test_changing_the_password_ends_the_persons_other_sessions(editor):
    here, elsewhere = Client(), Client()
    for client in (here, elsewhere):
        response = client.post(
            reverse("wagtailadmin_login"), {"username": "editor", "password": PASSWORD}
        )
        assert response.status_code == 302
        assert client.get("/admin/").status_code == 200

    changed = submit(
        here,
        reverse("wagtailadmin_account"),
        {
            "password-old_password": PASSWORD,
            "password-new_password1": "another-long-password-for-the-newsroom",
            "password-new_password2": "another-long-password-for-the-newsroom",
        },
    )

    assert changed.status_code == 302
    editor.refresh_from_db()
    assert editor.check_password("another-long-password-for-the-newsroom")
    # The session that changed it stays in; the other is signed out.
    assert here.get("/admin/").status_code == 200
    response = elsewhere.get("/admin/")
    assert response.status_code == 302
    assert response.url == "/admin/login/?next=/admin/"
