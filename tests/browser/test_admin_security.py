"""An editor secures their admin account in a real Chromium: with two-factor
authentication required, signing in with the password leads to enrolment; they scan (here:
read) the key from the QR page, prove it with a code, keep their recovery codes, sign out,
and sign in again with the password and a code generated from the key. Repeated wrong
passwords through the real sign-in form lock the account, and the form says so. At desktop
and phone widths; screenshots go to tests/artifacts/screenshots/."""

import re
from base64 import b32decode

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from masthead.publishing.roles import EDITORS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "a-long-test-password-for-the-newsroom"


@pytest.fixture
def editor(settings):
    """An editor, in a newsroom that requires two-factor authentication of editors."""
    cache.clear()
    settings.ADMIN_2FA_REQUIRED = True
    user = User.objects.create_user(
        "night-editor", "night@newsroom.test", PASSWORD, first_name="Nia", last_name="Night"
    )
    user.groups.add(Group.objects.get(name=EDITORS))
    yield user
    cache.clear()


def sign_in_with_password(page, live_server, password=PASSWORD):
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill("night-editor")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def code(secret, drift=0):
    return f"{totp(b32decode(secret), drift=drift):06d}"


def test_an_editor_enrols_two_factor_from_the_qr_page_and_signs_in_with_a_code(
    live_server, page, screenshot, editor, viewport
):
    sign_in_with_password(page, live_server)

    # The password alone leads to enrolment, not to the admin.
    expect(page.locator("h1")).to_have_text("Set up two-factor authentication")
    expect(page.locator("main")).to_contain_text("Your role needs two-factor authentication")
    expect(page.locator("figure svg")).to_be_visible()
    screenshot("admin-2fa-enrol")
    secret = page.locator("code[data-secret]").inner_text().strip()
    page.get_by_label("Code").fill(code(secret))
    page.get_by_role("button", name="Confirm").click()

    expect(page.locator("h1")).to_have_text("Your recovery codes")
    codes = page.locator("[data-recovery-codes] code").all_inner_texts()
    assert len(codes) == 10
    screenshot("admin-2fa-recovery-codes")
    assert TOTPDevice.objects.get(user=editor).confirmed is True
    page.get_by_role("link", name="Continue").click()
    expect(page.locator("main")).to_contain_text("Nia")
    screenshot("admin-2fa-dashboard")

    # Sign out from the sidebar's account menu (behind the menu button on a phone).
    if viewport == "phone":
        page.get_by_role("button", name="Toggle sidebar").first.click()
    page.get_by_role("button", name="Nia").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.locator("main")).to_contain_text("You have been successfully logged out.")
    sign_in_with_password(page, live_server)

    expect(page.locator("h1")).to_have_text("Enter your code")
    page.get_by_label("Code").fill("000000" if code(secret, drift=1) != "000000" else "111111")
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("main")).to_contain_text("That code is not right")
    # django-otp makes a person wait a second after a wrong code (by then the admin's message
    # has slid into place).
    page.wait_for_timeout(1100)
    screenshot("admin-2fa-wrong-code")
    # The code used to enrol is spent; the app's next one signs in.
    page.get_by_label("Code").fill(code(secret, drift=1))
    page.get_by_role("button", name="Verify").click()

    expect(page).to_have_url(live_server.url + "/admin/")
    expect(page.locator("main")).to_contain_text("Nia")
    page.goto(live_server.url + "/admin/pages/")
    expect(page).to_have_url(live_server.url + "/admin/pages/")

    # Their own two-factor page, under Account: all ten recovery codes unused, and no way to
    # turn it off, as their role requires it.
    page.goto(live_server.url + "/admin/two-factor/")
    expect(page.locator("main")).to_contain_text("You have 10 unused recovery codes.")
    expect(page.get_by_role("button", name="Turn off two-factor authentication")).to_have_count(0)
    screenshot("admin-2fa-manage")


def test_wrong_passwords_lock_the_account_and_the_sign_in_page_says_so(
    live_server, page, screenshot, editor, settings
):
    settings.ADMIN_SIGNIN_FAILURES_PER_ACCOUNT = 3
    for _attempt in range(3):
        sign_in_with_password(page, live_server, password="not-the-password")
        expect(page.locator("body")).to_contain_text(
            re.compile(r"Your username and password didn.t match")
        )

    # Locked: even the right password is refused, with the reason and how long to wait.
    sign_in_with_password(page, live_server)

    expect(page.locator("body")).to_contain_text(
        "Too many failed sign-in attempts. Signing in is paused; try again in 15 minutes."
    )
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    screenshot("admin-lockout")
    page.goto(live_server.url + "/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login/"))
