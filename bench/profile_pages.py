"""Where a page's time goes: each page type rendered in one process, timed, its queries
counted, and optionally profiled.

Builds (or reuses) the same throwaway outlet as bench/pages.py under
bench/work/profile-<database>/, then, in this process, with the production settings of
bench/pages.py, asks Django for each page through the test client (the whole middleware
stack, no network) and prints, per page, the mean time of a render and its queries. Modes:

- cold: the page cache and the fragments off (what bench/pages.py's cold mode serves);
- uncached: the page cache off, the fragments warm.

With ``--profile`` it prints cProfile's top functions per page (by cumulative and by own
time), which is what the README's performance section reports. Nothing is appended to
RESULTS.md: the requests/s figures come from bench/pages.py.

    .venv/bin/python bench/profile_pages.py
    .venv/bin/python bench/profile_pages.py --mode uncached --renders 200
    .venv/bin/python bench/profile_pages.py --profile --pages home article
    .venv/bin/python bench/profile_pages.py --postgres postgres://postgres@127.0.0.1:5432/postgres
"""

import argparse
import cProfile
import io
import os
import pstats
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pages import (  # the sibling script, found through the path above
    HOST,
    PYTHON,
    ROOT,
    WORK,
    base_environment,
    build_outlet,
    log,
)

# This checkout's Masthead: run from a git worktree whose virtual environment has another
# checkout installed editable, the editable install's would be measured instead.
sys.path.insert(0, str(ROOT))

PAGES = ("home", "article", "search", "tag", "basket", "review")
MODES = {
    "cold": {"PAGE_CACHE_SECONDS": "0", "FRAGMENT_CACHE_SECONDS": "0"},
    "uncached": {"PAGE_CACHE_SECONDS": "0"},
}


def _fresh_postgres_database(url):
    """Create (again) the database ``url`` names on its PostgreSQL server."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def prepare(database_url, name):
    data_dir = WORK / f"profile-{name}"
    marker = data_dir / "built"
    env = base_environment(data_dir, database_url)
    if not marker.exists():
        if data_dir.exists():
            subprocess.run(["rm", "-rf", str(data_dir)], check=True)
        data_dir.mkdir(parents=True)
        if database_url:
            _fresh_postgres_database(database_url)
        log(f"== building the outlet in {data_dir}")
        build_outlet(env, 1000)
        marker.write_text("ok")
    return env


def shop_visitor(client):
    """A reader's client with three lines in the basket, details and delivery chosen."""
    from masthead.shop.models import ShippingRate, Variant

    origin = {"HTTP_ORIGIN": f"http://{HOST}"}
    variants = Variant.objects.filter(product__live=True).order_by("pk")
    added = 0
    for variant in variants:
        response = client.post("/shop/cart/add/", {"variant": variant.pk, "quantity": 1}, **origin)
        added += response.status_code == 302
        if added == 3:
            break
    details = {
        "email": "reader@example.org",
        "full_name": "Sam Reader",
        "address_line1": "12 Quay Street",
        "city": "Riverside",
        "postcode": "RV1 2AB",
        "country": "GB",
    }
    assert client.post("/shop/checkout/", details, **origin).status_code == 302
    for rate in ShippingRate.objects.order_by("pk"):
        response = client.post("/shop/checkout/shipping/", {"shipping_rate": rate.pk}, **origin)
        if response.status_code == 302:
            break
    else:
        raise SystemExit("no shipping rate for the address")
    return added


class QueryTimer:
    """A database execute wrapper that notes each query's time (ms) and SQL in ``into``."""

    def __init__(self, into):
        self.into = into

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.into.append(((time.perf_counter() - started) * 1000, sql))


def targets():
    from django.db.models import Count

    from masthead.publishing.models import ArticlePageTag, live_articles

    article = live_articles()[5]
    # The busiest tag, so that its second page exists.
    busiest = (
        ArticlePageTag.objects.values("tag__slug").annotate(n=Count("pk")).order_by("-n").first()
    )
    return {
        "home": "/",
        "article": article.url,
        "search": "/search/?q=council",
        "tag": f"/tags/{busiest['tag__slug']}/?page=2",
        "basket": "/shop/cart/",
        "review": "/shop/checkout/review/",
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=MODES, default="cold")
    parser.add_argument("--renders", type=int, default=100)
    parser.add_argument("--pages", nargs="+", choices=PAGES, default=list(PAGES))
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--save", metavar="DIR", help="with --profile, also write each page's profile to DIR"
    )
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--queries", action="store_true", help="print each query's time")
    parser.add_argument("--postgres", help="a PostgreSQL server's URL to measure on instead")
    args = parser.parse_args()

    if args.postgres:
        database = "masthead_profile"
        base = args.postgres.rsplit("/", 1)[0]
        url = f"{base}/{database}"
        env = prepare(url, "postgresql")
        name = "postgresql"
    else:
        env = prepare(None, "sqlite")
        name = "sqlite"
    os.environ.update(env | MODES[args.mode])
    os.environ["DJANGO_SETTINGS_MODULE"] = "masthead.settings"
    os.chdir(ROOT)
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    # Readers are anonymous (no cookie at all); the basket and the review are a shopper's.
    reader = Client(HTTP_HOST=HOST, HTTP_USER_AGENT="profile_pages")
    shopper = Client(HTTP_HOST=HOST, HTTP_USER_AGENT="profile_pages")
    lines = shop_visitor(shopper)
    urls = targets()
    log(f"{name}, {args.mode}: {args.renders} renders per page ({lines} lines in the basket)")
    for page in args.pages:
        url = urls[page]
        client = shopper if page in ("basket", "review") else reader
        first = client.get(url)
        assert first.status_code == 200, (url, first.status_code)
        queries = []
        # Counted by a wrapper: Django empties its own query log when a request starts.
        with connection.execute_wrapper(QueryTimer(queries)):
            client.get(url)
        started = time.perf_counter()
        for _ in range(args.renders):
            client.get(url)
        mean_ms = (time.perf_counter() - started) * 1000 / args.renders
        log(f"  {page:8} {url:50} {mean_ms:7.2f} ms  {len(queries):3} queries")
        if args.queries:
            for ms, sql in queries:
                log(f"      {ms:6.2f} ms  {sql[:300] if ms < 5 else sql}")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.renders):
                client.get(url)
            profiler.disable()
            if args.save:
                Path(args.save).mkdir(parents=True, exist_ok=True)
                profiler.dump_stats(str(Path(args.save) / f"{page}-{args.mode}.prof"))
            for order in ("cumulative", "tottime"):
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.top)
                log(out.getvalue())


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--in-venv":
        sys.argv.pop(1)
    elif Path(sys.executable) != Path(PYTHON) and Path(PYTHON).exists():
        os.execv(PYTHON, [PYTHON, __file__, "--in-venv", *sys.argv[1:]])  # noqa: S606
    main()
