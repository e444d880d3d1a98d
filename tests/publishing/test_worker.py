"""The worker as it runs on a server: a real ``manage.py run_worker`` process publishes a
scheduled article on time, runs the tasks queued in the database, and stops cleanly on
SIGTERM.

The worker process cannot see pytest's test database, so it gets its own SQLite file,
migrated by a subprocess, whatever DATABASE_URL the suite runs with.
"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]

PREPARE_SITE = """
from django.core.management import call_command
call_command("migrate", verbosity=0, interactive=False)
from wagtail.models import Site
from masthead.publishing.models import SectionPage
home = Site.objects.get(is_default_site=True).root_page
section = home.add_child(instance=SectionPage(title="Town", slug="town"))
section.save_revision().publish()
"""

SCHEDULE_ARTICLE = """
import json
from datetime import timedelta
from django.utils import timezone
from masthead.publishing.models import ArticlePage, SectionPage
section = SectionPage.objects.get(slug="town")
article = ArticlePage(
    title="Library opens on Sundays",
    slug="library-opens-on-sundays",
    standfirst="Longer hours from next month.",
    body=[("paragraph", "<p>The branch will open from eleven until four.</p>")],
    live=False,
)
section.add_child(instance=article)
article.go_live_at = timezone.now() + timedelta(seconds=3)
article.save_revision().publish()
print(json.dumps({"id": article.pk, "go_live_at": article.go_live_at.timestamp()}))
"""


def worker_environment(tmp_path):
    env = {
        name: value
        for name, value in os.environ.items()
        if name
        not in {"MASTHEAD_TESTING", "DATABASE_URL", "TASK_BACKEND", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        MASTHEAD_DATA_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'worker.sqlite3'}",
        TASK_BACKEND="database",
        SCHEDULER_INTERVAL_SECONDS="1",
        EMAIL_URL="memory://",
    )
    return env


def manage_shell(env, script):
    completed = subprocess.run(
        [sys.executable, "manage.py", "shell", "--verbosity", "0", "--command", script],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def wait_until(condition, timeout, step=0.1):
    """Poll ``condition`` until it returns something true, or give up; return the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


def query(database, sql, parameters=()):
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10) as connection:
        return connection.execute(sql, parameters).fetchall()


def test_worker_publishes_on_time_runs_queued_tasks_and_stops_on_sigterm(tmp_path):
    env = worker_environment(tmp_path)
    database = tmp_path / "worker.sqlite3"
    log_path = tmp_path / "worker.log"
    manage_shell(env, PREPARE_SITE)

    with log_path.open("w") as log:
        worker = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "run_worker",
                "--no-startup-delay",
                "--interval",
                "0.2",
            ],
            cwd=PROJECT_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        assert wait_until(lambda: "Starting worker" in log_path.read_text(), timeout=30), (
            log_path.read_text()
        )
        scheduled = json.loads(manage_shell(env, SCHEDULE_ARTICLE))
        go_live_at = scheduled["go_live_at"]

        def live_row():
            return query(
                database,
                "SELECT live, last_published_at FROM wagtailcore_page WHERE id = ?",
                [scheduled["id"]],
            )[0]

        assert wait_until(lambda: live_row()[0], timeout=go_live_at - time.time() + 8), (
            log_path.read_text()
        )
        published_at = datetime.fromisoformat(live_row()[1]).timestamp()
        # Not before its time, and within a few scheduler intervals after it.
        assert go_live_at <= published_at <= go_live_at + 5

        def reference_index_tasks():
            return query(
                database,
                "SELECT status FROM django_tasks_database_dbtaskresult "
                "WHERE task_path = 'wagtail.tasks.update_reference_index_task' "
                "AND args_kwargs LIKE ?",
                [f'%"articlepage", "{scheduled["id"]}"%'],
            )

        def all_finished():
            statuses = reference_index_tasks()
            return statuses and all(status == "SUCCESSFUL" for (status,) in statuses)

        assert wait_until(all_finished, timeout=10), reference_index_tasks()

        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=10) == 0, log_path.read_text()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()


def test_worker_refuses_a_bad_option_with_a_clear_error(tmp_path):
    completed = subprocess.run(
        [sys.executable, "manage.py", "run_worker", "--interval", "-1"],
        cwd=PROJECT_DIR,
        env=worker_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 2
    assert "argument --interval: Must be zero or greater" in completed.stderr
    assert "Traceback" not in completed.stderr
