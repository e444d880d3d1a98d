"""Sign-in throttling through the admin's real sign-in form: an account, or a network (an
IPv6 /64 counted as one), is locked out after repeated failures, even with the right
password, with a clear message, until the lockout time has passed; password-reset requests
are limited per network and per mailbox."""

import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from tests.accounts.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOCKED = "Too many failed sign-in attempts"
WRONG = "Your username and password didn&#x27;t match"


def sign_in(client, username, password, address="192.0.2.10"):
    return client.post(
        reverse("wagtailadmin_login"),
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
    )


def test_an_account_is_locked_after_repeated_failures_even_with_the_right_password(
    client, settings, editor
):
    settings.ADMIN_SIGNIN_FAILURES_PER_ACCOUNT = 3
    for _attempt in range(3):
        response = sign_in(client, "editor", "not-the-password")
        assert response.status_code == 200
        assert WRONG in response.content.decode()

    response = sign_in(client, "editor", PASSWORD)

    assert response.status_code == 200
    assert LOCKED in response.content.decode()
    assert "try again in 15 minutes" in response.content.decode()
    assert SESSION_KEY not in client.session
    # The lock is on the account: another network, or another case, changes nothing.
    assert LOCKED in sign_in(client, "EDITOR", PASSWORD, "198.51.100.7").content.decode()
    # Every way in is closed, not only the form.
    assert client.login(username="editor", password=PASSWORD) is False


def test_the_lockout_ends_after_the_configured_time(client, settings, editor):
    settings.ADMIN_SIGNIN_FAILURES_PER_ACCOUNT = 2
    settings.ADMIN_SIGNIN_LOCKOUT_SECONDS = 1
    sign_in(client, "editor", "not-the-password")
    sign_in(client, "editor", "not-the-password")
    assert LOCKED in sign_in(client, "editor", PASSWORD).content.decode()

    time.sleep(1.2)
    response = sign_in(client, "editor", PASSWORD)

    assert response.status_code == 302
    assert response.url == "/admin/"
    assert client.session[SESSION_KEY] == str(editor.pk)


def test_a_successful_sign_in_forgets_the_accounts_earlier_failures(client, settings, editor):
    settings.ADMIN_SIGNIN_FAILURES_PER_ACCOUNT = 3
    sign_in(client, "editor", "not-the-password")
    sign_in(client, "editor", "not-the-password")
    assert sign_in(client, "editor", PASSWORD).status_code == 302
    client.logout()

    sign_in(client, "editor", "not-the-password")
    sign_in(client, "editor", "not-the-password")

    assert sign_in(client, "editor", PASSWORD).status_code == 302


def test_a_network_trying_many_accounts_is_locked_out_as_one_ipv6_64(client, settings, editor):
    settings.ADMIN_SIGNIN_FAILURES_PER_ACCOUNT = 0
    settings.ADMIN_SIGNIN_FAILURES_PER_IP = 3
    for number, guess in enumerate(["admin", "root", "editor"], start=1):
        sign_in(client, guess, "not-the-password", f"2001:db8:1:2::{number}")

    # Any address in the same /64 is the same client...
    locked = sign_in(client, "editor", PASSWORD, "2001:db8:1:2:ffff::99")
    assert locked.status_code == 200
    assert LOCKED in locked.content.decode()
    # ...while the editor, from another network, still signs in.
    assert sign_in(client, "editor", PASSWORD, "2001:db8:1:3::1").status_code == 302


def test_attempts_while_locked_do_not_extend_the_lockout(client, settings, editor):
    settings.ADMIN_SIGNIN_FAILURES_PER_ACCOUNT = 1
    settings.ADMIN_SIGNIN_LOCKOUT_SECONDS = 2
    sign_in(client, "editor", "not-the-password")
    time.sleep(1.2)
    for _attempt in range(5):
        assert LOCKED in sign_in(client, "editor", "not-the-password").content.decode()

    time.sleep(1.0)

    assert sign_in(client, "editor", PASSWORD).status_code == 302


def request_reset(client, email, address="192.0.2.10"):
    return client.post(
        reverse("wagtailadmin_password_reset"), {"email": email}, REMOTE_ADDR=address
    )


def test_password_reset_requests_are_limited_per_mailbox(client, settings, editor, mailoutbox):
    settings.ADMIN_PASSWORD_RESET_LIMIT_PER_ADDRESS = (2, 3600)
    assert request_reset(client, "editor@newsroom.test", "192.0.2.1").status_code == 302
    assert request_reset(client, "Editor@Newsroom.test", "192.0.2.2").status_code == 302
    assert len(mailoutbox) == 2

    refused = request_reset(client, "editor+again@newsroom.test", "192.0.2.3")

    assert refused.status_code == 200
    assert "Too many password reset requests" in refused.content.decode()
    assert len(mailoutbox) == 2


def test_password_reset_requests_are_limited_per_network(client, settings, editor, mailoutbox):
    settings.ADMIN_PASSWORD_RESET_LIMIT_PER_IP = (2, 3600)
    request_reset(client, "someone@newsroom.test", "2001:db8:5:6::1")
    request_reset(client, "other@newsroom.test", "2001:db8:5:6::2")

    refused = request_reset(client, "editor@newsroom.test", "2001:db8:5:6::3")

    assert refused.status_code == 200
    assert "Too many password reset requests" in refused.content.decode()
    assert mailoutbox == []
    # Another network may still ask.
    assert request_reset(client, "editor@newsroom.test", "2001:db8:5:7::1").status_code == 302
    assert len(mailoutbox) == 1
