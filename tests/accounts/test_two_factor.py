"""Two-factor authentication through the admin's real pages: enrolling an authenticator app
from the QR page, signing in with a code generated from its secret, recovery codes that
work once, mandatory enrolment for editors and administrators when the setting is on, and
a session with only the password counting as signed out outside the admin."""

import time
from base64 import b32decode
from binascii import hexlify

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail.models import ModelLogEntry, PageViewRestriction

from tests.accounts.conftest import PASSWORD
from tests.publishing.factories import make_site_tree

pytestmark = pytest.mark.django_db

SETUP = "/admin/two-factor/setup/"
VERIFY = "/admin/two-factor/verify/"


def sign_in_with_password(client, username):
    response = client.post(
        reverse("wagtailadmin_login"),
        {"username": username, "password": PASSWORD, "next": "/admin/pages/"},
    )
    assert response.status_code == 302
    return response


def code(secret, drift=0):
    """The authenticator app's code for the base32 ``secret`` (``drift`` steps of 30 s on)."""
    return f"{totp(b32decode(secret), drift=drift):06d}"


def enrol(client):
    """Enrol through the setup page as a person would; returns the secret the page showed and
    the recovery codes it then listed."""
    page = client.get(SETUP)
    assert page.status_code == 200
    secret = page.context["readable_secret"]
    done = client.post(SETUP, {"code": code(secret)})
    assert done.status_code == 200
    return secret, done.context["codes"]


def test_enrolment_shows_a_qr_code_and_the_key_then_saves_the_app_and_recovery_codes(
    client, editor
):
    client.force_login(editor)

    page = client.get(SETUP)

    html = page.content.decode()
    secret = page.context["readable_secret"]
    # The QR code is drawn in the page itself: nothing is asked of another site.
    assert BeautifulSoup(html, "html.parser").select_one("figure svg path#qr-path") is not None
    assert f"<code data-secret>{secret}</code>" in html
    assert TOTPDevice.objects.filter(user=editor).count() == 0
    # A wrong first code saves nothing.
    wrong = client.post(SETUP, {"code": f"{(int(code(secret)) + 1) % 1_000_000:06d}"})
    assert "That code is not right" in wrong.content.decode()
    assert TOTPDevice.objects.filter(user=editor).count() == 0

    done = client.post(SETUP, {"code": code(secret)})

    device = TOTPDevice.objects.get(user=editor)
    assert device.confirmed is True
    assert device.key == hexlify(b32decode(secret)).decode()
    codes = done.context["codes"]
    assert len(codes) == 10
    assert sorted(
        StaticToken.objects.filter(device__user=editor).values_list("token", flat=True)
    ) == sorted(codes)
    for recovery_code in codes:
        assert recovery_code in done.content.decode()
    assert (
        ModelLogEntry.objects.filter(
            action="accounts.two_factor_enabled", object_id=str(editor.pk), user=editor
        ).count()
        == 1
    )
    # The session that enrolled is verified: the admin opens.
    assert client.get("/admin/pages/").status_code == 200


def test_after_the_password_the_admin_asks_for_a_code_from_the_app(client, editor):
    client.force_login(editor)
    secret, _codes = enrol(client)
    client.logout()

    sign_in_with_password(client, "editor")
    held = client.get("/admin/pages/")

    assert held.status_code == 302
    assert held.url == f"{VERIFY}?next=%2Fadmin%2Fpages%2F"
    # The code used to enrol is spent; the app's next code signs in (after the second that
    # django-otp makes a person wait after a wrong code).
    assert client.post(VERIFY, {"code": code(secret), "next": "/admin/pages/"}).status_code == 200
    time.sleep(1.1)
    verified = client.post(VERIFY, {"code": code(secret, drift=1), "next": "/admin/pages/"})
    assert verified.status_code == 302
    assert verified.url == "/admin/pages/"
    assert client.get("/admin/pages/").status_code == 200


def test_a_code_signs_in_once(client, editor):
    client.force_login(editor)
    secret, _codes = enrol(client)
    client.logout()
    first, second = Client(), Client()
    sign_in_with_password(first, "editor")
    sign_in_with_password(second, "editor")

    assert first.post(VERIFY, {"code": code(secret, drift=1)}).status_code == 302
    replayed = second.post(VERIFY, {"code": code(secret, drift=1)})

    assert replayed.status_code == 200
    assert "That code is not right" in replayed.content.decode()
    assert second.get("/admin/").status_code == 302


def test_a_recovery_code_signs_in_once(editor):
    enrolling = Client()
    enrolling.force_login(editor)
    _secret, codes = enrol(enrolling)
    first, second = Client(), Client()
    sign_in_with_password(first, "editor")
    sign_in_with_password(second, "editor")

    used = first.post(VERIFY, {"code": codes[0].upper()}, follow=True)

    assert used.redirect_chain[0] == ("/admin/", 302)
    assert "You signed in with a recovery code; 9 are left." in used.content.decode()
    assert StaticToken.objects.filter(device__user=editor).count() == 9
    refused = second.post(VERIFY, {"code": codes[0]})
    assert "That code is not right" in refused.content.decode()
    assert second.get("/admin/").status_code == 302
    time.sleep(1.1)
    assert second.post(VERIFY, {"code": codes[1]}).status_code == 302


def test_a_session_with_only_the_password_is_signed_out_outside_the_admin(client, editor):
    tree = make_site_tree()
    PageViewRestriction.objects.create(page=tree.home, restriction_type=PageViewRestriction.LOGIN)
    client.force_login(editor)
    secret, _codes = enrol(client)
    assert client.get("/").status_code == 200
    client.logout()

    sign_in_with_password(client, "editor")

    assert SESSION_KEY in client.session
    restricted = client.get("/")
    assert restricted.status_code == 302
    assert restricted.url.startswith("/_util/login/")
    client.post(VERIFY, {"code": code(secret, drift=1)})
    assert client.get("/").status_code == 200


def test_mandatory_two_factor_sends_editors_and_administrators_to_enrol_first(
    client, settings, editor, administrator, superuser, contributor
):
    settings.ADMIN_2FA_REQUIRED = True
    for person in (editor, administrator, superuser):
        client.force_login(person)
        held = client.get("/admin/pages/")
        assert held.status_code == 302, person
        assert held.url == f"{SETUP}?next=%2Fadmin%2Fpages%2F"
    # Contributors are not in ADMIN_2FA_REQUIRED_GROUPS.
    client.force_login(contributor)
    assert client.get("/admin/").status_code == 200

    client.force_login(editor)
    page = client.get(SETUP)
    assert "Your role needs two-factor authentication" in page.content.decode()
    client.post(SETUP, {"code": code(page.context["readable_secret"])})

    assert client.get("/admin/pages/").status_code == 200


def test_without_the_setting_nobody_is_made_to_enrol(client, editor, superuser):
    for person in (editor, superuser):
        client.force_login(person)
        assert client.get("/admin/pages/").status_code == 200


def test_a_password_alone_cannot_replace_the_app(client, editor):
    client.force_login(editor)
    enrol(client)
    client.logout()
    sign_in_with_password(client, "editor")

    response = client.get(SETUP)

    assert response.status_code == 302
    assert response.url == f"{VERIFY}?next=%2Fadmin%2Ftwo-factor%2Fsetup%2F"


def test_a_person_can_make_new_recovery_codes_and_turn_two_factor_off(client, editor):
    client.force_login(editor)
    _secret, old_codes = enrol(client)

    renewed = client.post("/admin/two-factor/", {"action": "renew_codes"})

    new_codes = renewed.context["codes"]
    assert set(new_codes).isdisjoint(old_codes)
    assert sorted(
        StaticToken.objects.filter(device__user=editor).values_list("token", flat=True)
    ) == sorted(new_codes)
    client.post("/admin/two-factor/", {"action": "turn_off"})
    assert TOTPDevice.objects.filter(user=editor).count() == 0
    assert StaticToken.objects.filter(device__user=editor).count() == 0
    assert list(
        ModelLogEntry.objects.filter(object_id=str(editor.pk), action__startswith="accounts.")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == [
        "accounts.two_factor_enabled",
        "accounts.recovery_codes_renewed",
        "accounts.two_factor_disabled",
    ]


def test_two_factor_cannot_be_turned_off_where_it_is_required(client, settings, editor):
    settings.ADMIN_2FA_REQUIRED = True
    client.force_login(editor)
    enrol(client)

    client.post("/admin/two-factor/", {"action": "turn_off"})

    assert TOTPDevice.objects.filter(user=editor).count() == 1
