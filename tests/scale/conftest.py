"""The cluster the scale-out tests run against, started once for the module: two web
servers (``masthead serve``, gunicorn) and two task workers (``masthead worker``), each a
separate process, behind one nginx running the shipped config, sharing one PostgreSQL
database and one Redis.

Each worker sends newsletters to its own port of one counting SMTP server, so the test can
tell which worker delivered each message.
"""

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

import pytest

from tests.nginx_harness import NGINX, nginx_missing_reason, start_nginx
from tests.scale import cluster as parts

SUBSCRIBERS = 20_000
# Claimed per batch task; a claim left by a dead worker is taken over after the lease. The
# lease is short so the test need not wait five minutes, yet ten times longer than one batch
# takes on a busy 2-core machine (a live batch is never taken over), and it runs out while
# the surviving worker is still busy with the rest of the campaign, so it costs no time.
BATCH_SIZE = 200
LEASE_SECONDS = 10
EDITOR_PASSWORD = "scale-out-editor-password-41"


@dataclass
class Cluster:
    database: parts.ScaleDatabase
    smtp: parts.SMTPServers
    webs: list  # [(Process, port)], two of them
    workers: list  # [(Process, SMTP port)], two of them
    nginx: object  # tests.nginx_harness.NginxServer
    seeded: dict  # what tests.scale.seed built
    env: dict
    directory: object
    timings: dict  # seconds each step of starting the cluster took

    def web_url(self, index):
        return f"http://127.0.0.1:{self.webs[index][1]}"

    def diagnostics(self):
        """The tail of every process's log, for a failure message."""
        processes = [process for process, _port in self.webs + self.workers]
        logs = [f"--- {process.name}\n{process.log_tail(1500)}" for process in processes]
        return "\n".join([*logs, f"--- nginx\n{self.nginx.error_log_text()[-1500:]}"])


def skip_reason():
    """Why the cluster cannot run here, or "" when it can."""
    if not parts.is_postgres(os.environ.get("DATABASE_URL", "")):
        return (
            "scale-out runs separate web and worker processes on one shared database: "
            "needs DATABASE_URL=postgres://..."
        )
    if NGINX is None:
        return nginx_missing_reason()
    return parts.redis_missing_reason()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    directory = tmp_path_factory.mktemp("scale")
    database = parts.ScaleDatabase(os.environ["DATABASE_URL"])
    smtp = parts.SMTPServers()
    started = []
    nginx = None
    timings = {}
    clock = time.monotonic()

    def lap(step):
        nonlocal clock
        timings[step] = round(time.monotonic() - clock, 1)
        clock = time.monotonic()

    try:
        # One port per worker for newsletters, one for every other email (order receipts).
        smtp_ports = [smtp.listen(), smtp.listen()]
        transactional_port = smtp.listen()
        env = parts.production_env(
            directory / "data",
            database.url,
            STATIC_ROOT=str(directory / "static"),
            EMAIL_URL=f"smtp://127.0.0.1:{transactional_port}",
            NEWSLETTER_BATCH_SIZE=str(BATCH_SIZE),
            NEWSLETTER_PARALLELISM="2",
            NEWSLETTER_LEASE_SECONDS=str(LEASE_SECONDS),
            # Forty readers come from one loopback address here.
            SHOP_CART_ADD_LIMIT_PER_IP="1000",
            SHOP_CHECKOUT_LIMIT_PER_IP="1000",
        )
        # Production serves hashed static files collected beforehand; that and the database
        # are independent, so both are made at once.
        collect = subprocess.Popen(
            parts.masthead("collectstatic", "--no-input", "-v", "0"),
            env=env,
            cwd=parts.ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        database.create(env)
        lap("database (clone, or migrate the template)")
        _out, errors = collect.communicate(timeout=300)
        assert collect.returncode == 0, errors.decode(errors="replace")[-3000:]
        lap("collectstatic (beyond the database)")

        # The outlet is built while the servers and workers start (each imports Django and
        # Wagtail, seconds of CPU apiece): neither needs the other until the first request.
        seed = subprocess.Popen(
            [sys.executable, "-m", "tests.scale.seed", "build", str(SUBSCRIBERS), EDITOR_PASSWORD],
            env=env,
            cwd=parts.ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        webs = []
        for index in range(2):
            port = parts.free_port()
            web_env = {
                **env,
                "MASTHEAD_BIND": f"127.0.0.1:{port}",
                "WEB_CONCURRENCY": "2",
                "GUNICORN_THREADS": "4",
                "GUNICORN_ACCESS_LOG": str(directory / f"web{index + 1}-access.log"),
            }
            process = parts.start(
                f"web{index + 1}", parts.masthead("serve"), web_env, directory, signal.SIGINT
            )
            started.append(process)
            webs.append((process, port))
        workers = []
        for index, smtp_port in enumerate(smtp_ports):
            worker_env = {**env, "NEWSLETTER_EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}"}
            command = parts.masthead("worker", "--interval", "0.05", "--no-startup-delay")
            process = parts.start(f"worker{index + 1}", command, worker_env, directory)
            started.append(process)
            workers.append((process, smtp_port))
        output, errors = seed.communicate(timeout=300)
        assert seed.returncode == 0, errors.decode(errors="replace")[-4000:]
        seeded = json.loads(output.decode().strip().splitlines()[-1])
        lap(f"seed ({SUBSCRIBERS} subscribers)")
        for process, port in webs:
            parts.wait_for_health(process, port)
        lap("webs and workers up")
        nginx = start_nginx([f"127.0.0.1:{port}" for _process, port in webs], directory / "nginx")
        lap("nginx")
        print(f"\ncluster started: {timings}")
        yield Cluster(database, smtp, webs, workers, nginx, seeded, env, directory, timings)
    finally:
        if nginx is not None:
            nginx.stop()
        parts.stop_all(started)
        smtp.stop()
        database.drop()
