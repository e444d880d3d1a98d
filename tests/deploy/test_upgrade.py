"""Upgrading a running site: `masthead upgrade` and gunicorn's graceful reload.

A real gunicorn, with Masthead's own gunicorn_config.py, serves a small application written
to a temporary directory whose answer is its code's version. While a few threads request it
without pause, the code on disk changes and the server is reloaded: every request must be
answered 200 (nothing refused, reset or failed), and afterwards the new code must answer,
which it did not when the config preloaded the application (the workers a HUP started were
forked from a master holding the old code).
"""

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from io import StringIO
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError

from masthead.core.cache import GENERATION_KEY
from masthead.core.management.commands.upgrade import children_of, is_ready, read_env_file
from tests.conftest import free_port

PROJECT_DIR = Path(__file__).resolve().parent.parent.parent
WORKERS = 2
# The application takes this long to import, as a real one does, so that the reload's
# requests arrive while the new workers are still starting. Long enough that a request
# merely slowed by a busy machine (CI runs two test passes at once) is far shorter.
IMPORT_SECONDS = 3.0
APP = """\
import time

time.sleep({import_seconds})
VERSION = b"{version}"


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [VERSION]
"""


def write_app(directory, version):
    (directory / "upgrade_probe_app.py").write_text(
        APP.format(import_seconds=IMPORT_SECONDS, version=version)
    )


class Gunicorn:
    """gunicorn serving the probe application with masthead/gunicorn_config.py."""

    def __init__(self, directory):
        self.directory = directory
        self.port = free_port()
        self.pidfile = directory / "gunicorn.pid"
        self.log = directory / "gunicorn.log"
        self.url = f"http://127.0.0.1:{self.port}/"
        environment = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(directory), str(PROJECT_DIR)]),
            # The new code must be read from the file, never from a bytecode cache written
            # for the old one within the same second.
            "PYTHONDONTWRITEBYTECODE": "1",
            "WEB_CONCURRENCY": str(WORKERS),
            "GUNICORN_THREADS": "4",
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "upgrade_probe_app:application",
                "--config",
                "python:masthead.gunicorn_config",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--pid",
                str(self.pidfile),
            ],
            cwd=directory,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("w"),
        )

    def get(self):
        with urllib.request.urlopen(self.url, timeout=10) as response:
            return response.status, response.read()

    def wait_until_serving(self, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited:\n{self.log.read_text()}")
            try:
                self.get()
                if self.pidfile.exists():
                    return
            except OSError:
                pass
            time.sleep(0.05)
        pytest.fail(f"gunicorn did not answer within {timeout} s:\n{self.log.read_text()}")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Probe:
    """Threads that request the server without pause and keep every outcome."""

    def __init__(self, server, threads=4):
        self.server = server
        self.outcomes = []
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._run) for _ in range(threads)]

    def _run(self):
        while not self.stopping.is_set():
            started = time.monotonic()
            try:
                status, body = self.server.get()
            except (OSError, urllib.error.URLError) as error:
                status, body = repr(error), b""
            self.outcomes.append((status, body, time.monotonic() - started))
            time.sleep(0.002)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stopping.set()
        for thread in self.threads:
            thread.join()

    def wait_for(self, body, timeout=20):
        """Wait until the last requests all answered ``body``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            recent = self.outcomes[-10:]
            if len(recent) == 10 and all(outcome[1] == body for outcome in recent):
                return
            time.sleep(0.05)
        pytest.fail(f"the server did not answer {body!r} within {timeout} s")

    def failures(self):
        return [outcome for outcome in self.outcomes if outcome[0] != 200]


@pytest.fixture
def server(tmp_path):
    write_app(tmp_path, "old")
    gunicorn = Gunicorn(tmp_path)
    try:
        gunicorn.wait_until_serving()
        yield gunicorn
    finally:
        gunicorn.stop()


def test_a_reload_serves_the_new_code_without_failing_a_request(server):
    with Probe(server) as probe:
        time.sleep(0.3)
        write_app(server.directory, "new")
        master = int(server.pidfile.read_text())
        old_workers = children_of(master)
        assert len(old_workers) == WORKERS

        os.kill(master, signal.SIGHUP)
        probe.wait_for(b"new")
        time.sleep(0.3)

    bodies = {outcome[1] for outcome in probe.outcomes}
    assert probe.failures() == []
    assert bodies == {b"old", b"new"}
    assert len(probe.outcomes) > 100
    assert probe.outcomes[-1][1] == b"new"
    deadline = time.monotonic() + 10
    while children_of(master) & old_workers and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not children_of(master) & old_workers
    assert server.process.poll() is None


@pytest.mark.django_db
def test_upgrade_migrates_collects_static_reloads_then_empties_the_page_cache(
    server, settings, tmp_path
):
    settings.STATIC_ROOT = tmp_path / "static"
    cache.set(GENERATION_KEY, "before-the-upgrade", timeout=None)
    output = StringIO()

    master = int(server.pidfile.read_text())
    old_workers = children_of(master)

    with Probe(server) as probe:
        time.sleep(0.3)
        write_app(server.directory, "new")
        started = len(probe.outcomes)
        call_command("upgrade", pidfile=str(server.pidfile), stdout=output)
        during = probe.outcomes[started:]
        # The command returns once no old worker is left: what answers now is new code.
        probe.wait_for(b"new", timeout=5)

    text = output.getvalue()
    assert "No migrations to apply." in text
    assert (tmp_path / "static" / "wagtailadmin").is_dir()
    assert f"Web server reloaded: {WORKERS} new workers." in text
    assert cache.get(GENERATION_KEY) not in (None, "before-the-upgrade")
    assert text.index("Web server reloaded") < text.index("Emptied the page cache")
    assert probe.failures() == []
    assert server.get() == (200, b"new")
    # The old workers served until the new ones had imported the code: nobody waited for
    # an import, as they do during a plain HUP.
    assert max(outcome[2] for outcome in during) < IMPORT_SECONDS
    new_workers = children_of(master)
    assert len(new_workers) == WORKERS
    assert not new_workers & old_workers
    assert all(is_ready(pid) for pid in new_workers)


@pytest.mark.django_db
def test_upgrade_finds_the_systemd_units_gunicorn_by_its_main_pid(
    server, settings, tmp_path, monkeypatch
):
    """Without --pidfile the master is the unit's MainPID, as `systemctl show` reports it.
    systemd cannot run here, so a stand-in `systemctl` answers that one question."""
    settings.STATIC_ROOT = tmp_path / "static"
    master = int(server.pidfile.read_text())
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    systemctl = bin_dir / "systemctl"
    systemctl.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> {tmp_path / "systemctl.log"}\n'
        f'[ "$1" = show ] && [ "$4" = masthead-web ] && echo {master}\n'
    )
    systemctl.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    old_workers = children_of(master)
    write_app(server.directory, "new")
    output = StringIO()

    call_command("upgrade", stdout=output)

    assert "--property=MainPID --value masthead-web" in (tmp_path / "systemctl.log").read_text()
    assert f"Web server reloaded: {WORKERS} new workers." in output.getvalue()
    assert not children_of(master) & old_workers
    assert server.get() == (200, b"new")


def test_upgrade_checks_the_reload_target_before_changing_anything(tmp_path, settings):
    settings.STATIC_ROOT = tmp_path / "static"
    (tmp_path / "stale.pid").write_text("999999999\n")

    with pytest.raises(CommandError, match="no process 999999999 is running"):
        call_command("upgrade", pidfile=str(tmp_path / "stale.pid"), stdout=StringIO())
    with pytest.raises(CommandError, match="cannot read a process id"):
        call_command("upgrade", pidfile=str(tmp_path / "missing.pid"), stdout=StringIO())

    assert not (tmp_path / "static").exists()


def test_the_env_file_is_read_as_the_shell_reads_it(tmp_path):
    env_file = tmp_path / "masthead.env"
    env_file.write_text(
        "# a comment\n"
        'DATABASE_URL="postgres://masthead:p%40ss@db/masthead"\n'
        "SITE_NAME='The Daily'\n"
    )

    environment = read_env_file(env_file)

    assert environment["DATABASE_URL"] == "postgres://masthead:p%40ss@db/masthead"
    assert environment["SITE_NAME"] == "The Daily"
    assert environment["PATH"] == os.environ["PATH"]


def test_upgrade_runs_with_the_env_file_not_the_shell(tmp_path):
    """The issue's bug: from a fresh shell, migrate found no DATABASE_URL and migrated a
    new SQLite file. With --env-file the upgrade runs in the service's environment, here a
    production one without DATABASE_URL, which refuses before touching any database."""
    env_file = tmp_path / "masthead.env"
    env_file.write_text(
        'MASTHEAD_MODE="production"\n'
        f'SECRET_KEY="{secrets.token_urlsafe(64)}"\n'
        'ALLOWED_HOSTS="news.example.org"\n'
    )
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("MASTHEAD_", "DATABASE_URL", "DJANGO_SETTINGS"))
    }
    environment["MASTHEAD_DATA_DIR"] = str(tmp_path / "data")

    command = [sys.executable, "-m", "masthead.cli", "upgrade", "--no-reload"]
    result = subprocess.run(
        [*command, "--env-file", str(env_file)],
        cwd=PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode != 0
    assert "Production mode needs DATABASE_URL" in result.stderr
    assert "The upgrade failed" in result.stderr
    assert not (tmp_path / "data" / "masthead.sqlite3").exists()
