"""The sign-in email: a pending request's link and code, sent by a task (``tasks``) once the
request is committed. The address is read from the request's row, never passed to the
task; see ``sign_in`` for the threat model."""

import hashlib
import hmac

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from masthead.core.emails import send_transactional_email
from masthead.core.sites import absolute_url, outlet_name
from masthead.readers.models import SignInRequest


def link_url(token):
    return absolute_url(reverse("readers:sign_in_link", args=[token]))


def send_sign_in_email(sign_in_request_id, token, code):
    """Email one pending request's link and code to its address (looked up from the row,
    never passed in). Sends nothing for a request used, expired or gone (erased)."""
    pending = SignInRequest.objects.filter(
        pk=sign_in_request_id, used_at__isnull=True, expires_at__gt=timezone.now()
    ).first()
    # The row keeps the link token's SHA-256, never the token (``sign_in``).
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    if pending is None or not hmac.compare_digest(token_hash, pending.link_hash):
        return False
    name = outlet_name()
    send_transactional_email(
        "readers/email/sign_in",
        _("Sign in to %(outlet)s: your code is %(code)s") % {"outlet": name, "code": code},
        pending.email,
        {
            "link_url": link_url(token),
            "code": code,
            "minutes": settings.READERS_SIGN_IN_MINUTES,
        },
    )
    return True
