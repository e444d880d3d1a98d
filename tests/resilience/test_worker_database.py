"""The task worker outlives its database: a real ``run_worker`` process whose PostgreSQL is
reached through a proxy the test cuts and restores. Unreachable at start, the worker logs
one line per attempt and runs the waiting task once the database answers; the connection
lost mid-run, it waits again and carries on, without a restart.

PostgreSQL only: SQLite is a file, which does not become unreachable over a network.
"""

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import SplitResult, urlunsplit

import pytest
from django.db import connection
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from masthead.donations.tasks import send_manage_link_task
from tests.resilience.proxy import TcpProxy

ROOT = Path(__file__).resolve().parents[2]


# Committed to, so the worker process sees what the test writes. Serialized rollback, as
# every other transactional test here uses: a plain flush would make the migrations' rows
# (content types) again under new ids, and the serialized tests after it would fail.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def postgres():
    """The test database, named as a URL's parts for the worker and the proxy."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...): SQLite cannot be unreachable")
    params = connection.settings_dict
    credentials = params["USER"] + (f":{params['PASSWORD']}" if params["PASSWORD"] else "")
    host = params["HOST"] or "127.0.0.1"
    port = int(params["PORT"] or 5432)
    return SplitResult("postgres", f"{credentials}@{host}:{port}", f"/{params['NAME']}", "", "")


def enqueue():
    """Put a task on the worker's queue, straight into the (real) database; its id."""
    backend = DatabaseBackend("default", {})
    return backend.enqueue(send_manage_link_task, ["reader@example.org"], {}).id


def status_of(task_id):
    return DBTaskResult.objects.get(id=task_id).status


def wait_until(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"Timed out waiting for {what}")


def test_the_worker_waits_for_an_unreachable_database_and_resumes_when_it_answers(
    postgres, tmp_path
):
    proxy = TcpProxy(postgres.hostname, postgres.port)
    credentials = postgres.netloc.rpartition("@")[0]
    proxied_url = urlunsplit(postgres._replace(netloc=f"{credentials}@{proxy.address}"))
    env = {
        **os.environ,
        "MASTHEAD_DATA_DIR": str(tmp_path),
        "TASK_BACKEND": "database",
        "EMAIL_URL": f"file://{tmp_path / 'mail'}",
        "SCHEDULER_INTERVAL_SECONDS": "3600",
        "LOG_LEVEL": "WARNING",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    first_task = enqueue()

    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            [*manage, "run_worker", "--interval", "0.1", "--no-startup-delay"],
            env={**env, "DATABASE_URL": proxied_url},
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def attempts():
        return log_path.read_text().count("Database unreachable (attempt")

    try:
        # Down at start: the worker keeps trying, one line per attempt, and runs nothing.
        wait_until(lambda: attempts() >= 2, 20, "two logged attempts")
        assert worker.poll() is None, log_path.read_text()
        assert status_of(first_task) == "READY"

        proxy.start()
        wait_until(lambda: status_of(first_task) == "SUCCESSFUL", 30, "the first task")
        assert "Database reachable again after" in log_path.read_text()

        # Lost mid-run: the worker waits again, then runs what was enqueued meanwhile.
        seen = attempts()
        proxy.stop()
        second_task = enqueue()
        wait_until(lambda: attempts() > seen, 20, "an attempt logged after the loss")
        assert worker.poll() is None, log_path.read_text()
        assert status_of(second_task) == "READY"

        proxy.start()
        wait_until(lambda: status_of(second_task) == "SUCCESSFUL", 30, "the second task")
        assert worker.poll() is None
    finally:
        worker.terminate()
        worker.wait(15)
        proxy.stop()

    output = log_path.read_text()
    lines = [line for line in output.splitlines() if "Database unreachable (attempt" in line]
    # One line per attempt, no tracebacks: each attempt says what failed, on one line.
    assert len(lines) >= 3
    assert "Traceback" not in output, output
