"""Page benchmark: how many readers the production server serves, cached and uncached.

Builds a throwaway outlet under bench/work/ (about 1,000 articles), runs Masthead's
production server (gunicorn, MASTHEAD_MODE=production) on loopback, and measures the home
page and an article page with `wrk` in four modes:

- cached: the whole-page cache on (what almost every anonymous reader gets);
- signed-in: the same, with every request carrying a real signed-in reader's cookies (a
  Reader and a ReaderSession made by ``sessions.sign_in``): a signed-in reader must read
  cached pages too, so the figures must meet the cached target;
- uncached: the whole-page cache off (PAGE_CACHE_SECONDS=0), the shared rendered fragments
  warm. Every request goes through Django's middleware, the database (the site, routing the
  path to the page, its privacy check, settings) and the templates; the parts that are the
  same for every reader (header, footer, an article's text, the home page's listings) come
  from each process's fragment store (masthead/core/fragments.py), as they do for every
  page rendered between two publications, while the parts that change with readers'
  activity (sign-up forms, the funding bar) are rendered for each request;
- cold: the page cache and the fragments off (FRAGMENT_CACHE_SECONDS=0 too): every part of
  every page rendered afresh, what the first request after each publication costs.

In the uncached and cold modes (their first server configuration) it also measures the
pages no cache can serve: search results (``/search/?q=council``), the busiest tag's second
page, and a shopper's basket with three products and their checkout review step (with the
cookies of a shopper who got there).

For each run it prints requests/s, p50, p99 and the peak memory of the server (gunicorn
master and workers), and appends one dated line to bench/RESULTS.md.

It also checks freshness across worker processes: while the cached server runs (and again
with the page cache off, where the fragments must follow), a separate process publishes a
new headline for the article, and the script polls the article until every worker serves
the new one.

Runs on SQLite, and on PostgreSQL too when DATABASE_URL names a PostgreSQL server (the
script creates and drops its own throwaway database there).

    .venv/bin/python bench/pages.py                  # the whole benchmark, a few minutes
    .venv/bin/python bench/pages.py --duration 5 --servers gthread:2x4
    .venv/bin/python bench/pages.py --modes uncached cold --sqlite-only --no-record
    .venv/bin/python bench/pages.py --modes signed-in --servers gthread:2x4 --sqlite-only
"""

import argparse
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work"
RESULTS = ROOT / "bench" / "RESULTS.md"
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON if VENV_PYTHON.exists() else Path(sys.executable))
HOST = "127.0.0.1"
FRESHNESS_LIMIT_SECONDS = 1.0
MODES = ("cached", "signed-in", "uncached", "cold")
# Modes whose every request must be a page-cache hit.
CACHED_MODES = ("cached", "signed-in")
# What each mode means, printed before the figures and kept with them in RESULTS.md.
MODE_DESCRIPTIONS = {
    "cached": "whole-page cache on",
    "signed-in": "whole-page cache on, every request with a signed-in reader's cookies",
    "uncached": "whole-page cache off, shared fragments warm",
    "cold": "whole-page cache and shared fragments off",
}
# How each mode is named in the figures.
MODE_LABELS = {
    "cached": "cached",
    "signed-in": "cached, signed-in reader",
    "uncached": "uncached (fragments warm)",
    "cold": "cold (no page or fragment cache)",
}
# The environment of the server in each mode.
MODE_ENVIRONMENTS = {
    "cached": {"PAGE_CACHE_SECONDS": "600"},
    "signed-in": {"PAGE_CACHE_SECONDS": "600"},
    "uncached": {"PAGE_CACHE_SECONDS": "0"},
    "cold": {"PAGE_CACHE_SECONDS": "0", "FRAGMENT_CACHE_SECONDS": "0"},
}

RESULTS_HEADER = """# Benchmark results

Appended by the benchmark scripts, one line per measurement; newest last.
`bench/pages.py`: wrk on loopback against the production server (gunicorn); the figures
include wrk itself running on the same cores.

"""

# Publishes a new headline for one article as an editor would, then prints when the
# publication committed (the page cache is invalidated on commit).
PUBLISH_SNIPPET = """
import json, sys, time
from masthead.publishing.models import ArticlePage
article = ArticlePage.objects.get(pk={pk}).get_latest_revision_as_object()
article.title = {title!r}
article.save_revision().publish()
print(json.dumps({{"committed_at": time.time()}}))
"""

# The article measured: a recent one (it appears on the home page too), not the newest;
# and the busiest tag, whose second page the tag-page row measures.
DESCRIBE_SNIPPET = """
import json
from django.db.models import Count
from masthead.publishing.models import ArticlePage, ArticlePageTag, live_articles
article = live_articles()[5]
busiest = ArticlePageTag.objects.values("tag__slug").annotate(n=Count("pk")).order_by("-n")[0]
print(json.dumps({"articles": ArticlePage.objects.live().count(), "article_pk": article.pk,
                  "article_url": article.url, "article_title": article.title,
                  "tag_url": f"/tags/{busiest['tag__slug']}/?page=2"}))
"""

# A shopper as their browser would be at the checkout's review step: three products in the
# basket, their details and a delivery rate chosen. Prints the Cookie header they send.
SHOPPER_SNIPPET = """
import json
from django.test import Client
from masthead.shop.models import ShippingRate, Variant
client = Client(HTTP_HOST="127.0.0.1", HTTP_USER_AGENT="wrk (bench/pages.py)")
origin = {"HTTP_ORIGIN": "http://127.0.0.1"}
products = set()
for variant in Variant.objects.filter(product__live=True).order_by("pk"):
    if variant.product_id in products:
        continue
    answer = client.post("/shop/cart/add/", {"variant": variant.pk, "quantity": 1}, **origin)
    if answer.status_code == 302:
        products.add(variant.product_id)
    if len(products) == 3:
        break
assert len(products) == 3, "fewer than three products can be bought"
# The basket, as the shopper sees it after adding (which gives them their CSRF cookie).
assert client.get("/shop/cart/").status_code == 200
details = {"email": "shopper@example.org", "full_name": "Sam Shopper",
           "address_line1": "12 Quay Street", "city": "Riverside", "postcode": "RV1 2AB",
           "country": "GB"}
assert client.post("/shop/checkout/", details, **origin).status_code == 302
for rate in ShippingRate.objects.order_by("pk"):
    answer = client.post("/shop/checkout/shipping/", {"shipping_rate": rate.pk}, **origin)
    if answer.status_code == 302:
        break
assert client.get("/shop/checkout/review/").status_code == 200
print(json.dumps({"cookie": "; ".join(f"{n}={c.value}" for n, c in client.cookies.items())}))
"""
# Pages that are never served from the page cache, measured in the uncached and cold modes.
NEVER_CACHED = ("search", "tag page", "basket", "checkout review")

# Signs a reader in as the account pages do (a Reader, a ReaderSession, the cookies), and
# prints the Cookie header their browser would then send.
SIGN_IN_SNIPPET = """
import json
from django.http import HttpResponse
from django.test import RequestFactory
from masthead.readers import identity, sessions
reader = identity.verified({address!r}, name="Bench Reader")
request = RequestFactory().get("/account/", HTTP_USER_AGENT="wrk (bench/pages.py)")
response = sessions.sign_in(request, HttpResponse(), reader)
names = (sessions.SESSION_COOKIE, sessions.HINT_COOKIE)
print(json.dumps({{"cookie": "; ".join(f"{{n}}={{response.cookies[n].value}}" for n in names)}}))
"""
BENCH_READER = "bench.reader@example.org"


@dataclass
class ServerConfig:
    """One way of running gunicorn: worker class, worker processes, threads per worker."""

    workers: int
    threads: int

    @property
    def label(self):
        kind = "gthread" if self.threads > 1 else "sync"
        return f"{kind} {self.workers}x{self.threads}"

    @classmethod
    def parse(cls, text):
        """'sync:4' or 'gthread:2x4' (workers x threads)."""
        kind, _, size = text.partition(":")
        workers, _, threads = size.partition("x")
        threads = int(threads or (1 if kind == "sync" else 4))
        if kind not in {"sync", "gthread"} or (kind == "sync") != (threads == 1):
            raise argparse.ArgumentTypeError(f"bad server configuration {text!r}")
        return cls(workers=int(workers), threads=threads)


@dataclass
class Measurement:
    """What one wrk run saw, and the server's peak memory meanwhile."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    peak_rss_mb: float
    bad_responses: int
    socket_errors: str
    load_average: str


def log(message):
    print(message, flush=True)


def git_commit():
    def git(*args):
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + ("+dirty" if git("status", "--porcelain") else "")


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def masthead(env, *args, capture=False):
    """Run a `masthead` command in the benchmark's environment."""
    result = subprocess.run(
        [PYTHON, "-m", "masthead.cli", *args],
        cwd=ROOT,
        env=env,
        check=False,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise SystemExit(f"masthead {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout if capture else None


def last_json_line(output):
    return json.loads(output.strip().splitlines()[-1])


def base_environment(data_dir, database_url):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            ("MASTHEAD_", "PAGE_CACHE", "FRAGMENT_CACHE", "WEB_CONCURRENCY", "GUNICORN_")
        )
    }
    env.update(
        {
            "MASTHEAD_MODE": "production",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": HOST,
            "SITE_URL": f"http://{HOST}",
            # Loopback has no TLS: without this every request would be redirected to https.
            "SECURE_SSL_REDIRECT": "0",
            "MASTHEAD_DATA_DIR": str(data_dir),
            "EMAIL_URL": "memory://",
            "TASK_BACKEND": "dummy",
            "LOG_LEVEL": "WARNING",
            "DEBUG": "",
        }
    )
    # Production mode never falls back to a default database: name the SQLite file too.
    env["DATABASE_URL"] = database_url or f"sqlite:///{data_dir / 'masthead.sqlite3'}"
    return env


def build_outlet(env, articles):
    """Migrate, collect static files, and fill the outlet with demo content and articles."""
    masthead(env, "migrate", "--no-input", "-v", "0")
    masthead(env, "collectstatic", "--no-input", "-v", "0")
    commands = masthead(env, "help", "--commands", capture=True).split()
    if "demo_content" in commands:
        # demo_content refuses production mode (it makes accounts with known passwords);
        # this database is a throwaway one, served in production mode afterwards.
        masthead({**env, "MASTHEAD_MODE": "demo"}, "demo_content")
    else:
        log("  (no demo_content command: seeding a minimal outlet)")
    if "generate_articles" in commands:
        masthead(env, "generate_articles", str(articles), "--with-images", "--seed", "1")
    else:
        log(f"  (no generate_articles command: seeding {articles} articles directly)")
        subprocess.run([PYTHON, __file__, "--seed", str(articles)], cwd=ROOT, env=env, check=True)
    analyze(env["DATABASE_URL"])
    return last_json_line(masthead(env, "shell", "-c", DESCRIBE_SNIPPET, capture=True))


def analyze(database_url):
    """On PostgreSQL, vacuum the tables just filled and gather the planner's statistics, as
    autovacuum does on a running server within a minute or so. Without the statistics the
    planner takes the new tables for empty and picks nested loops (a search's filter of its
    matches took 40 ms instead of 1). Without the vacuum the search index's GIN indexes keep
    their pending entries unmerged (autovacuum merges them, a plain ANALYZE does not) and
    the table its dead rows, and a search matched by reading every entry: 5 ms instead of
    1.3 for "council"."""
    if not database_url.startswith(("postgres://", "postgresql://")):
        return
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")


def seed(count):
    """Fallback content when the demo and generator commands are not there: one section,
    one author and ``count`` short published articles."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masthead.settings")
    django.setup()
    from django.db import transaction
    from wagtail.models import Site

    from masthead.publishing.models import (
        ArticleAuthor,
        ArticlePage,
        AuthorIndexPage,
        AuthorPage,
        SectionPage,
    )

    home = Site.objects.get(is_default_site=True).root_page.specific
    section = SectionPage(title="Town", slug="town", show_in_menus=True)
    home.add_child(instance=section)
    section.save_revision().publish()
    index = AuthorIndexPage(title="Writers", slug="writers")
    home.add_child(instance=index)
    index.save_revision().publish()
    author = AuthorPage(title="Sam Example", slug="sam-example", role="Reporter")
    index.add_child(instance=author)
    author.save_revision().publish()
    paragraph = "<p>" + "The committee met again and agreed the plan. " * 20 + "</p>"
    for number in range(count):
        with transaction.atomic():
            article = ArticlePage(
                title=f"Benchmark story number {number}",
                slug=f"benchmark-story-{number}",
                standfirst="A short summary of a story written for the benchmark.",
                body=[("paragraph", paragraph)] * 4,
            )
            article.article_authors.add(ArticleAuthor(author=author))
            section.add_child(instance=article)
            article.save_revision().publish()


class Server:
    """gunicorn serving the outlet on a free loopback port, with its memory sampled."""

    def __init__(self, env, config, log_path):
        self.port = free_port()
        self.env = {
            **env,
            "MASTHEAD_BIND": f"{HOST}:{self.port}",
            "WEB_CONCURRENCY": str(config.workers),
            "GUNICORN_THREADS": str(config.threads),
        }
        self.workers = config.workers
        self.log_file = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [PYTHON, "-m", "masthead.cli", "serve"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
        )
        self.peak_rss_kb = 0
        self.sampling = False

    def url(self, path):
        return f"http://{HOST}:{self.port}{path}"

    def wait_until_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.process.returncode}; see its log")
            try:
                with urllib.request.urlopen(self.url("/health/"), timeout=2) as response:
                    # Every worker has imported the application, not just the first: one
                    # still starting when wrk opens its connections would get none of them.
                    if response.status == 200 and self.workers_ready() >= self.workers:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        raise SystemExit("gunicorn did not answer /health/ with every worker in time")

    def workers_ready(self):
        """How many workers have imported the application (gunicorn_config names them)."""
        ready = 0
        for pid in self._process_tree():
            try:
                ready += Path(f"/proc/{pid}/comm").read_text().strip() == "masthead-web"
            except (FileNotFoundError, ProcessLookupError):
                continue
        return ready

    def _process_tree(self):
        pids, queue = [], [self.process.pid]
        while queue:
            pid = queue.pop()
            pids.append(pid)
            try:
                for task in Path(f"/proc/{pid}/task").iterdir():
                    queue.extend(int(child) for child in (task / "children").read_text().split())
            except (FileNotFoundError, ProcessLookupError):
                continue
        return pids

    def rss_kb(self):
        total = 0
        for pid in self._process_tree():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except (FileNotFoundError, ProcessLookupError):
                continue
            match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
            total += int(match.group(1)) if match else 0
        return total

    def start_sampling(self):
        self.peak_rss_kb = self.rss_kb()
        self.sampling = True

        def sample():
            while self.sampling:
                self.peak_rss_kb = max(self.peak_rss_kb, self.rss_kb())
                time.sleep(0.2)

        self.sampler = threading.Thread(target=sample, daemon=True)
        self.sampler.start()

    def stop_sampling(self):
        self.sampling = False
        self.sampler.join()
        return self.peak_rss_kb / 1024

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()


def fetch(url, cookie=""):
    """GET a page on a new connection: (status, X-Cache header, body)."""
    headers = {"Connection": "close", **({"Cookie": cookie} if cookie else {})}
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers.get("X-Cache"), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("X-Cache"), ""


def to_ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def run_wrk(server, path, duration, connections, threads, cookie=""):
    server.start_sampling()
    result = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "10s",
            "--latency",
            *(["-H", f"Cookie: {cookie}"] if cookie else []),
            server.url(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    peak = server.stop_sampling()
    load = Path("/proc/loadavg").read_text().split()[0]
    output = result.stdout

    def latency(percentile):
        match = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
        return to_ms(*match.groups())

    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    return Measurement(
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50_ms=latency(50),
        p99_ms=latency(99),
        peak_rss_mb=peak,
        bad_responses=int(bad.group(1)) if bad else 0,
        socket_errors=errors.group(1).strip() if errors else "none",
        load_average=load,
    )


def append_result(line, args):
    if args.no_record:
        return
    if not RESULTS.exists():
        RESULTS.write_text(RESULTS_HEADER)
    with RESULTS.open("a") as results:
        results.write(line + "\n")


def sign_in_reader(env):
    """A real signed-in reader's Cookie header (see SIGN_IN_SNIPPET)."""
    snippet = SIGN_IN_SNIPPET.format(address=BENCH_READER)
    return last_json_line(masthead(env, "shell", "-c", snippet, capture=True))["cookie"]


def check_signed_in(server, cookie):
    """Refuse to measure unless the cookies really sign the reader in (their account page
    names them; a stranger is sent to sign in)."""
    status, _x_cache, body = fetch(server.url("/account/"), cookie)
    if status != 200 or BENCH_READER not in body:
        raise SystemExit(f"the reader's cookies do not sign in: /account/ gave {status}")


def shopper_cookie(env):
    """A shopper's Cookie header at the checkout's review step (see SHOPPER_SNIPPET)."""
    return last_json_line(masthead(env, "shell", "-c", SHOPPER_SNIPPET, capture=True))["cookie"]


def never_cached_pages(outlet, shopper):
    """(name, path, cookie) of the rows for pages no cache can serve."""
    return [
        ("search", "/search/?q=council", ""),
        ("tag page", outlet["tag_url"], ""),
        ("basket", "/shop/cart/", shopper),
        ("checkout review", "/shop/checkout/review/", shopper),
    ]


def measure(server, database, mode, config, pages, args, commit, cookie=""):
    """wrk against each page on a running server; print and record each measurement.
    ``pages`` are (name, path) or (name, path, that page's own cookie)."""
    for name, path, *own in pages:
        cookie = own[0] if own else cookie
        status, x_cache, _body = fetch(server.url(path), cookie)
        status, x_cache, body = fetch(server.url(path), cookie)
        expected = "hit" if mode in CACHED_MODES and name not in NEVER_CACHED else None
        if status != 200 or x_cache != expected:
            raise SystemExit(f"{path}: status {status}, X-Cache {x_cache!r}, wanted {expected}")
        if name == "checkout review" and "shopper@example.org" not in body:
            raise SystemExit(f"{path}: the shopper's review step is not shown")
        if name == "basket" and 'href="/shop/checkout/"' not in body:
            raise SystemExit(f"{path}: the shopper's basket is empty")
        if cookie and BENCH_READER in body:
            raise SystemExit(f"{path}: the cached page names the signed-in reader")
        result = run_wrk(server, path, args.duration, args.connections, args.wrk_threads, cookie)
        line = (
            f"- {datetime.now():%Y-%m-%d %H:%M} | {commit} | {database} | {MODE_LABELS[mode]} | "
            f"{config.label} | {name} | {result.requests_per_second:,.0f} req/s | "
            f"p50 {result.p50_ms:.1f} ms | p99 {result.p99_ms:.1f} ms | "
            f"peak RSS {result.peak_rss_mb:.0f} MB | wrk -t{args.wrk_threads} "
            f"-c{args.connections} -d{args.duration}s | load {result.load_average}"
        )
        if result.bad_responses or result.socket_errors != "none":
            line += f" | non-2xx {result.bad_responses}, socket errors: {result.socket_errors}"
        log(line)
        append_result(line, args)


def check_freshness(server, env, outlet, database, mode, config, commit, args):
    """Publish a new headline from another process; poll until every worker shows it."""
    url = server.url(outlet["article_url"])
    old_title = outlet["article_title"]
    new_title = f"Fresh headline {secrets.token_hex(4)}"
    for _ in range(config.workers * 4):
        fetch(url)

    observations = []
    polling = threading.Event()
    polling.set()

    def poll():
        while polling.is_set():
            started = time.time()
            status, _x_cache, body = fetch(url)
            observations.append((started, status, new_title in body, old_title in body))

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    snippet = PUBLISH_SNIPPET.format(pk=outlet["article_pk"], title=new_title)
    committed_at = last_json_line(masthead(env, "shell", "-c", snippet, capture=True))[
        "committed_at"
    ]
    time.sleep(FRESHNESS_LIMIT_SECONDS + 1.0)
    polling.clear()
    poller.join()

    after = [item for item in observations if item[0] > committed_at]
    stale = [started for started, status, is_new, _is_old in after if not is_new]
    fresh = [started for started, status, is_new, _is_old in after if is_new and status == 200]
    if not fresh:
        raise SystemExit("the new headline never appeared")
    first_fresh = fresh[0] - committed_at
    last_stale = (max(stale) - committed_at) if stale else 0.0
    verdict = "ok" if last_stale < FRESHNESS_LIMIT_SECONDS else "TOO SLOW"
    line = (
        f"- {datetime.now():%Y-%m-%d %H:%M} | {commit} | {database} | "
        f"freshness, {MODE_LABELS[mode]} | "
        f"{config.label} | article | first new headline {first_fresh * 1000:.0f} ms, "
        f"last stale response {last_stale * 1000:.0f} ms after the commit "
        f"({len(after)} requests polled) | {verdict}"
    )
    log(line)
    append_result(line, args)
    outlet["article_title"] = new_title


def postgres_database(url):
    """Create a throwaway database on the server DATABASE_URL names; return its URL."""
    import psycopg

    parts = urlsplit(url)
    name = f"masthead_bench_{os.getpid()}"
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}")), admin_url, name


def drop_postgres_database(admin_url, name):
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def on_each_database(measure, args, commit, postgres_url=None):
    """``measure(database, database_url, args, commit)`` on SQLite when ``args.sqlite``
    (true unless the script has that switch), then on a throwaway database of the
    PostgreSQL server ``postgres_url`` names (``args.postgres`` by default), dropped after."""
    if getattr(args, "sqlite", True):
        measure("sqlite", None, args, commit)
    postgres_url = postgres_url or getattr(args, "postgres", None)
    if postgres_url:
        url, admin_url, name = postgres_database(postgres_url)
        try:
            measure("postgresql", url, args, commit)
        finally:
            drop_postgres_database(admin_url, name)


def bench_database(database, database_url, args, commit):
    data_dir = WORK / database
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    env = base_environment(data_dir, database_url)
    log(f"\n== {database}: building the outlet in {data_dir}")
    started = time.monotonic()
    outlet = build_outlet(env, args.articles)
    log(
        f"  {outlet['articles']} live articles (built in {time.monotonic() - started:.0f} s); "
        f"article page {outlet['article_url']}"
    )
    pages = [("home", "/"), ("article", outlet["article_url"])]

    runs = []
    for mode in args.modes:
        configs = args.servers if mode in CACHED_MODES else args.uncached_servers
        runs += [(mode, config, config == configs[0]) for config in configs]
    cookie = sign_in_reader(env) if "signed-in" in args.modes else ""
    uncached_modes = {"uncached", "cold"} & set(args.modes)
    shopper = shopper_cookie(env) if uncached_modes and not args.no_never_cached else ""
    for mode, config, first in runs:
        run_env = {**env, **MODE_ENVIRONMENTS[mode]}
        server = Server(run_env, config, data_dir / "gunicorn.log")
        try:
            server.wait_until_ready()
            # Where pages or fragments are kept, a publication must still show everywhere
            # (signed-in readers get the same cached pages, checked in the cached mode).
            if mode in ("cached", "uncached") and config.workers > 1 and first:
                check_freshness(server, run_env, outlet, database, mode, config, commit, args)
            if mode == "signed-in":
                check_signed_in(server, cookie)
                measure(server, database, mode, config, pages, args, commit, cookie)
            elif mode in ("uncached", "cold") and first and shopper:
                extra = never_cached_pages(outlet, shopper)
                measure(server, database, mode, config, pages + extra, args, commit)
            else:
                measure(server, database, mode, config, pages, args, commit)
        finally:
            server.stop()


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument(
        "--servers",
        type=ServerConfig.parse,
        nargs="+",
        default=[ServerConfig(2, 4), ServerConfig(4, 1), ServerConfig(3, 8)],
        help="gunicorn configurations for the cached and signed-in runs: sync:WORKERS or "
        "gthread:WORKERSxTHREADS; the first also runs the freshness check",
    )
    parser.add_argument(
        "--uncached-servers",
        type=ServerConfig.parse,
        nargs="+",
        default=[ServerConfig(2, 4), ServerConfig(4, 1)],
        help="gunicorn configurations for the uncached and cold runs",
    )
    parser.add_argument(
        "--modes",
        nargs="+",
        choices=MODES,
        default=list(MODES),
        help="; ".join(f"{mode}: {text}" for mode, text in MODE_DESCRIPTIONS.items()),
    )
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    parser.add_argument(
        "--no-never-cached",
        action="store_true",
        help="skip the rows for search, a tag page, the basket and the checkout review",
    )
    parser.add_argument(
        "--no-record", action="store_true", help="print the figures without recording them"
    )
    return parser.parse_args()


def main():
    args = parse_arguments()
    if args.seed is not None:
        seed(args.seed)
        return 0
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    commit = git_commit()
    log(f"Masthead page benchmark at {commit}, {os.cpu_count()} CPUs")
    for mode in args.modes:
        log(f"  {mode}: {MODE_DESCRIPTIONS[mode]}")
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")) or args.sqlite_only:
        database_url = None
    on_each_database(bench_database, args, commit, database_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
