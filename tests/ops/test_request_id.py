"""Every request has an id: the one nginx sent when it looks like one, else a new one. It is
in the X-Request-ID response header, in every log line written for the request (plain or
JSON), and in the error email a failure sends the admins."""

import io
import json
import logging
import os
import re
import subprocess
import sys

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client

from masthead.core.logging import JsonFormatter, TextFormatter
from masthead.core.request_id import current_request_id, new_request_id
from tests.test_settings import PROJECT_DIR, clean_environment, settings_values

pytestmark = pytest.mark.django_db

GENERATED = re.compile(r"[0-9a-f]{32}")
NGINX_ID = "5f0e9c2b7d1a4e8f9a6b3c2d1e0f9a8b"


@pytest.fixture
def ops_urls(settings):
    settings.ROOT_URLCONF = "tests.ops.urls"
    return settings


@pytest.fixture
def console():
    """What the configured console handler (the one LOGGING sets up, with its filters)
    writes, as JSON lines: its stream and formatter swapped for the test's duration."""
    handler = next(h for h in logging.getLogger("masthead").handlers if h.name == "console")
    buffer = io.StringIO()
    saved_stream, saved_formatter = handler.stream, handler.formatter
    handler.setStream(buffer)
    handler.setFormatter(JsonFormatter())
    yield buffer
    handler.setStream(saved_stream)
    handler.setFormatter(saved_formatter)


def json_lines(buffer):
    lines = [line for line in buffer.getvalue().splitlines() if line]
    return [json.loads(line) for line in lines]


def test_a_request_without_an_id_gets_a_new_one_in_the_response_header(client):
    first = client.get("/robots.txt")
    second = client.get("/robots.txt")

    assert GENERATED.fullmatch(first["X-Request-ID"])
    assert GENERATED.fullmatch(second["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_the_id_nginx_sends_is_kept(client):
    response = client.get("/robots.txt", HTTP_X_REQUEST_ID=NGINX_ID)

    assert response["X-Request-ID"] == NGINX_ID


@pytest.mark.parametrize(
    "incoming",
    [
        "two words",
        "line\nbreak",
        'quote"d',
        "x" * 65,
        "",
        "ünïcode",
    ],
)
def test_an_id_that_could_corrupt_a_log_line_is_replaced(client, incoming):
    response = client.get("/robots.txt", HTTP_X_REQUEST_ID=incoming)

    assert GENERATED.fullmatch(response["X-Request-ID"])


def test_forked_workers_do_not_repeat_each_others_ids():
    # gunicorn forks its workers from a process that has made ids already.
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        os.write(write_end, new_request_id().encode())
        os._exit(0)
    os.close(write_end)
    child_id = os.read(read_end, 64).decode()
    os.close(read_end)
    os.waitpid(child, 0)

    assert GENERATED.fullmatch(child_id)
    assert child_id != new_request_id()


def test_a_page_served_from_the_cache_carries_the_id_of_its_own_request(client):
    stored = client.get("/robots.txt", HTTP_X_REQUEST_ID="first-request")
    hit = client.get("/robots.txt", HTTP_X_REQUEST_ID="second-request")

    assert stored["X-Cache"] == "miss"
    assert hit["X-Cache"] == "hit"
    assert stored["X-Request-ID"] == "first-request"
    assert hit["X-Request-ID"] == "second-request"


def test_the_id_is_forgotten_once_the_response_is_made(client):
    client.get("/robots.txt", HTTP_X_REQUEST_ID=NGINX_ID)

    assert current_request_id() is None


def test_a_log_line_written_for_a_request_is_json_with_its_id(client, ops_urls, console):
    response = client.get("/ops-test/log/", HTTP_X_REQUEST_ID=NGINX_ID)

    assert response.status_code == 200
    [line] = [line for line in json_lines(console) if line["logger"] == "masthead.ops_test"]
    assert line["request_id"] == NGINX_ID == response["X-Request-ID"]
    assert line["level"] == "WARNING"
    assert line["message"] == "Stock check for /ops-test/log/"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["time"])
    assert "exception" not in line


def test_djangos_line_about_an_error_answer_carries_the_id(client, console):
    # Django writes it after every middleware has returned.
    response = client.get("/ops-missing-page/", HTTP_X_REQUEST_ID=NGINX_ID)

    assert response.status_code == 404
    [line] = [line for line in json_lines(console) if line["logger"] == "django.request"]
    assert line["message"] == "Not Found: /ops-missing-page/"
    assert line["request_id"] == NGINX_ID
    assert line["status_code"] == 404


def test_a_line_written_outside_a_request_has_a_null_id(console):
    logging.getLogger("masthead.ops_test").warning("Worker started")

    [line] = json_lines(console)
    assert line["request_id"] is None
    assert line["message"] == "Worker started"


def test_a_failure_is_one_json_line_with_its_traceback_and_one_email_with_the_id(ops_urls, console):
    ops_urls.ADMINS = [("Tech", "tech@example.org")]
    # Error emails are throttled per kind of error through the cache: start afresh.
    cache.clear()
    client = Client(raise_request_exception=False)

    response = client.get("/ops-test/fail/", HTTP_X_REQUEST_ID=NGINX_ID)

    assert response.status_code == 500
    assert response["X-Request-ID"] == NGINX_ID
    # Every line of the log is a JSON object: the traceback's newlines are escaped.
    errors = [line for line in json_lines(console) if line["level"] == "ERROR"]
    assert [line["request_id"] for line in errors] == [NGINX_ID]
    assert "RuntimeError: The printing press jammed" in errors[0]["exception"]
    assert errors[0]["status_code"] == 500
    [email] = mail.outbox
    assert email.to == ["tech@example.org"]
    assert email.body.startswith("Internal Server Error: /ops-test/fail/")
    assert f"Request ID: {NGINX_ID}" in email.body
    assert "The printing press jammed" in email.body


def test_a_url_password_in_a_traceback_stays_masked_in_json(console):
    try:
        raise ConnectionError("cannot reach redis://:hunter2-pass@cache:6379/0")
    except ConnectionError:
        logging.getLogger("masthead.ops_test").exception("Cache down")

    [line] = json_lines(console)
    assert "hunter2-pass" not in json.dumps(line)
    assert "redis://:********@cache:6379/0" in line["exception"]


def test_the_text_format_puts_the_id_before_the_message():
    record = logging.LogRecord("masthead", logging.WARNING, __file__, 1, "Hello %s", ("x",), None)
    record.request_id = NGINX_ID
    outside = logging.LogRecord("masthead", logging.WARNING, __file__, 1, "Hello", None, None)
    outside.request_id = None

    assert TextFormatter().format(record) == f"[{NGINX_ID}] Hello x"
    assert TextFormatter().format(outside) == "Hello"


def test_log_format_chooses_the_formatter_and_refuses_anything_else(tmp_path):
    # The tests run with the default: plain text.
    handler = next(h for h in logging.getLogger("masthead").handlers if h.name == "console")
    assert type(handler.formatter) is TextFormatter
    chosen = settings_values(tmp_path, "LOGGING", LOG_FORMAT="JSON")["LOGGING"]
    assert chosen["handlers"]["console"]["formatter"] == "json"
    assert chosen["formatters"]["json"] == {"()": "masthead.core.logging.JsonFormatter"}
    refused = subprocess.run(
        [sys.executable, "-c", "import masthead.settings"],
        cwd=PROJECT_DIR,
        env=clean_environment(tmp_path, LOG_FORMAT="xml"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode != 0
    assert "LOG_FORMAT must be text or json." in refused.stderr
