"""Scale-out benchmark: how many whole checkouts the scaled-out topology takes per second.

Starts what tests/scale/ starts (its helpers, in tests/scale/cluster.py): web servers
(``masthead serve``, gunicorn 2 processes x 4 threads each) and two task workers as separate
processes, behind nginx running the shipped config, on a PostgreSQL database cloned from a
migrated template and on Redis (DB 7), all on this machine. Then ``--readers`` threads, each
a new reader per order, go through the whole checkout for ``--duration`` seconds, through
nginx: add to the basket, details, delivery, review, pay, and press Pay on the demo
provider's page (8 requests, none of which any cache can answer). The workers send the order
emails to a counting SMTP server in this process.

It prints paid orders/s, requests/s, each flow's p50 and p99, and how the pay requests were
spread over the webs (from their access logs); one dated line goes to bench/RESULTS.md with
the load average (the readers, nginx, the webs, the workers, PostgreSQL and Redis share the
machine's cores).

Needs a PostgreSQL DATABASE_URL, Redis at 127.0.0.1:6379 and nginx.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/scale.py
    ... bench/scale.py --webs 1 --readers 16 --duration 20
"""

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.nginx_harness import NGINX, nginx_missing_reason, start_nginx  # noqa: E402
from tests.scale import cluster as parts  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS.md"
STOCK = 1_000_000
UNLIMITED = str(10**9)


def git_commit():
    def git(*args):
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + ("+dirty" if git("status", "--porcelain") else "")


def checkout(base_url, seeded):
    """One new reader's whole checkout, paid; returns the seconds it took."""
    reader = parts.Browser(base_url)
    started = time.perf_counter()
    try:
        status, _h, page = reader.post(
            "/shop/cart/add/", {"variant": seeded["variant_id"], "quantity": 1}
        )
        assert status == 302, page[:500]
        status, _h, page = reader.get("/shop/checkout/")
        assert status == 200, page[:500]
        token = parts.csrf_token(page)
        status, _h, page = reader.post(
            "/shop/checkout/",
            {
                "csrfmiddlewaretoken": token,
                "email": f"bench-{uuid.uuid4().hex[:12]}@example.org",
                "full_name": "Bench Reader",
                "address_line1": "1 Quay Street",
                "city": "Riverside",
                "postcode": "RV1 2AB",
                "country": "GB",
            },
        )
        assert status == 302, page[:500]
        status, _h, page = reader.post(
            "/shop/checkout/shipping/",
            {"csrfmiddlewaretoken": token, "shipping_rate": seeded["rate_id"]},
        )
        assert status == 302, page[:500]
        status, _h, page = reader.get("/shop/checkout/review/")
        assert status == 200, page[:500]
        status, headers, page = reader.post(
            "/shop/checkout/pay/", parts.form_fields(page, "/shop/checkout/pay/")
        )
        assert status == 302 and "/payments/demo/checkout/" in headers["Location"], page[:500]
        path = re.sub(r"^https?://[^/]+", "", headers["Location"])
        status, _h, page = reader.get(path)
        assert status == 200, page[:500]
        status, _h, page = reader.post(
            path, {"csrfmiddlewaretoken": parts.csrf_token(page), "action": "pay"}
        )
        assert status == 302, page[:500]
        return time.perf_counter() - started
    finally:
        reader.close()


def drive(base_url, seeded, readers, duration):
    """``readers`` threads doing checkouts back to back for ``duration`` seconds."""
    stop_at = time.monotonic() + duration
    flows, errors, lock = [], [], threading.Lock()

    def run():
        while time.monotonic() < stop_at:
            try:
                seconds = checkout(base_url, seeded)
            except Exception as error:  # counted and reported, the run goes on
                with lock:
                    errors.append(repr(error)[:300])
                continue
            with lock:
                flows.append(seconds)

    threads = [threading.Thread(target=run) for _reader in range(readers)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return flows, errors, time.monotonic() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--webs", type=int, default=2)
    parser.add_argument("--readers", type=int, default=16)
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()
    if not parts.is_postgres(os.environ.get("DATABASE_URL", "")):
        sys.exit("Needs DATABASE_URL=postgres://...")
    if NGINX is None:
        sys.exit(nginx_missing_reason())
    if reason := parts.redis_missing_reason():
        sys.exit(reason)

    directory = Path(tempfile.mkdtemp(prefix="masthead-bench-scale-"))
    database = parts.ScaleDatabase(os.environ["DATABASE_URL"])
    smtp = parts.SMTPServers()
    processes, nginx = [], None
    try:
        env = parts.production_env(
            directory / "data",
            database.url,
            STATIC_ROOT=str(directory / "static"),
            EMAIL_URL=f"smtp://127.0.0.1:{smtp.listen()}",
            SHOP_CART_ADD_LIMIT_PER_IP=UNLIMITED,
            SHOP_CHECKOUT_LIMIT_PER_IP=UNLIMITED,
        )
        print("database and static files ...", flush=True)
        database.create(env)
        subprocess.run(
            parts.masthead("collectstatic", "--no-input", "-v", "0"), env=env, cwd=ROOT, check=True
        )
        seeded = json.loads(
            subprocess.run(
                [sys.executable, "-m", "tests.scale.seed", "build", "0", "bench", str(STOCK)],
                env=env,
                cwd=ROOT,
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        webs = []
        for number in range(1, args.webs + 1):
            port = parts.free_port()
            web_env = {
                **env,
                "MASTHEAD_BIND": f"127.0.0.1:{port}",
                "WEB_CONCURRENCY": "2",
                "GUNICORN_THREADS": "4",
                "GUNICORN_ACCESS_LOG": str(directory / f"web{number}-access.log"),
            }
            web = parts.start(f"web{number}", parts.masthead("serve"), web_env, directory)
            web.stop_signal = signal.SIGINT
            processes.append(web)
            webs.append((web, port))
        for number in (1, 2):
            command = parts.masthead("worker", "--interval", "0.05", "--no-startup-delay")
            processes.append(parts.start(f"worker{number}", command, env, directory))
        for web, port in webs:
            parts.wait_for_health(web, port)
        nginx = start_nginx([f"127.0.0.1:{port}" for _web, port in webs], directory / "nginx")
        load_before = os.getloadavg()[0]
        # A few orders first, so no process is still importing or filling its caches.
        drive(nginx.url, seeded, 2, 3)
        print(f"{args.readers} readers for {args.duration:.0f} s ...", flush=True)
        flows, errors, elapsed = drive(nginx.url, seeded, args.readers, args.duration)
        load_after = os.getloadavg()[0]
    finally:
        if nginx is not None:
            nginx.stop()
        parts.stop_all(processes)
        smtp.stop()
        database.drop()

    pays = [
        sum(
            '"POST /shop/checkout/pay/' in line
            for line in (directory / f"web{number}-access.log").read_text().splitlines()
        )
        for number in range(1, args.webs + 1)
    ]
    shutil.rmtree(directory, ignore_errors=True)
    orders_per_second = len(flows) / elapsed
    quantiles = statistics.quantiles(flows, n=100) if len(flows) > 1 else [0] * 99
    p50, p99 = quantiles[49] * 1000, quantiles[98] * 1000
    print(f"webs               {args.webs} (gunicorn gthread 2x4 each), 2 workers, nginx")
    print(f"paid orders        {len(flows)} in {elapsed:.1f} s: {orders_per_second:.1f}/s")
    print(f"requests/s         {orders_per_second * 8:.0f} (8 per order, none cacheable)")
    print(f"flow p50 / p99     {p50:.0f} ms / {p99:.0f} ms")
    print(f"pays per web       {pays}")
    print(f"errors             {len(errors)} {errors[:3]}")
    print(f"load average       {load_before:.2f} before, {load_after:.2f} after")
    if not args.no_record:
        with RESULTS.open("a") as results:
            results.write(
                f"- {datetime.now():%Y-%m-%d %H:%M} | {git_commit()} | postgresql | scale-out "
                f"checkout | {args.webs} webs x gthread 2x4, 2 workers, nginx, "
                f"{args.readers} readers | {orders_per_second:.1f} paid orders/s "
                f"({orders_per_second * 8:.0f} req/s) | flow p50 {p50:.0f} ms, p99 {p99:.0f} ms "
                f"| pays per web {pays} | errors {len(errors)} | load {load_before:.2f} before, "
                f"{load_after:.2f} after\n"
            )


if __name__ == "__main__":
    main()
