"""Two-factor authentication for the admin, on django-otp's devices: a TOTP device (an
authenticator app) and a static device holding single-use recovery codes.

Enrolment shows a QR code (an inline SVG drawn here, nothing asks a remote service) for a
secret kept in the session until the person proves, with a first code, that their app holds
it; only then is the device saved, with recovery codes shown once. At sign-in, after the
password, the middleware asks for a code before any admin page (see middleware.py). With
``ADMIN_2FA_REQUIRED`` on, superusers and members of ``ADMIN_2FA_REQUIRED_GROUPS`` who have
no device are sent to enrol first.
"""

import time
from base64 import b32encode
from binascii import unhexlify

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex
from wagtail.log_actions import log

AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_CODES_NAME = "Recovery codes"
RECOVERY_CODE_COUNT = 10
# Codes from the app one step (30 s) either side of now are accepted, for clocks that drift.
TOLERANCE_STEPS = 1


class CodeThrottled(Exception):
    """Too many wrong codes in a row: django-otp makes the person wait before the next."""


def has_two_factor(user):
    """Whether ``user`` has an authenticator app set up."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def must_use_two_factor(user):
    """Whether ``user`` may not use the admin without two-factor authentication: only when
    ``ADMIN_2FA_REQUIRED`` is on, for superusers and the groups it names."""
    if not settings.ADMIN_2FA_REQUIRED:
        return False
    return (
        user.is_superuser
        or user.groups.filter(name__in=settings.ADMIN_2FA_REQUIRED_GROUPS).exists()
    )


def pending_step(user):
    """What a signed-in ``user`` must do before using the admin: "verify" (enter a code for
    this session), "enrol" (set up an app first) or None."""
    if user.is_verified():
        return None
    if has_two_factor(user):
        return "verify"
    if must_use_two_factor(user):
        return "enrol"
    return None


def new_secret():
    """A fresh random TOTP secret (hex, 20 bytes as RFC 4226 recommends)."""
    return random_hex(20)


def readable_secret(secret):
    """The secret as authenticator apps ask for it when typed in by hand (base32)."""
    return b32encode(unhexlify(secret)).decode()


def authenticator_url(user, secret):
    """The ``otpauth://`` address an authenticator app reads from the QR code."""
    return TOTPDevice(user=user, key=secret, name=AUTHENTICATOR_NAME).config_url


def qr_code_svg(text):
    """``text`` as a QR code in an SVG element (black on white, about 5.5 cm square), to
    put inline in a page."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=15)
    return image.to_string(encoding="unicode")


def _totp_step(secret, code):
    """The time step at which ``code`` is valid for ``secret`` now (within the tolerance),
    and the drift from now, or None when it is not."""
    code = "".join(str(code).split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = TOTP(unhexlify(secret))
    totp.time = time.time()
    if not totp.verify(int(code), tolerance=TOLERANCE_STEPS):
        return None
    return totp.t(), totp.drift


def _replace_recovery_codes(user):
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_CODES_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _code in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def _log(user, action):
    """Log ``action`` on ``user``'s own account, by them. ``request.user`` is a lazy object
    (wrapped by Django, then by django-otp), and Wagtail's log picks its log model by the
    object's type, so the entry is written for the user record itself."""
    log(get_user_model()._default_manager.get(pk=user.pk), action, user=user)


def enrol(user, secret, code):
    """Set up ``user``'s authenticator app, once ``code`` proves the app holds ``secret``:
    replaces any earlier app and recovery codes, and logs it. Returns the new device and
    the new recovery codes (to show once), or None when the code is wrong."""
    matched = _totp_step(secret, code)
    if matched is None:
        return None
    step, drift = matched
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        # The code just used is spent: the same one cannot also sign in.
        device = TOTPDevice.objects.create(
            user=user,
            name=AUTHENTICATOR_NAME,
            key=secret,
            confirmed=True,
            tolerance=TOLERANCE_STEPS,
            last_t=step,
            drift=drift,
        )
        codes = _replace_recovery_codes(user)
        _log(user, "accounts.two_factor_enabled")
    return device, codes


def verify(user, code):
    """The device of ``user`` that accepts ``code``: a six-digit code from the app, or a
    recovery code (which is then used up). None when none does; CodeThrottled while the
    person must wait after wrong codes."""
    code = "".join(str(code).split()).replace("-", "").lower()
    model = TOTPDevice if code.isdigit() and len(code) == 6 else StaticDevice
    with transaction.atomic():
        for device in model.objects.devices_for_user(user).select_for_update():
            allowed, _details = device.verify_is_allowed()
            if not allowed:
                raise CodeThrottled
            if device.verify_token(code):
                return device
    return None


def recovery_codes_left(user):
    """How many unused recovery codes ``user`` has."""
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def renew_recovery_codes(user):
    """Replace ``user``'s recovery codes with new ones (returned, to show once); logged."""
    with transaction.atomic():
        codes = _replace_recovery_codes(user)
        _log(user, "accounts.recovery_codes_renewed")
    return codes


def remove_devices(user):
    """Remove every device of ``user``: the app and the recovery codes."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def turn_off(user):
    """``user`` turns their own two-factor authentication off (where it is not required)."""
    with transaction.atomic():
        remove_devices(user)
        _log(user, "accounts.two_factor_disabled")
