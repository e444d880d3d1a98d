"""The public demo SECRET_KEY is refused when gunicorn itself is bound beyond loopback
(issue 10, defect 5), not only through `masthead serve`: gunicorn run directly with
Masthead's configuration stops before it listens anywhere, saying why in one line, and the
pid file it wrote is gone; on loopback it starts."""

import subprocess
import sys
import time

from tests.nginx_harness import free_port
from tests.test_settings import PROJECT_DIR, clean_environment

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


def test_gunicorn_on_loopback_with_the_demo_key_starts(tmp_path):
    server = subprocess.Popen(
        gunicorn(tmp_path, "--bind", f"127.0.0.1:{free_port()}"),
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
    finally:
        server.terminate()
        server.wait(timeout=30)
