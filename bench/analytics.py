"""Audience benchmark: how many hits the site takes in, and what counting costs page serving.

Builds a small throwaway outlet under bench/work/analytics-<database>/, runs the production
server (gunicorn gthread 2x4, ``masthead serve``) on loopback and measures:

1. **Ingest, end to end**: wrk POSTs hits to ``/a/hit`` as the counting script does (same
   Origin, a different user agent per request so each is a new visitor, the paths of the
   outlet's articles) for ``--duration`` seconds: hits/s and p99 as wrk sees them. The hits
   go where production's nginx sends them: to the hit listener (``masthead serve_hits``,
   ``--listener-processes`` processes) while gunicorn serves the site beside it; with
   ``--ingest-via gunicorn`` to gunicorn instead, as in the demo. Then the
   script waits until every hit answered 204 is in the raw table (the buffers flush every
   AUDIENCE_FLUSH_SECONDS) and runs the roll-up, and checks that the day's PageDay rows
   account for every hit. "End to end" is the hits divided by the time from the first
   request to the roll-up's end.
2. **Cached article, counting off vs on**, in the same run: wrk against the cached article
   with AUDIENCE_ENABLED=0, then =1 (the page is the same: the script tag is static; this
   shows counting costs page serving nothing), and then "page + hit": every page view
   followed by its hit, as browsers do, reporting page views/s.
3. **Roll-up of N generated hits** (``--rollup-hits``, 10 million by default, the issue's
   figure): N hits over 90 days, 500 paths, a million visitor ids, written straight to the
   table, then one roll-up from scratch, timed.

On PostgreSQL with ``--postgres URL`` (a throwaway database is created there and dropped).
Appends one dated line per figure, with the commit, to bench/RESULTS.md.

    apt-get install wrk
    .venv/bin/python bench/analytics.py
    .venv/bin/python bench/analytics.py --duration 10 --rollup-hits 1000000 --no-record
    .venv/bin/python bench/analytics.py --postgres postgres://postgres@127.0.0.1:5432/postgres
"""

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from datetime import datetime
from pathlib import Path

from pages import (
    HOST,
    PYTHON,
    ROOT,
    WORK,
    Server,
    ServerConfig,
    append_result,
    base_environment,
    build_outlet,
    fetch,
    free_port,
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

# Each request a new user agent (a new visitor), one of the outlet's paths, this site's
# Origin: what the counting script sends.
HITS_LUA = """
local paths = {{{paths}}}
local n = 0
request = function()
  n = n + 1
  local body = "k=view&p=" .. paths[(n % #paths) + 1] .. "&q=&r=https%3A%2F%2Fwww.google.com%2F&w=0"
  return wrk.format("POST", "/a/hit", {{
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Origin"] = "http://{host}",
    ["User-Agent"] = "Mozilla/5.0 Firefox/128.0 bench/" .. n .. "/" .. math.random(1e9),
  }}, body)
end
"""

# Each page view followed by its hit.
PAGE_AND_HIT_LUA = """
local n = 0
request = function()
  n = n + 1
  if n % 2 == 1 then
    return wrk.format("GET", "{path}")
  end
  return wrk.format("POST", "/a/hit", {{
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Origin"] = "http://{host}",
    ["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0 bench/" .. n,
  }}, "k=view&p={path}&q=&r=&w=0")
end
"""

PATHS_SNIPPET = """
import json
from masthead.publishing.models import ArticlePage, live_articles
from masthead.audience.models import Hit, PageDay, PageHour, ReferrerDay, CampaignDay
for model in (Hit, PageDay, PageHour, ReferrerDay, CampaignDay):
    model.objects.all().delete()
print(json.dumps({"paths": [a.url for a in live_articles()[:50]]}))
"""

# Waits (from its own start, after Django's) until the hits answered are all stored, then
# rolls up; the time a `masthead shell` takes to start is not counted.
DRAIN_SNIPPET = """
import json, time
from django.core.cache import cache
from django.db.models import Sum
from masthead.audience.models import Hit, PageDay
from masthead.audience.rollup import MARK_KEY, roll_up_new_hits
started = time.perf_counter()
while Hit.objects.count() < {answered} and time.perf_counter() - started < 60:
    time.sleep(0.05)
stored_at = time.perf_counter()
cache.delete(MARK_KEY)
roll_up_new_hits()
done = time.perf_counter()
print(json.dumps({{"wait": stored_at - started, "rollup": done - stored_at,
                  "hits": Hit.objects.count(),
                  "views": PageDay.objects.aggregate(v=Sum("views"))["v"] or 0}}))
"""

ROLLUP_SNIPPET = """
import json, time
from django.core.cache import cache
from django.db.models import Sum
from masthead.audience.models import PageDay
from masthead.audience.rollup import MARK_KEY, roll_up_new_hits
cache.delete(MARK_KEY)
started = time.perf_counter()
roll_up_new_hits()
seconds = time.perf_counter() - started
views = PageDay.objects.aggregate(v=Sum("views"))["v"] or 0
print(json.dumps({"seconds": seconds, "views": views}))
"""

# Hits as a busy site's table holds them: in the order they arrived (time order), 90 days of
# them, 500 paths, a million visitor ids, some newsletter and search traffic. Written as
# plain rows (COPY on PostgreSQL, executemany on SQLite): model instances would take longer
# than the roll-up being measured.
GENERATE_SNIPPET = """
import json, random, time
from datetime import UTC, datetime, timedelta
from django.db import connection, transaction
from masthead.audience.models import Hit
from masthead.audience.rollup import quick_delete
quick_delete(Hit.objects.all())
rng = random.Random(13)
paths = [f"/news/story-{{number}}/" for number in range(500)]
referrers = [("", "direct"), ("", "internal"), ("Google", "search"), ("Bluesky", "social"),
             ("example.org", "other")]
columns = ["at", "kind", "site_id", "path", "page_id", "visitor", "referrer", "referrer_kind",
           "utm_source", "utm_medium", "utm_campaign", "campaign_id", "device", "country"]
end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
first_day = end - timedelta(days=90)
total = {count}
per_day = total // 90
started = time.perf_counter()
postgres = connection.vendor == "postgresql"
adapt = connection.ops.adapt_datetimefield_value
insert = "INSERT INTO audience_hit ({{}}) VALUES ({{}})".format(
    ", ".join(columns), ", ".join(["%s"] * len(columns)))
for day in range(90):
    size = per_day + (total - per_day * 90 if day == 89 else 0)
    offsets = sorted(rng.randrange(86400) for _ in range(size))
    start = first_day + timedelta(days=day)
    rows = []
    for offset in offsets:
        referrer, kind = rng.choice(referrers)
        at = start + timedelta(seconds=offset)
        rows.append((at if postgres else adapt(at), "read" if rng.random() < 0.2 else "view", 1,
                     rng.choice(paths), None, f"{{rng.randrange(10**6):032x}}", referrer, kind,
                     "newsletter" if rng.random() < 0.05 else "", "", "", None, "desktop", ""))
    with transaction.atomic(), connection.cursor() as cursor:
        if postgres:
            copying = f"COPY audience_hit ({{', '.join(columns)}}) FROM STDIN"
            with cursor.cursor.copy(copying) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(insert, rows)
if postgres:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE audience_hit")
print(json.dumps({{"seconds": time.perf_counter() - started, "hits": Hit.objects.count()}}))
"""

# The Audience dashboard over the last 90 days, as an Administrator opens it, on the data
# rolled up above: the median of five renders after a first one.
DASHBOARD_SNIPPET = """
import json, statistics, time
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
User = get_user_model()
user = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser(
    "bench-admin", "bench@example.invalid", None)
client = Client(HTTP_HOST="{host}")
client.force_login(user)
url = reverse("audience_dashboard") + "?period=90"
first = client.get(url)
assert first.status_code == 200, first.status_code
times = []
for _ in range(5):
    started = time.perf_counter()
    response = client.get(url)
    times.append(time.perf_counter() - started)
    assert response.status_code == 200
print(json.dumps({{"median_ms": 1000 * statistics.median(times), "max_ms": 1000 * max(times)}}))
"""


def run_lua(server, path, lua, duration):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    try:
        output = subprocess.run(
            [
                "wrk",
                f"-t{WRK_THREADS}",
                f"-c{CONNECTIONS}",
                f"-d{duration}s",
                "--timeout",
                "10s",
                "--latency",
                "-s",
                script.name,
                server.url(path),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        Path(script.name).unlink()
    return output


def parse_wrk(output):
    def latency(percentile):
        match = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
        value, unit = match.groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]

    requests = int(re.search(r"(\d+) requests in", output).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "requests": requests,
        "bad": int(bad.group(1)) if bad else 0,
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": latency(50),
        "p99": latency(99),
    }


def shell(env, snippet):
    return last_json_line(masthead(env, "shell", "-c", snippet, capture=True))


def start(env, data_dir, **overrides):
    server = Server({**env, **overrides}, SERVER, data_dir / "gunicorn.log")
    server.wait_until_ready()
    return server


class HitListener:
    """``masthead serve_hits`` on a free loopback port."""

    def __init__(self, env, processes, log_path):
        self.port = free_port()
        self.log_file = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                *(PYTHON, "-m", "masthead.cli", "serve_hits"),
                *("--bind", f"{HOST}:{self.port}", "--processes", str(processes)),
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"serve_hits exited with {self.process.returncode}")
            try:
                socket.create_connection((HOST, self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
        raise SystemExit("serve_hits did not listen in time")

    def url(self, path):
        return f"http://{HOST}:{self.port}{path}"

    def stop(self):
        # SIGTERM: each process writes the hits it still holds, then exits.
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        self.log_file.close()


def bench_ingest(env, data_dir, paths, args, record):
    server = start(env, data_dir, AUDIENCE_ENABLED="1")
    hits = server
    if args.ingest_via == "listener":
        hits = HitListener(
            {**env, "AUDIENCE_ENABLED": "1"},
            args.listener_processes,
            data_dir / "serve_hits.log",
        )
    try:
        lua = HITS_LUA.format(paths=", ".join(f'"{path}"' for path in paths), host=HOST)
        started = time.monotonic()
        figures = parse_wrk(run_lua(hits, "/a/hit", lua, args.duration))
        sending = time.monotonic() - started
        answered = figures["requests"] - figures["bad"]
        drained = shell(env, DRAIN_SNIPPET.format(answered=answered))
    finally:
        if hits is not server:
            hits.stop()
        server.stop()
    if drained["hits"] < answered or drained["views"] != drained["hits"]:
        raise SystemExit(
            f"{answered} hits answered, {drained['hits']} stored, {drained['views']} rolled up"
        )
    elapsed = sending + drained["wait"] + drained["rollup"]
    via = (
        f"hit listener x{args.listener_processes}" if args.ingest_via == "listener" else "gunicorn"
    )
    record(
        f"ingest via {via}: {figures['rps']:.0f} hits/s answered (p50 {figures['p50']:.1f} ms, "
        f"p99 {figures['p99']:.1f} ms, {figures['bad']} non-2xx); {drained['hits']} hits "
        f"stored and rolled up {drained['wait'] + drained['rollup']:.1f} s after the last "
        f"answer (roll-up {drained['rollup']:.1f} s): {drained['hits'] / elapsed:.0f} hits/s "
        "end to end"
    )


def bench_pages(env, data_dir, article, args, record):
    results = {}
    for label, enabled in (("off", "0"), ("on", "1")):
        server = start(env, data_dir, AUDIENCE_ENABLED=enabled, PAGE_CACHE_SECONDS="600")
        try:
            fetch(server.url(article))
            status, x_cache, _body = fetch(server.url(article))
            if status != 200 or x_cache != "hit":
                raise SystemExit(f"{article}: status {status}, X-Cache {x_cache!r}")
            measured = run_wrk(server, article, args.duration, CONNECTIONS, WRK_THREADS)
            results[label] = measured.requests_per_second
            record(
                f"cached article, counting {label}: {measured.requests_per_second:.0f} req/s, "
                f"p99 {measured.p99_ms:.1f} ms"
            )
            if enabled == "1":
                lua = PAGE_AND_HIT_LUA.format(path=article, host=HOST)
                mixed = parse_wrk(run_lua(server, article, lua, args.duration))
                record(
                    f"cached article + its hit per view: {mixed['rps'] / 2:.0f} page views/s "
                    f"({mixed['rps']:.0f} req/s, p99 {mixed['p99']:.1f} ms, "
                    f"{mixed['bad']} non-2xx)"
                )
        finally:
            server.stop()
    record(f"cached article with counting on: {100 * results['on'] / results['off']:.0f}% of off")


COUNT_SNIPPET = """
import json
from masthead.audience.models import Hit
print(json.dumps({"hits": Hit.objects.count()}))
"""


def bench_rollup(env, args, record):
    if args.reuse and shell(env, COUNT_SNIPPET)["hits"] == args.rollup_hits:
        # --reuse: the hits generated by an earlier run (e.g. --parts generate) are there.
        generated = {"seconds": float("nan"), "hits": args.rollup_hits}
    else:
        generated = shell(env, GENERATE_SNIPPET.format(count=args.rollup_hits))
    if args.parts == ["generate"]:
        log(f"  generated {generated['hits']} hits in {generated['seconds']:.0f} s")
        return
    rollup = shell(env, ROLLUP_SNIPPET)
    if rollup["views"] + 0 == 0 or generated["hits"] != args.rollup_hits:
        raise SystemExit(f"generated {generated['hits']} hits, rolled up {rollup['views']} views")
    how = (
        "generated by an earlier run"
        if generated["seconds"] != generated["seconds"]  # NaN: reused
        else f"generating them took {generated['seconds']:.0f} s"
    )
    record(
        f"roll-up of {args.rollup_hits} generated hits over 90 days: {rollup['seconds']:.1f} s "
        f"({how})"
    )
    dashboard = shell(env, DASHBOARD_SNIPPET.format(host=HOST))
    record(
        f"Audience dashboard, last 90 days, on those {args.rollup_hits} hits' roll-ups: "
        f"{dashboard['median_ms']:.0f} ms median of 5 renders "
        f"(slowest {dashboard['max_ms']:.0f} ms)"
    )


def bench_database(database, database_url, args, commit):
    data_dir = WORK / f"analytics-{database}"
    reusing = args.reuse and database == "sqlite" and (data_dir / "masthead.sqlite3").exists()
    if not reusing:
        shutil.rmtree(data_dir, ignore_errors=True)
        data_dir.mkdir(parents=True)
    env = base_environment(data_dir, database_url)
    env.update(AUDIENCE_BATCH_SIZE="500", AUDIENCE_FLUSH_SECONDS="1")
    if reusing:
        if {"ingest", "pages"} & set(args.parts):
            raise SystemExit("--reuse is for --parts generate and rollup only")
        log(f"\n== {database}: reusing the outlet in {data_dir}")
        outlet, paths = None, []
    else:
        log(f"\n== {database}: building the outlet in {data_dir}")
        outlet = build_outlet(env, args.articles)
        paths = shell(env, PATHS_SNIPPET)["paths"]

    def record(figure):
        log(f"  {figure}")
        stamp = datetime.now().strftime("%Y-%m-%d %H:%M")
        # The load average says whether anything else shared the cores meanwhile.
        load = " ".join(f"{value:.1f}" for value in os.getloadavg())
        append_result(
            f"- {stamp} {commit} analytics.py {database}, {SERVER.label}, "
            f"wrk -c{CONNECTIONS} {args.duration}s: {figure} (load average {load})",
            args,
        )

    if "ingest" in args.parts:
        bench_ingest(env, data_dir, paths, args, record)
    if "pages" in args.parts:
        bench_pages(env, data_dir, outlet["article_url"], args, record)
    if "rollup" in args.parts or "generate" in args.parts:
        bench_rollup(env, args, record)


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run")
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--rollup-hits", type=int, default=10_000_000)
    parser.add_argument(
        "--parts",
        nargs="+",
        default=["ingest", "pages", "rollup"],
        choices=["ingest", "pages", "rollup", "generate"],
        help="generate: only write the --rollup-hits hits (for a later --parts rollup --reuse)",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="SQLite: keep the outlet and hits of an earlier run (not regenerated if the "
        "count matches)",
    )
    parser.add_argument(
        "--ingest-via",
        choices=["listener", "gunicorn"],
        default="listener",
        help="where the hits go: the hit listener, as behind production's nginx (default), "
        "or gunicorn, as in the demo",
    )
    parser.add_argument("--listener-processes", type=int, default=2)
    parser.add_argument("--postgres", help="a PostgreSQL server's URL: measure there too")
    parser.add_argument("--sqlite", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--no-record", action="store_true", help="print only")
    return parser.parse_args()


def main():
    args = parse_arguments()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    commit = git_commit()
    on_each_database(bench_database, args, commit)


if __name__ == "__main__":
    main()
