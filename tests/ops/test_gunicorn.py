"""The real server: gunicorn with two worker processes, the cache in Redis, LOG_FORMAT=json.

Counters are summed across the workers (whichever worker answers the scrape reports every
worker's responses), each log line Django writes is one JSON object carrying the id the
proxy sent, and the response echoes it.
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from tests.conftest import free_port
from tests.ops import promtext
from tests.redis_lanes import REDIS_HOST, REDIS_PORT, redis_db
from tests.test_settings import PROJECT_DIR, clean_environment

TOKEN = "gunicorn-scrape-token"
REFUSED = 24
GUNICORN_LINE = re.compile(r"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}\] \[\d+\] \[[A-Z]+\] ")


def empty_redis_database():
    """The URL of this test lane's own Redis database, emptied, or None without Redis."""
    try:
        socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=0.5).close()
    except OSError:
        return None
    url = f"redis://{REDIS_HOST}:{REDIS_PORT}/{redis_db('gunicorn')}"
    redis.Redis.from_url(url, socket_timeout=2).flushdb()
    return url


def get(url, headers=None):
    """(status, headers, body) of a GET, on a new connection each time."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


@pytest.fixture
def server(tmp_path):
    redis_url = empty_redis_database()
    if redis_url is None:
        pytest.skip("No Redis on 127.0.0.1:6379 (counters are kept there)")
    port = free_port()
    log_path = tmp_path / "server.log"
    environment = clean_environment(
        tmp_path,
        DJANGO_SETTINGS_MODULE="masthead.settings",
        LOG_FORMAT="json",
        CACHE_URL=redis_url,
        METRICS_TOKEN=TOKEN,
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="2",
    )
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:masthead.gunicorn_config",
        "--bind",
        f"127.0.0.1:{port}",
        "masthead.wsgi:application",
    ]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_DIR,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if get(f"{url}/metrics")[0] == 401:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not start:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield url, log_path
    finally:
        # SIGQUIT: gunicorn's quick shutdown; then the whole group, workers included.
        process.send_signal(signal.SIGQUIT)
        try:
            process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        # Leave the database empty again.
        redis.Redis.from_url(redis_url).flushdb()


def refused_count(url):
    status, _headers, body = get(f"{url}/metrics", {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200, body
    families = promtext.parse(body)
    return families["masthead_http_responses_total"].get(0, status="401")


def test_two_workers_count_together_and_log_json_lines_with_the_proxys_ids(server):
    url, log_path = server
    time.sleep(1.5)  # the start-up probes reach the shared counters
    before = refused_count(url)
    sent_ids = [f"ops-{index:04d}-{'ab' * 8}" for index in range(REFUSED)]

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda rid: get(f"{url}/metrics", {"X-Request-ID": rid}), sent_ids))

    assert [status for status, _headers, _body in answers] == [401] * REFUSED
    assert [headers["X-Request-ID"] for _status, headers, _body in answers] == sent_ids
    time.sleep(1.5)  # each worker adds its counts to Redis once a second
    # Each scrape may be answered by either worker: all see every worker's counts.
    assert {refused_count(url) - before for _ in range(6)} == {REFUSED}

    lines = log_path.read_text().splitlines()
    django_lines = [json.loads(line) for line in lines if line.startswith("{")]
    others = [line for line in lines if not line.startswith("{")]
    assert all(GUNICORN_LINE.match(line) for line in others), others
    refused = [line for line in django_lines if line["message"] == "Unauthorized: /metrics"]
    assert sorted(line["request_id"] for line in refused if line["request_id"] in sent_ids) == (
        sent_ids
    )
    assert {line["level"] for line in refused} == {"WARNING"}
    assert {line["logger"] for line in refused} == {"django.request"}
