"""Reader-facing newsletter URLs, mounted at /newsletter/, and the ESP webhooks."""

import functools
import logging

from anymail import urls as anymail_urls
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404
from django.urls import URLPattern, include, path

from masthead.newsletter import account, views

logger = logging.getLogger("masthead.newsletter")

app_name = "newsletter"


def _configured_only(view):
    """Answer 404, not 500, for the webhooks of ESPs this site has not configured."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except ImproperlyConfigured as error:
            logger.warning("ESP webhook %s called but not configured: %s", request.path, error)
            raise Http404 from error

    return wrapped


# Bounce and complaint webhooks, e.g. /newsletter/esp/mailgun/tracking/. anymail refuses
# every call unless ANYMAIL_WEBHOOK_SECRET ("user:password", sent by the ESP as basic
# auth) and the ESP's own signing key, where it has one, are set.
esp_webhooks = [
    URLPattern(
        pattern.pattern, _configured_only(pattern.callback), pattern.default_args, pattern.name
    )
    for pattern in anymail_urls.urlpatterns
]

urlpatterns = [
    path("", views.index, name="index"),
    path("subscribe/", views.subscribe, name="subscribe"),
    path("c/<str:token>/", views.click, name="click"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path(
        "preferences/<int:subscriber_id>/<str:signature>/",
        views.preferences,
        name="preferences",
    ),
    path(
        "unsubscribe/<int:subscriber_id>/<int:campaign_id>/<str:signature>/",
        views.unsubscribe,
        name="unsubscribe",
    ),
    path("account/<int:newsletter_id>/join/", account.join, name="account_join"),
    path("account/<int:newsletter_id>/leave/", account.leave, name="account_leave"),
    path("esp/", include((esp_webhooks, "anymail"))),
]
