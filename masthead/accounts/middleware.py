"""Two checks on every signed-in request, after Django's and django-otp's middleware:

- **Idle sessions end.** A signed-in session unused for ``ADMIN_SESSION_IDLE_SECONDS`` is
  signed out (the time of use is written at most once a minute, not on every request).
- **Two-factor authentication comes before the admin.** A person who signed in with their
  password but has not yet entered a code for this session (or must enrol first) is sent to
  that step from every admin page, and counts as signed out everywhere else (so a stolen
  password alone never reaches a private page, a document or a preview).

Requests without a session cookie pass untouched: they cannot be signed in, and not reading
the session keeps anonymous pages cacheable.
"""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from masthead.accounts import two_factor

LAST_SEEN_SESSION_KEY = "accounts_last_seen"
LAST_SEEN_RESOLUTION_SECONDS = 60

# Where each pending step sends the person, and the admin URLs open to them meanwhile (the
# step itself, signing out, and what the admin's sign-in pages load).
STEP_URL_NAMES = {"verify": "accounts_2fa_verify", "enrol": "accounts_2fa_setup"}
OPEN_DURING_STEP = {"wagtailadmin_logout", "wagtailadmin_sprite", "wagtailadmin_javascript_catalog"}


class AdminSessionMiddleware:
    """Ends idle sessions, and holds a session at its two-factor step until it is done."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.SESSION_COOKIE_NAME in request.COOKIES and request.user.is_authenticated:
            self.end_if_idle(request)
        return self.get_response(request)

    def end_if_idle(self, request):
        now = int(time.time())
        last_seen = request.session.get(LAST_SEEN_SESSION_KEY)
        if last_seen is not None and now - last_seen > settings.ADMIN_SESSION_IDLE_SECONDS:
            logout(request)
        elif last_seen is None or now - last_seen >= LAST_SEEN_RESOLUTION_SECONDS:
            request.session[LAST_SEEN_SESSION_KEY] = now

    def process_view(self, request, view_func, view_args, view_kwargs):
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return None
        user = request.user
        if not user.is_authenticated:
            return None
        step = two_factor.pending_step(user)
        if step is None:
            return None
        url_name = request.resolver_match.url_name if request.resolver_match else None
        if url_name == STEP_URL_NAMES[step] or url_name in OPEN_DURING_STEP:
            return None
        if request.path.startswith(reverse("wagtailadmin_home")):
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse(STEP_URL_NAMES[step])}?{query}")
        request.user = AnonymousUser()
        return None
