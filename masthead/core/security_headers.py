"""Content-Security-Policy and Permissions-Policy on every response.

**Reader pages** (everything outside the admin) get a strict policy: scripts, styles,
fonts and requests from this site only, with no inline script or style and no ``eval``
(reader pages keep their little JavaScript and all their CSS in static files); images from
this site and the media store; frames only from the embedded players' origins
(``masthead.core.embeds``, loaded after a click); no plugins; no ``<base>`` elsewhere; and
the page may not be framed by anyone. Pages are cached whole and shared by every reader,
so the policy has no per-response nonce: it needs none, as no reader page has an inline
script. JSON-LD blocks are data, not scripts, and CSP does not apply to them.

No ``form-action``: the donate and checkout forms post here and are then redirected to the
payment provider's page, which Chromium would count against ``form-action``.

**The Wagtail admin** (``/admin/``) gets a looser policy, because Wagtail itself needs it:
``script-src 'unsafe-inline'``, as Wagtail 8's form widgets start themselves with inline
scripts that name the field they belong to (``new PageChooser("id_...")``, ``new
InlinePanel(...)``, ``initDateTimeChooser(...)``), different on every form, so no list of
hashes can cover them, and its modals insert such scripts with jQuery; ``style-src
'unsafe-inline'`` (its templates and widgets set ``style`` attributes, and the newsletter's
preview shows email HTML, which is styled inline); images from ``data:`` and ``blob:`` URLs
(upload previews, icons) and from ``SITE_URL`` (email previews point there); and the admin
may frame itself (page previews). Still no ``eval``, no plugins, and scripts, styles and
requests only from this site. The admin is only for signed-in staff (throttled sign-in,
optional two-factor authentication), and every reader-facing page keeps the strict policy.

A response that already carries a policy keeps it (Wagtail serves documents with
``default-src 'none'``). A page previewed in the admin gets the admin's policy.

The middleware sits outside the page cache, so cached pages get the current policy too.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils.functional import cached_property

from masthead.core.embeds import PLAYER_FEATURES, player_origins

# Browser features no page of ours uses; denied to the page and to every frame in it.
DENIED_FEATURES = (
    "accelerometer",
    "camera",
    "display-capture",
    "geolocation",
    "gyroscope",
    "hid",
    "idle-detection",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "serial",
    "usb",
    "xr-spatial-tracking",
)


def _origin(url):
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def _media_origins():
    """Where uploaded images are served from when that is not this site (S3, a CDN)."""
    origins = [_origin(settings.MEDIA_URL), _origin(default_storage.url("images/x.jpg"))]
    return [origin for origin in dict.fromkeys(origins) if origin]


def _policy(directives):
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def reader_policy():
    """The Content-Security-Policy of every reader-facing response."""
    return _policy(
        {
            "default-src": ["'self'"],
            "script-src": ["'self'"],
            "style-src": ["'self'"],
            "img-src": ["'self'", *_media_origins()],
            "font-src": ["'self'"],
            "connect-src": ["'self'"],
            "media-src": ["'self'", *_media_origins()],
            "frame-src": list(player_origins()),
            "object-src": ["'none'"],
            "base-uri": ["'self'"],
            "frame-ancestors": ["'none'"],
        }
    )


def admin_policy():
    """The Content-Security-Policy of the Wagtail admin (see the module's docstring)."""
    site = _origin(settings.SITE_URL)
    return _policy(
        {
            "default-src": ["'self'"],
            "script-src": ["'self'", "'unsafe-inline'"],
            "style-src": ["'self'", "'unsafe-inline'"],
            "img-src": ["'self'", "data:", "blob:", *_media_origins(), *([site] if site else [])],
            "font-src": ["'self'", "data:"],
            "connect-src": ["'self'"],
            "media-src": ["'self'", *_media_origins()],
            "frame-src": ["'self'", *player_origins()],
            "object-src": ["'none'"],
            "base-uri": ["'self'"],
            "frame-ancestors": ["'self'"],
        }
    )


def permissions_policy():
    """The Permissions-Policy of every response: the players' features for the players
    only, everything else denied."""
    players = " ".join(f'"{origin}"' for origin in player_origins())
    allowed = [f"{feature}=(self {players})" for feature in PLAYER_FEATURES]
    return ", ".join([*(f"{feature}=()" for feature in DENIED_FEATURES), *allowed])


class SecurityHeadersMiddleware:
    """Adds Content-Security-Policy and Permissions-Policy to every response (the admin's
    policy under the admin, the reader policy everywhere else)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.reader = reader_policy()
        self.admin = admin_policy()
        self.permissions = permissions_policy()

    @cached_property
    def admin_prefix(self):
        # Looked up at the first request: the URLconf is not loaded yet when middleware is.
        return reverse("wagtailadmin_home")

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "is_dummy", False):
            # Wagtail renders a preview by passing a made-up request for the page's own URL
            # through the middleware; the admin request around it gets the admin's policy.
            return response
        if "Content-Security-Policy" not in response:
            in_admin = request.path.startswith(self.admin_prefix)
            response["Content-Security-Policy"] = self.admin if in_admin else self.reader
        if "Permissions-Policy" not in response:
            response["Permissions-Policy"] = self.permissions
        return response
