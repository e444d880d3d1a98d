"""Edge benchmark: a cached article through the shipped nginx config, against the same nginx
serving the same bytes from a static file.

Builds a throwaway outlet under bench/work/edge/ (as bench/pages.py does, and with its
helpers), runs Masthead's production server (gunicorn) on loopback, and in front of it nginx
with deploy/nginx-masthead.conf as tests/nginx_harness.py renders it for loopback (plain
HTTP on a free port, the micro-cache in a temporary directory). Then, with wrk:

- static: the article's HTML, saved as a file under the static root, served by nginx;
- edge: the article through nginx's micro-cache (the shipped config, EDGE_CACHE_SECONDS=1);
- gunicorn: the same article straight from gunicorn's page cache (what readers got before).

It prints requests/s, p50 and p99 of each, the edge's share of the static throughput
(target: at least 50 %, with p99 under 20 ms), and how many requests for the article
reached gunicorn during the edge run (its access log): about one per second. Then it checks
freshness through nginx: another process publishes a new headline and the script polls the
article through nginx until it shows: within 2.5 s, the lifetime as nginx counts it (whole
seconds, so 1-2 s) and up to 0.5 s for gunicorn's workers to notice the publication. Each
figure is appended to bench/RESULTS.md.

    .venv/bin/python bench/edge.py                    # about two minutes
    .venv/bin/python bench/edge.py --duration 5 --no-record
"""

import argparse
import os
import secrets
import shutil
import sys
import threading
import time
from datetime import datetime

from pages import (
    PUBLISH_SNIPPET,
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
    run_wrk,
)

sys.path.insert(0, str(ROOT))
from tests.nginx_harness import NGINX, get, nginx_missing_reason, start_nginx

EDGE_SECONDS = 1
TARGET_SHARE = 0.5
TARGET_P99_MS = 20.0
STATIC_NAME = "edge-bench-article.html"
# nginx keeps a page for EDGE_SECONDS counted in whole seconds (so up to one more), and each
# gunicorn worker notices a publication within 0.5 s (masthead.core.cache).
FRESHNESS_LIMIT_SECONDS = EDGE_SECONDS + 1.5


class Target:
    """What run_wrk measures: a URL base, with gunicorn's memory sampled meanwhile."""

    def __init__(self, base_url, server):
        self.base_url = base_url
        self.server = server

    def url(self, path):
        return self.base_url + path

    def start_sampling(self):
        self.server.start_sampling()

    def stop_sampling(self):
        return self.server.stop_sampling()


def requests_logged(access_log, path):
    """How many requests for ``path`` gunicorn's access log holds so far."""
    if not access_log.exists():
        return 0
    needle = f'"GET {path} '
    return sum(needle in line for line in access_log.read_text().splitlines())


def check_freshness(edge_url, env, outlet):
    """Publish a new headline from another process; poll through nginx until it shows.
    Returns (first new headline, last stale response), in seconds after the commit."""
    url = edge_url + outlet["article_url"]
    new_title = f"Fresh headline {secrets.token_hex(4)}"
    observations = []
    polling = threading.Event()
    polling.set()

    def poll():
        while polling.is_set():
            started = time.time()
            status, _x_cache, body = fetch(url)
            observations.append((started, status, new_title in body))
            time.sleep(0.01)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    snippet = PUBLISH_SNIPPET.format(pk=outlet["article_pk"], title=new_title)
    committed_at = last_json_line(masthead(env, "shell", "-c", snippet, capture=True))[
        "committed_at"
    ]
    time.sleep(EDGE_SECONDS + 3.0)
    polling.clear()
    poller.join()
    after = [item for item in observations if item[0] > committed_at]
    fresh = [started for started, status, is_new in after if is_new and status == 200]
    stale = [started for started, _status, is_new in after if not is_new]
    if not fresh:
        raise SystemExit("the new headline never appeared through nginx")
    last_stale = (max(stale) - committed_at) if stale else 0.0
    return fresh[0] - committed_at, last_stale, len(after)


def line_for(commit, label, result, args):
    return (
        f"- {datetime.now():%Y-%m-%d %H:%M} | {commit} | sqlite | edge: {label} | "
        f"{result.requests_per_second:,.0f} req/s | p50 {result.p50_ms:.1f} ms | "
        f"p99 {result.p99_ms:.1f} ms | wrk -t{args.wrk_threads} -c{args.connections} "
        f"-d{args.duration}s | load {result.load_average}"
        + (
            f" | non-2xx {result.bad_responses}, socket errors: {result.socket_errors}"
            if result.bad_responses or result.socket_errors != "none"
            else ""
        )
    )


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument(
        "--server", type=ServerConfig.parse, default=ServerConfig(2, 4), help="gunicorn"
    )
    parser.add_argument(
        "--no-record", action="store_true", help="print the figures without recording them"
    )
    return parser.parse_args()


def main():
    args = parse_arguments()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    if NGINX is None:
        raise SystemExit(nginx_missing_reason())
    commit = git_commit()
    log(f"Masthead edge benchmark at {commit}, {os.cpu_count()} CPUs")

    data_dir = WORK / "edge"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    env = base_environment(data_dir, None)
    env.update({"PAGE_CACHE_SECONDS": "600", "EDGE_CACHE_SECONDS": str(EDGE_SECONDS)})
    log(f"== building the outlet in {data_dir}")
    started = time.monotonic()
    outlet = build_outlet(env, args.articles)
    article = outlet["article_url"]
    log(
        f"  {outlet['articles']} live articles (built in {time.monotonic() - started:.0f} s); "
        f"article page {article}"
    )

    access_log = data_dir / "gunicorn-access.log"
    server = Server(
        {**env, "GUNICORN_ACCESS_LOG": str(access_log)}, args.server, data_dir / "gunicorn.log"
    )
    nginx = None
    try:
        server.wait_until_ready()
        static_root = data_dir / "nginx-static"
        static_root.mkdir()
        nginx = start_nginx(
            [f"127.0.0.1:{server.port}"],
            data_dir / "nginx",
            static_root=static_root,
            worker_processes="auto",
            access_log=False,
        )
        seen = []
        for _ in range(20):
            status, headers, body = get(nginx.url + article)
            seen.append(f"{status} {headers['X-Cache-Status']}")
            if status == 200 and headers["X-Cache-Status"] == "HIT":
                break
            time.sleep(0.1)
        else:
            raise SystemExit(f"{article} through nginx never came from its cache: {seen}")
        log(f"  warming through nginx: {', '.join(seen)}")
        # The same bytes as a file: what nginx serves at best for a page of this size.
        (static_root / STATIC_NAME).write_text(body)
        log(f"  article: {len(body.encode()):,} bytes; nginx on {nginx.url}")

        edge = Target(nginx.url, server)
        direct = Target(f"http://127.0.0.1:{server.port}", server)
        static = run_wrk(edge, f"/static/{STATIC_NAME}", *wrk_args(args))
        before = requests_logged(access_log, article)
        cached = run_wrk(edge, article, *wrk_args(args))
        reached = requests_logged(access_log, article) - before
        through_gunicorn = run_wrk(direct, article, *wrk_args(args))

        share = cached.requests_per_second / static.requests_per_second
        verdict = (
            "ok"
            if share >= TARGET_SHARE and cached.p99_ms < TARGET_P99_MS
            else f"BELOW TARGET ({TARGET_SHARE:.0%}, p99 < {TARGET_P99_MS:.0f} ms)"
        )
        lines = [
            line_for(commit, "nginx static file, same bytes", static, args),
            line_for(commit, "article through nginx micro-cache", cached, args)
            + f" | {share:.0%} of static | {reached} requests reached gunicorn | {verdict}",
            line_for(commit, f"article from gunicorn {args.server.label}", through_gunicorn, args),
        ]
        first_fresh, last_stale, polled = check_freshness(nginx.url, env, outlet)
        fresh_verdict = "ok" if last_stale < FRESHNESS_LIMIT_SECONDS else "TOO SLOW"
        lines.append(
            f"- {datetime.now():%Y-%m-%d %H:%M} | {commit} | sqlite | edge: freshness through "
            f"nginx (EDGE_CACHE_SECONDS={EDGE_SECONDS}) | first new headline "
            f"{first_fresh * 1000:.0f} ms, last stale response {last_stale * 1000:.0f} ms after "
            f"the commit ({polled} requests polled) | {fresh_verdict}"
        )
        for line in lines:
            log(line)
            append_result(line, args)
    finally:
        if nginx is not None:
            nginx.stop()
        server.stop()
    return 0


def wrk_args(args):
    return args.duration, args.connections, args.wrk_threads


if __name__ == "__main__":
    sys.exit(main())
