"""The site's URLs plus two views for the operations tests: one that logs a line and one
that fails, as a bug in a real view would."""

import logging

from django.http import HttpResponse
from django.urls import include, path

logger = logging.getLogger("masthead.ops_test")


def writes_a_log_line(request):
    logger.warning("Stock check for %s", request.path)
    return HttpResponse("ok", content_type="text/plain")


def fails(request):
    raise RuntimeError("The printing press jammed")


urlpatterns = [
    path("ops-test/log/", writes_a_log_line),
    path("ops-test/fail/", fails),
    path("", include("masthead.urls")),
]
