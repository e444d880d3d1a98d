"""Upgrade probe: do readers see any failed request while `masthead upgrade` reloads the site?

Builds (or reuses) a throwaway production-mode outlet on SQLite under bench/work/upgrade/,
runs Masthead's production server (`masthead serve`, gunicorn with masthead/gunicorn_config.py)
on loopback, and has a few threads request the home page and /health/ without pause, each
request on a new connection (what nginx does without upstream keepalive) or, with
--keepalive, on kept-alive connections. Meanwhile it runs a real
`masthead upgrade --pidfile ...` (migrate, collectstatic, graceful reload, page cache
cleared) and reports how many requests failed (refused, reset, timed out, or any status but
200), the slowest request during the reload, and how long the upgrade took. With
--method hup it sends gunicorn a plain HUP instead (what `systemctl reload masthead-web`
does) and measures until every new worker has loaded the code, for comparison. It appends
one dated line to bench/RESULTS.md.

    .venv/bin/python bench/upgrade_probe.py
    .venv/bin/python bench/upgrade_probe.py --method hup --keepalive --no-record
"""

import argparse
import http.client
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from pages import HOST, PYTHON, RESULTS, ROOT, base_environment, git_commit, log, masthead

sys.path.insert(0, str(ROOT))
from masthead.core.management.commands.upgrade import children_of, is_ready

WORK = ROOT / "bench" / "work" / "upgrade"
PATHS = ("/", "/health/")


class Server:
    """`masthead serve` on a free loopback port, writing gunicorn's pid file."""

    def __init__(self, env, workers, threads):
        import socket

        with socket.socket() as sock:
            sock.bind((HOST, 0))
            self.port = sock.getsockname()[1]
        self.pidfile = WORK / "gunicorn.pid"
        self.pidfile.unlink(missing_ok=True)
        self.log = (WORK / "gunicorn.log").open("ab")
        self.process = subprocess.Popen(
            [PYTHON, "-m", "masthead.cli", "serve", "--pid", str(self.pidfile)],
            cwd=ROOT,
            env={
                **env,
                "MASTHEAD_BIND": f"{HOST}:{self.port}",
                "WEB_CONCURRENCY": str(workers),
                "GUNICORN_THREADS": str(threads),
            },
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_until_ready(self, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited; see {WORK / 'gunicorn.log'}")
            try:
                connection = http.client.HTTPConnection(HOST, self.port, timeout=2)
                connection.request("GET", "/health/")
                if connection.getresponse().status == 200 and self.pidfile.exists():
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit("gunicorn did not answer /health/ in time")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


class Probe:
    """Threads requesting the site without pause, keeping (time, path, outcome, seconds)."""

    def __init__(self, port, threads, keepalive):
        self.port = port
        self.keepalive = keepalive
        self.outcomes = []
        self.stopping = threading.Event()
        self.threads = [
            threading.Thread(target=self._run, args=(PATHS[n % len(PATHS)],))
            for n in range(threads)
        ]

    def _run(self, path):
        connection = None
        while not self.stopping.is_set():
            started = time.monotonic()
            try:
                if connection is None:
                    connection = http.client.HTTPConnection(HOST, self.port, timeout=30)
                connection.request("GET", path, headers={"Host": HOST})
                response = connection.getresponse()
                response.read()
                outcome = response.status
                if not self.keepalive or response.will_close:
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException) as error:
                outcome = type(error).__name__
                connection = None
            self.outcomes.append((started, path, outcome, time.monotonic() - started))

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stopping.set()
        for thread in self.threads:
            thread.join()


def hup_and_wait(master, timeout=120):
    """HUP, then wait until no old worker is left and every new one has loaded the code."""
    old = children_of(master)
    os.kill(master, signal.SIGHUP)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        workers = children_of(master)
        if workers and not workers & old and all(is_ready(pid) for pid in workers):
            return
        time.sleep(0.05)
    raise SystemExit("the HUP reload did not finish in time")


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--method", choices=("upgrade", "hup"), default="upgrade")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=6, help="probe threads")
    parser.add_argument("--keepalive", action="store_true", help="reuse connections")
    parser.add_argument("--no-record", action="store_true", help="do not write RESULTS.md")
    return parser.parse_args()


def main():
    args = parse_arguments()
    commit = git_commit()
    WORK.mkdir(parents=True, exist_ok=True)
    env = base_environment(WORK, None)
    log(f"Migrating the throwaway outlet in {WORK} (slow only the first time)...")
    masthead(env, "migrate", "--no-input", "-v", "0")
    masthead(env, "collectstatic", "--no-input", "-v", "0")

    server = Server(env, args.workers, 4)
    try:
        server.wait_until_ready()
        with Probe(server.port, args.threads, args.keepalive) as probe:
            time.sleep(2)
            started = time.monotonic()
            if args.method == "hup":
                log("Sending gunicorn HUP while readers keep coming")
                hup_and_wait(int(server.pidfile.read_text()))
            else:
                log("Running masthead upgrade --pidfile ... while readers keep coming")
                upgrade = subprocess.run(
                    [PYTHON, "-m", "masthead.cli", "upgrade", "--pidfile", str(server.pidfile)],
                    cwd=ROOT,
                    env=env,
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if upgrade.returncode != 0:
                    raise SystemExit(f"upgrade failed:\n{upgrade.stdout}\n{upgrade.stderr}")
            finished = time.monotonic()
            time.sleep(3)
    finally:
        server.stop()

    outcomes = probe.outcomes
    failures = [outcome for outcome in outcomes if outcome[2] != 200]
    during = [o for o in outcomes if started <= o[0] <= finished] or outcomes
    slowest = max(o[3] for o in during)
    before = [o[3] for o in outcomes if o[0] < started]
    typical = sorted(before)[len(before) // 2] if before else 0.0
    kinds = sorted({str(o[2]) for o in failures})
    log(f"  requests: {len(outcomes)}, failed: {len(failures)} {kinds if kinds else ''}")
    log(f"  slowest request during the upgrade: {slowest * 1000:.0f} ms")
    log(f"  median before it: {typical * 1000:.1f} ms")
    log(f"  {args.method} took {finished - started:.1f} s")
    if args.no_record:
        return 0
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    connections = "keepalive" if args.keepalive else "new connection per request"
    method = "masthead upgrade --pidfile" if args.method == "upgrade" else "plain HUP"
    line = (
        f"- {stamp} | {commit} | sqlite | reload during {method} | "
        f"gthread {args.workers}x4 | {args.threads} probe threads, {connections} | "
        f"{len(outcomes)} requests | {len(failures)} failed | slowest during upgrade "
        f"{slowest * 1000:.0f} ms | median before {typical * 1000:.1f} ms | "
        f"{args.method} {finished - started:.1f} s | load {os.getloadavg()[0]:.2f}"
    )
    with Path(RESULTS).open("a") as results:
        results.write(line + "\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
