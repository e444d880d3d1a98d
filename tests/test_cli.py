"""The `masthead` command as an operator types it: help, management commands, configuration
errors, and the production web server answering requests."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core.cache.backends.filebased import FileBasedCache

from masthead.core.cache import GENERATION_KEY

PROJECT_DIR = Path(__file__).resolve().parent.parent
MASTHEAD = Path(sys.executable).parent / "masthead"
BASE_ENVIRONMENT_KEYS = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV")


def environment(data_dir, **variables):
    """A clean environment for the command: its own data directory, nothing else of ours."""
    values = {key: os.environ[key] for key in BASE_ENVIRONMENT_KEYS if key in os.environ}
    values["MASTHEAD_DATA_DIR"] = str(data_dir)
    values.update(variables)
    return values


def masthead(data_dir, *args, **variables):
    return subprocess.run(
        [str(MASTHEAD), *args],
        cwd=PROJECT_DIR,
        env=environment(data_dir, **variables),
        capture_output=True,
        text=True,
        timeout=120,
    )


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_help_lists_masthead_commands_and_management_commands(tmp_path):
    result = masthead(tmp_path, "--help")

    assert result.returncode == 0, result.stderr
    for line in ("masthead demo", "masthead serve", "masthead worker"):
        assert line in result.stdout
    assert "    migrate\n" in result.stdout
    assert "    createsuperuser\n" in result.stdout


def test_no_arguments_prints_the_same_help(tmp_path):
    assert masthead(tmp_path).stdout == masthead(tmp_path, "help").stdout


def test_check_runs_the_management_command(tmp_path):
    result = masthead(tmp_path, "check")

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_help_for_one_command_shows_its_options(tmp_path):
    result = masthead(tmp_path, "help", "migrate")

    assert result.returncode == 0, result.stderr
    assert "usage: masthead migrate" in result.stdout
    assert "--fake" in result.stdout


def test_unknown_command_fails_with_its_name(tmp_path):
    result = masthead(tmp_path, "publish-everything")

    assert result.returncode == 1
    assert "Unknown command: 'publish-everything'" in result.stderr


def test_configuration_error_is_one_clear_line(tmp_path):
    result = masthead(tmp_path, "check", MASTHEAD_MODE="production")

    assert result.returncode == 1
    assert result.stderr.startswith("masthead: configuration error: Production mode needs")
    assert "Traceback" not in result.stderr


def test_serve_answers_requests_and_stops_on_sigterm(tmp_path):
    port = free_port()
    server = subprocess.Popen(
        [str(MASTHEAD), "serve"],
        cwd=PROJECT_DIR,
        env=environment(
            tmp_path, MASTHEAD_BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="1", GUNICORN_THREADS="2"
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        body = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2) as r:
                    body = (r.status, r.read())
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                # TimeoutError: the worker was still booting (about 2 s on a busy machine).
                time.sleep(0.2)
        assert body == (200, b'{"status": "ok", "database": "ok", "cache": "ok"}')
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)

    assert server.returncode == 0, output


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signals are Linux")
def test_the_demo_process_stops_when_whatever_started_it_dies(tmp_path):
    """`timeout make demo` signals make alone; the demo must not outlive it."""
    marker = tmp_path / "child.pid"
    child_code = (
        "import os, time, pathlib\n"
        "from masthead.cli import _stop_with_parent\n"
        "_stop_with_parent()\n"
        f"pathlib.Path({str(marker)!r}).write_text(str(os.getpid()))\n"
        "time.sleep(60)\n"
    )
    parent_code = (
        "import subprocess, sys, time\n"
        f"subprocess.Popen([sys.executable, '-c', {child_code!r}])\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", parent_code], cwd=PROJECT_DIR)
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    child_pid = int(marker.read_text())

    parent.kill()
    parent.wait(timeout=10)

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(child_pid, 0)
        except ProcessLookupError:
            break
        # A zombie (gone, not yet reaped by init) counts as stopped.
        status = Path(f"/proc/{child_pid}/stat")
        if status.exists() and status.read_text().split(")")[-1].split()[0] == "Z":
            break
        time.sleep(0.1)
    else:
        os.kill(child_pid, signal.SIGKILL)
        pytest.fail("the child outlived its parent")


def test_cache_clear_starts_a_new_page_cache_generation_in_the_shared_cache(tmp_path):
    shared = FileBasedCache(str(tmp_path / "cache"), {})
    shared.set(GENERATION_KEY, "before-the-upgrade", timeout=None)

    result = masthead(tmp_path, "cache", "clear", CACHE_URL=f"file://{tmp_path / 'cache'}")

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Emptied the page cache")
    assert shared.get(GENERATION_KEY) not in {None, "before-the-upgrade"}
