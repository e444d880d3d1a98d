"""Federation benchmark: one article delivered to 100,000 followers on 2,000 servers.

Builds a throwaway outlet under bench/work/federation-<database>/ and gives its actor N
followers (100,000 by default) spread over S servers (2,000), each server with a shared
inbox. The servers are one asyncio process of this script listening on S loopback
addresses (127.1.x.y, one address per server, so each is a host of its own); every POST it
receives is checked with an independent library (pyhttpsig, draft-cavage) against the
outlet's published key, and counted per address. That process runs at the lowest CPU
priority (nice 19): it stands for other machines, and its signature checks must not take
the cores the outlet's web processes and worker need.

Then, with the production server (gunicorn gthread 2x4) serving the cached article under
wrk and the task worker (``masthead worker``) running, an editor's publication of a new
article is timed, and the script waits until every server has received its ``Create``. It
prints and records:

- the publication's own time (delivery happens after it, in the worker);
- the delivery's total time, from the publication's commit to the last server's receipt,
  and the worker's peak memory;
- that each shared inbox received exactly one signed ``Create`` (any missing, duplicate or
  badly signed request fails the run);
- the cached article's requests/s with nothing else running, and while the delivery ran.

Appends one dated line per figure, with the commit, to bench/RESULTS.md.

    apt-get install wrk
    .venv/bin/python bench/federation.py
    .venv/bin/python bench/federation.py --followers 10000 --servers 200 --no-record
    .venv/bin/python bench/federation.py --postgres postgres://postgres@127.0.0.1:5432/postgres
"""

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import httpsig
from pages import (
    PYTHON,
    ROOT,
    WORK,
    Server,
    ServerConfig,
    append_result,
    base_environment,
    build_outlet,
    fetch,
    git_commit,
    last_json_line,
    log,
    masthead,
    on_each_database,
    run_wrk,
)

SERVER = ServerConfig(workers=2, threads=4)
CONNECTIONS = 32
WRK_THREADS = 2
DELIVERY_THREADS = 64
# The fake servers' addresses: 127.1.x.y, 250 to a /24.
PER_BLOCK = 250

# Gives the outlet's actor its followers, written straight to the tables in batches, and
# prints the actor's public key for the fake servers.
SEED_SNIPPET = """
import json
from django.utils import timezone
from masthead.social import actors
from masthead.social.models import Follower, RemoteActor
outlet = actors.outlet_actor()
now = timezone.now()
servers, followers, port = {servers}, {followers}, {port}
def address(number):
    return f"127.1.{{number // {per_block}}}.{{number % {per_block} + 1}}"
batch = []
for number in range(followers):
    host = f"{{address(number % servers)}}:{{port}}"
    uri = f"http://{{host}}/users/reader{{number}}"
    batch.append(RemoteActor(
        uri=uri, domain=address(number % servers), preferred_username=f"reader{{number}}",
        inbox=uri + "/inbox", shared_inbox=f"http://{{host}}/inbox",
        key_id=uri + "#main-key", public_key_pem="-", fetched_at=now,
    ))
    if len(batch) == 5000 or number == followers - 1:
        made = RemoteActor.objects.bulk_create(batch)
        Follower.objects.bulk_create(
            Follower(local_actor=outlet, remote_actor=remote, delivery_inbox=remote.shared_inbox,
                     follow_activity_id=remote.uri + "/follow", status="accepted")
            for remote in made
        )
        batch = []
print(json.dumps({{"followers": Follower.objects.count(), "public_key": outlet.public_key_pem}}))
"""

# Publishes a new article as an editor would; prints how long the publication took and when
# it committed (delivery starts from the worker after that).
PUBLISH_SNIPPET = """
import json, sys, time
from masthead.publishing.models import ArticlePage, SectionPage
print("ready", flush=True)
sys.stdin.readline()
section = SectionPage.objects.live().first()
article = ArticlePage(
    title="The river crossing reopens", slug="the-river-crossing-reopens-{stamp}",
    standfirst="The bridge is open again after eight months of repairs.",
    body=[("paragraph", "<p>Traffic crossed the bridge again this morning.</p>")],
)
section.add_child(instance=article)
started = time.perf_counter()
article.save_revision().publish()
print(json.dumps({{"publish_seconds": time.perf_counter() - started,
                  "committed_at": time.time()}}))
"""

# How the deliveries ended, from the database.
OUTCOME_SNIPPET = """
import json
from django.db.models import Count
from masthead.social.models import Delivery
print(json.dumps(dict(Delivery.objects.values_list("status").annotate(n=Count("pk")))))
"""


def fake_address(number):
    return f"127.1.{number // PER_BLOCK}.{number % PER_BLOCK + 1}"


def serve_fediverse(servers, port, key_path, stats_path):
    """The fake servers (run as a child process): accept POSTs on every address, check
    each signature with pyhttpsig, count per address; write the counts on SIGTERM."""
    public_key = Path(key_path).read_text()
    received = Counter()
    bad = Counter()
    last_receipt = [0.0]

    def check(method, path, headers, body):
        try:
            verifier = httpsig.HeaderVerifier(
                headers,
                public_key,
                required_headers=["(request-target)", "host", "date", "digest"],
                method=method,
                path=path,
                sign_header="signature",
            )
            activity = json.loads(body)
            return verifier.verify() and activity.get("type") == "Create"
        except Exception:  # any failure to verify counts as a bad request
            return False

    async def handle(reader, writer):
        local = writer.get_extra_info("sockname")[0]
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _version = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                if check(method, path, headers, body) and headers.get("host", "").startswith(
                    local + ":"
                ):
                    received[local] += 1
                else:
                    bad[local] += 1
                last_receipt[0] = time.time()
                writer.write(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    async def main():
        listeners = [
            await asyncio.start_server(handle, fake_address(number), port, backlog=64)
            for number in range(servers)
        ]
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        print("ready", flush=True)
        while not stop.is_set():
            await asyncio.sleep(0.2)
            Path(stats_path).write_text(
                json.dumps(
                    {
                        "servers_reached": len(received),
                        "received": sum(received.values()),
                        "duplicates": sum(count - 1 for count in received.values() if count > 1),
                        "bad": sum(bad.values()),
                        "last_receipt": last_receipt[0],
                    }
                )
            )
        for listener in listeners:
            listener.close()

    asyncio.run(main())


class Worker:
    """``masthead worker`` with its peak memory sampled."""

    def __init__(self, env, log_path):
        self.log_file = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [PYTHON, "-m", "masthead.cli", "worker"],
            cwd=ROOT,
            env=env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
        )
        self.peak_kb = 0
        self.sampling = True
        self.sampler = threading.Thread(target=self._sample, daemon=True)
        self.sampler.start()

    def _sample(self):
        status = Path(f"/proc/{self.process.pid}/status")
        while self.sampling:
            try:
                for line in status.read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        self.peak_kb = max(self.peak_kb, int(line.split()[1]))
            except (FileNotFoundError, ProcessLookupError):
                return
            time.sleep(0.1)

    def stop(self):
        self.sampling = False
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log_file.close()
        return self.peak_kb / 1024


def wait_for(stats_path, servers, deadline):
    """The fake servers' counts once every server got its request (or at the deadline)."""
    stats = {}
    while time.time() < deadline:
        if stats_path.exists():
            try:
                stats = json.loads(stats_path.read_text())
            except ValueError:
                continue
            if stats["servers_reached"] >= servers:
                time.sleep(1.0)  # a late duplicate would show now
                return json.loads(stats_path.read_text())
        time.sleep(0.2)
    return stats


def bench_database(database, database_url, args, commit):
    data_dir = WORK / f"federation-{database}"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    env = base_environment(data_dir, database_url)
    log(f"\n== {database}: building the outlet in {data_dir}")
    outlet = build_outlet(env, args.articles)
    port = args.port
    seeded = last_json_line(
        masthead(
            env,
            "shell",
            "-c",
            SEED_SNIPPET.format(
                servers=args.servers, followers=args.followers, port=port, per_block=PER_BLOCK
            ),
            capture=True,
        )
    )
    log(f"  {seeded['followers']} followers on {args.servers} servers")
    key_path, stats_path = data_dir / "outlet-key.pem", data_dir / "fediverse.json"
    key_path.write_text(seeded["public_key"])

    # The fake fediverse stands for 2,000 other machines: it runs at the lowest CPU priority
    # so that its work (checking every signature) takes only cores the outlet leaves idle.
    fediverse = subprocess.Popen(
        [PYTHON, __file__, "--serve-fediverse", str(args.servers), str(port), str(key_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: os.nice(19),
    )
    # The fake servers are on loopback addresses, which production mode refuses to deliver
    # to (masthead.social.fetching checks every connection's address): the worker, and the
    # shell that publishes, run in development mode with private addresses allowed.
    worker_env = {
        **env,
        "MASTHEAD_MODE": "development",
        "SOCIAL_ALLOW_PRIVATE_ADDRESSES": "1",
        "TASK_BACKEND": "database",
        "SOCIAL_DELIVERY_THREADS": str(args.threads),
        "SCHEDULER_INTERVAL_SECONDS": "1",
        "WORKER_NICE": str(args.worker_nice),
    }
    server = Server(env | {"PAGE_CACHE_SECONDS": "600"}, SERVER, data_dir / "gunicorn.log")
    worker = None
    try:
        if fediverse.stdout.readline().strip() != "ready":
            raise SystemExit("the fake fediverse did not start")
        server.wait_until_ready()
        article = outlet["article_url"]
        fetch(server.url(article))
        quiet = run_wrk(server, article, args.duration, CONNECTIONS, WRK_THREADS)
        worker = Worker(worker_env, data_dir / "worker.log")
        time.sleep(3)  # the worker's start-up is not the delivery's time

        # The editor's shell starts (Django's import, seconds of CPU) before the measured
        # window, as the web process an editor publishes through is already running.
        snippet = PUBLISH_SNIPPET.format(stamp=int(time.time()))
        editor = subprocess.Popen(
            [PYTHON, "-m", "masthead.cli", "shell", "-c", snippet],
            cwd=ROOT,
            env=worker_env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for line in editor.stdout:  # anything the start-up prints comes first
            if line.strip() == "ready":
                break
            log(f"  publishing shell: {line.rstrip()}")
        else:
            raise SystemExit("the publishing shell did not start")
        during = {}
        window = {}

        def measure():
            window["start"] = time.time()
            during["wrk"] = run_wrk(server, article, args.duration, CONNECTIONS, WRK_THREADS)
            window["end"] = time.time()

        measuring = threading.Thread(target=measure)
        measuring.start()
        time.sleep(1)  # wrk is under way before the publication
        editor.stdin.write("publish\n")
        editor.stdin.flush()
        output, _errors = editor.communicate(timeout=120)
        if editor.returncode != 0:
            raise SystemExit("the publishing shell failed")
        published = last_json_line(output)
        stats = wait_for(stats_path, args.servers, time.time() + args.timeout)
        measuring.join()
        peak_mb = worker.stop()
        worker = None
    finally:
        if worker is not None:
            worker.stop()
        server.stop()
        fediverse.send_signal(signal.SIGTERM)
        fediverse.wait(timeout=30)
    stats = json.loads(stats_path.read_text())
    outcome = last_json_line(masthead(env, "shell", "-c", OUTCOME_SNIPPET, capture=True))
    total = stats["last_receipt"] - published["committed_at"]
    # How much of wrk's window the delivery filled: only that part measures serving during it.
    overlap = min(window["end"], stats["last_receipt"]) - max(
        window["start"], published["committed_at"]
    )
    covered = max(0.0, overlap) / (window["end"] - window["start"])

    def record(figure):
        log(f"  {figure}")
        stamp = datetime.now().strftime("%Y-%m-%d %H:%M")
        append_result(f"- {stamp} {commit} federation.py {database}: {figure}", args)

    exact = (
        stats["servers_reached"] == args.servers
        and stats["received"] == args.servers
        and stats["bad"] == 0
    )
    record(
        f"one article to {seeded['followers']} followers on {args.servers} servers: "
        f"{stats['received']} signed Creates received by {stats['servers_reached']} shared "
        f"inboxes ({stats['duplicates']} duplicates, {stats['bad']} badly signed), "
        f"{total:.1f} s from the publication's commit to the last receipt "
        f"({args.threads} sending threads, worker peak {peak_mb:.0f} MB); the publication "
        f"itself took {published['publish_seconds'] * 1000:.0f} ms; deliveries {outcome}"
    )
    record(
        f"cached article ({SERVER.label}, wrk -c{CONNECTIONS} {args.duration}s): "
        f"{quiet.requests_per_second:.0f} req/s alone, "
        f"{during['wrk'].requests_per_second:.0f} req/s while delivering "
        f"({during['wrk'].requests_per_second / quiet.requests_per_second:.0%}; the delivery "
        f"filled {covered:.0%} of that window; worker at nice {args.worker_nice}) "
        f"(p99 {quiet.p99_ms:.1f} / {during['wrk'].p99_ms:.1f} ms)"
    )
    if not exact:
        raise SystemExit("not every shared inbox received exactly one signed Create")


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--followers", type=int, default=100_000)
    parser.add_argument("--servers", type=int, default=2_000)
    parser.add_argument("--articles", type=int, default=20)
    parser.add_argument("--threads", type=int, default=DELIVERY_THREADS)
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run")
    parser.add_argument(
        "--worker-nice", type=int, default=10, help="the worker's WORKER_NICE (its default)"
    )
    parser.add_argument("--port", type=int, default=18443, help="the fake servers' port")
    parser.add_argument("--timeout", type=int, default=600, help="seconds to wait for delivery")
    parser.add_argument("--postgres", help="a PostgreSQL server's URL: measure there too")
    parser.add_argument("--sqlite", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--no-record", action="store_true", help="print only")
    return parser.parse_args()


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--serve-fediverse":
        key_path = sys.argv[4]
        stats_path = Path(key_path).parent / "fediverse.json"
        serve_fediverse(int(sys.argv[2]), int(sys.argv[3]), key_path, stats_path)
        return
    args = parse_arguments()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    if args.servers > 255 * PER_BLOCK:
        raise SystemExit(f"at most {255 * PER_BLOCK} servers")
    commit = git_commit()
    on_each_database(bench_database, args, commit)


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
