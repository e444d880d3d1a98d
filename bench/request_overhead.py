"""What the request id and the metrics counting add to each request, measured in-process.

A page-cache hit is the cheapest request the site serves (one dictionary lookup inside
Django), so it is where a fixed cost per request shows most. This serves ``/robots.txt``
from the page cache through Django's WSGI handler, with the full MIDDLEWARE and again
without ``RequestIdMiddleware`` and ``MetricsMiddleware``, alternating rounds so that both
see the same machine load, and prints the median time per request of each and the
difference. No server, no network: wrk through gunicorn (bench/pages.py) adds far more per
request than what is measured here.

    .venv/bin/python bench/request_overhead.py [--requests 20000] [--rounds 5] [--no-record]
"""

import argparse
import datetime
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OURS = ("masthead.core.request_id.RequestIdMiddleware", "masthead.core.metrics.MetricsMiddleware")


def environ(path):
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1",
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def start_response(status, headers, exc_info=None):
    return None


def per_request_microseconds(handler, count):
    started = time.perf_counter()
    for _ in range(count):
        response = handler(environ("/robots.txt"), start_response)
        assert response.status_code == 200 and response["X-Cache"] == "hit"
        response.close()
    return (time.perf_counter() - started) / count * 1e6


def isolated_microseconds(count):
    """Each middleware alone around a view that answers at once: its own cost, without
    the noise of the rest of the request."""
    from django.http import HttpResponse
    from django.test import RequestFactory

    from masthead.core.metrics import MetricsMiddleware
    from masthead.core.request_id import RequestIdMiddleware

    response = HttpResponse("x")
    response["X-Cache"] = "hit"
    request = RequestFactory().get("/robots.txt")

    def view(request):
        return response

    costs = {}
    for name, middleware in (("request id", RequestIdMiddleware), ("metrics", MetricsMiddleware)):
        wrapped = middleware(view)
        started = time.perf_counter()
        for _ in range(count):
            wrapped(request)
        costs[name] = (time.perf_counter() - started) / count * 1e6
    return costs


def commit():
    def git(*args):
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout

    dirty = "+dirty" if git("status", "--porcelain", "--untracked-files=no").strip() else ""
    return git("rev-parse", "--short", "HEAD").strip() + dirty


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-record", action="store_true")
    options = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="masthead-bench-")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="masthead.settings",
        MASTHEAD_DATA_DIR=data_dir,
        CACHE_URL="locmem://",
        EMAIL_URL="memory://",
    )
    sys.path.insert(0, str(ROOT))
    import django
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler

    django.setup()
    full_middleware = list(settings.MIDDLEWARE)
    with_ours = WSGIHandler()
    settings.MIDDLEWARE = [name for name in full_middleware if name not in OURS]
    without_ours = WSGIHandler()
    settings.MIDDLEWARE = full_middleware
    # The first request renders and stores the page; then both handlers hit it.
    with_ours(environ("/robots.txt"), start_response).close()

    timings = {"with": [], "without": []}
    for _ in range(options.rounds):
        timings["without"].append(per_request_microseconds(without_ours, options.requests))
        timings["with"].append(per_request_microseconds(with_ours, options.requests))
    with_median = statistics.median(timings["with"])
    without_median = statistics.median(timings["without"])
    added = with_median - without_median
    isolated = isolated_microseconds(options.requests * 5)
    load = os.getloadavg()[0]
    print(f"page-cache hit without request id and metrics: {without_median:.1f} µs/request")
    print(f"page-cache hit with request id and metrics:    {with_median:.1f} µs/request")
    print(f"added per request: {added:.1f} µs (load {load:.2f})")
    print(
        f"each alone: request id {isolated['request id']:.1f} µs, "
        f"metrics {isolated['metrics']:.1f} µs"
    )
    if not options.no_record:
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M")
        line = (
            f"- {stamp} | {commit()} | request_overhead.py | page-cache hit in-process "
            f"(robots.txt, locmem) | without request id + metrics {without_median:.1f} µs | "
            f"with {with_median:.1f} µs | added {added:.1f} µs | alone: request id "
            f"{isolated['request id']:.1f} µs, metrics {isolated['metrics']:.1f} µs | "
            f"{options.rounds}x{options.requests} requests | load {load:.2f}\n"
        )
        with (ROOT / "bench" / "RESULTS.md").open("a") as results:
            results.write(line)


if __name__ == "__main__":
    main()
