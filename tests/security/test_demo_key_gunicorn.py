"""The public demo SECRET_KEY is refused when gunicorn itself is bound beyond loopback
(issue 10, defect 5), not only through `masthead serve`: gunicorn run directly with
Masthead's configuration stops before it listens anywhere, saying why in one line, and the
pid file it wrote is gone; on loopback it starts."""

import subprocess
import sys
import time
import urllib.error
import urllib.request

from tests.nginx_harness import free_port
from tests.test_settings import PROJECT_DIR, clean_environment

# gunicorn's default: how long its master waits for workers to finish after SIGTERM.
GRACEFUL_TIMEOUT = 30

REFUSAL = (
    "the public demo SECRET_KEY cannot be used because the server would listen beyond this "
    "machine ({bind})"
)


def gunicorn(data_dir, *arguments):
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "masthead.wsgi:application",
        "--config",
        "python:masthead.gunicorn_config",
        "--pid",
        str(data_dir / "gunicorn.pid"),
        *arguments,
    ]


def environment(data_dir):
    return clean_environment(data_dir, WEB_CONCURRENCY="1", GUNICORN_THREADS="1")


def test_gunicorn_bound_beyond_loopback_with_the_demo_key_refuses_to_start(tmp_path):
    bind = f"0.0.0.0:{free_port()}"

    result = subprocess.run(
        gunicorn(tmp_path, "--bind", bind),
        cwd=PROJECT_DIR,
        env=environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert REFUSAL.format(bind=bind) in result.stderr
    assert "Listening at" not in result.stderr
    assert not (tmp_path / "gunicorn.pid").exists()


def answers(port):
    """Whether the server answers HTTP on ``port`` (any status: the outlet in this test has
    no tables, so its health check may say the database is unavailable)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=5):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def test_gunicorn_on_loopback_with_the_demo_key_starts(tmp_path):
    port = free_port()
    server = subprocess.Popen(
        gunicorn(tmp_path, "--bind", f"127.0.0.1:{port}"),
        cwd=PROJECT_DIR,
        env=environment(tmp_path),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        lines = []
        while time.monotonic() < deadline and server.poll() is None:
            line = server.stderr.readline()
            lines.append(line)
            if "Listening at" in line:
                break
        assert any("Listening at" in line for line in lines), "".join(lines)
        assert (tmp_path / "gunicorn.pid").exists()
        # Stopped only once its worker serves: a SIGTERM that reaches a worker gunicorn has
        # just forked, before the worker sets its own handlers, is taken as the master's and
        # lost, and the master then waits its whole graceful timeout before killing it.
        while time.monotonic() < deadline and server.poll() is None and not answers(port):
            time.sleep(0.1)
        assert answers(port), "gunicorn listened but its worker never answered"
    finally:
        server.terminate()
        try:
            server.wait(timeout=GRACEFUL_TIMEOUT + 15)
        finally:
            server.kill()
            server.stderr.close()
