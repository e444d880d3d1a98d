"""``DefaultLanguageAndZoneMiddleware``: the settings' language and time zone are the active
ones while a view runs, as Django would use them anyway, and none is left active after."""

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone, translation
from django.utils.translation import trans_real

from masthead.core.middleware import DefaultLanguageAndZoneMiddleware


def test_the_settings_language_and_zone_are_active_for_the_view_only():
    seen = {}

    def view(request):
        seen["language"] = translation.get_language()
        seen["zone"] = timezone.get_current_timezone_name()
        seen["activated"] = hasattr(trans_real._active, "value") and hasattr(
            timezone._active, "value"
        )
        return HttpResponse("ok")

    assert translation.get_language() == settings.LANGUAGE_CODE  # the fallback, inactive
    response = DefaultLanguageAndZoneMiddleware(view)(RequestFactory().get("/"))

    assert response.status_code == 200
    assert seen == {
        "language": settings.LANGUAGE_CODE,
        "zone": settings.TIME_ZONE,
        "activated": True,
    }
    assert not hasattr(trans_real._active, "value")
    assert not hasattr(timezone._active, "value")


def test_what_a_view_activates_itself_wins_and_nothing_is_left_after_an_error():
    seen = {}

    def view(request):
        with translation.override("cy"), timezone.override("America/New_York"):
            seen["inside"] = (translation.get_language(), timezone.get_current_timezone_name())
        seen["after"] = (translation.get_language(), timezone.get_current_timezone_name())
        raise RuntimeError("the view failed")

    with pytest.raises(RuntimeError):
        DefaultLanguageAndZoneMiddleware(view)(RequestFactory().get("/"))
    assert seen == {
        "inside": ("cy", "America/New_York"),
        "after": (settings.LANGUAGE_CODE, settings.TIME_ZONE),
    }
    assert not hasattr(trans_real._active, "value")
    assert not hasattr(timezone._active, "value")
