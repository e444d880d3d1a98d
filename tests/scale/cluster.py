"""The pieces of the scale-out test: a committed PostgreSQL database of its own, web and
worker processes started as an operator would (``masthead serve``, ``masthead worker``), an
SMTP server that counts deliveries per recipient and per listening port, and a minimal
browser (one cookie jar per reader, no redirects followed).

The database is cloned from a migrated template, ``masthead_scale_template_<digest>`` on the
same server, which the first run makes with ``masthead migrate`` (about half a minute of
Django's migration planning on a 2-core machine) and later runs reuse while the migrations
and the installed Django and Wagtail stay the same; a template for older migrations is
dropped when a new one is made.
"""

import hashlib
import html as html_entities
import http.client
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

from aiosmtpd.controller import Controller

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
HOST_NAME = "news.example.org"
SITE_URL = f"http://{HOST_NAME}"
REDIS_URL = "redis://127.0.0.1:6379/7"
TEMPLATE_PREFIX = "masthead_scale_template_"
# Any number: the advisory lock that lets one run at a time make the template.
TEMPLATE_LOCK = 7_311_011


def is_postgres(url):
    return url.startswith(("postgres://", "postgresql://"))


def redis_missing_reason():
    """Why Redis cannot be used here, or "" when it answers."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        return f"Redis is not reachable at {REDIS_URL} ({error})"
    return ""


def migrations_digest():
    """What the migrated schema depends on: our migrations and Django's and Wagtail's."""
    import django
    import wagtail

    digest = hashlib.sha256(f"{django.__version__} {wagtail.__version__}".encode())
    for path in sorted(ROOT.glob("masthead/*/migrations/*.py")):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


class ScaleDatabase:
    """A database of the test's own on the DATABASE_URL server, cloned from a migrated
    template; ``drop`` removes the clone (never the template)."""

    def __init__(self, server_url):
        parts = urlsplit(server_url)
        self.admin_url = urlunsplit(parts._replace(path="/postgres"))
        self.name = f"masthead_scale_{uuid.uuid4().hex[:10]}"
        self.url = urlunsplit(parts._replace(path=f"/{self.name}"))
        self.template = TEMPLATE_PREFIX + migrations_digest()

    def _connect(self):
        import psycopg

        return psycopg.connect(self.admin_url, autocommit=True)

    def create(self, migrate_env):
        """Clone the template (making it first when missing) into this run's database."""
        with self._connect() as connection:
            connection.execute("SELECT pg_advisory_lock(%s)", [TEMPLATE_LOCK])
            try:
                exists = connection.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", [self.template]
                ).fetchone()
                if not exists:
                    self._make_template(connection, migrate_env)
                connection.execute(f'CREATE DATABASE "{self.name}" TEMPLATE "{self.template}"')
            finally:
                connection.execute("SELECT pg_advisory_unlock(%s)", [TEMPLATE_LOCK])

    def _make_template(self, connection, migrate_env):
        building = f"{self.template}_building"
        connection.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{building}"')
        url = urlunsplit(urlsplit(self.url)._replace(path=f"/{building}"))
        subprocess.run(
            [sys.executable, "-m", "masthead.cli", "migrate", "--no-input", "-v", "0"],
            env={**migrate_env, "DATABASE_URL": url},
            cwd=ROOT,
            check=True,
        )
        stale = connection.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s AND datname <> %s",
            [TEMPLATE_PREFIX + "%", building],
        ).fetchall()
        for (name,) in stale:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'ALTER DATABASE "{building}" RENAME TO "{self.template}"')

    def drop(self):
        with self._connect() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def query(self, sql, params=()):
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as connection:
            return connection.execute(sql, params).fetchall()


def production_env(data_dir, database_url, **extra):
    """The environment every process of the cluster runs with: production mode, PostgreSQL,
    Redis for the cache and sessions, the database task backend; none of the test suite's
    own defaults (MASTHEAD_TESTING) leak in."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MASTHEAD_", "DJANGO_", "NEWSLETTER_", "SHOP_", "GUNICORN_"))
        and key not in {"DATABASE_URL", "CACHE_URL", "EMAIL_URL", "TASK_BACKEND", "WEB_CONCURRENCY"}
    }
    return {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "masthead.settings",
        "PYTHONPATH": str(ROOT),
        "MASTHEAD_MODE": "production",
        "MASTHEAD_DATA_DIR": str(data_dir),
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": HOST_NAME,
        "SITE_URL": SITE_URL,
        # nginx on loopback speaks plain HTTP (tests.nginx_harness).
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": database_url,
        "CACHE_URL": REDIS_URL,
        "TASK_BACKEND": "database",
        "PAYMENTS_PROVIDER": "demo",
        "MASTHEAD_ALLOW_DEMO_PAYMENTS": "1",
        "TRUSTED_PROXY_COUNT": "1",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def masthead(*args):
    return [sys.executable, "-m", "masthead.cli", *args]


@dataclass
class Process:
    """One started process, its log file and what it is called in failure messages."""

    name: str
    popen: subprocess.Popen
    log: Path
    # gunicorn's quick shutdown (SIGINT) is enough at the end of a test; the task worker
    # stops cleanly on SIGTERM.
    stop_signal: int = signal.SIGTERM

    def log_tail(self, characters=3000):
        return self.log.read_text(errors="replace")[-characters:] if self.log.exists() else ""

    def wait_or_kill(self, timeout):
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()

    def kill(self):
        """SIGKILL: the process gets no chance to finish or record anything."""
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait()


def stop_all(processes, timeout=10):
    """Each its stop signal, all at once, then wait (gunicorn's master lingers a few
    seconds after its workers have gone); SIGKILL for any still running after ``timeout``."""
    for process in processes:
        if process.popen.poll() is None:
            process.popen.send_signal(process.stop_signal)
    deadline = time.monotonic() + timeout
    for process in processes:
        process.wait_or_kill(max(deadline - time.monotonic(), 0.1))


def start(name, command, env, directory, stop_signal=signal.SIGTERM):
    log = directory / f"{name}.log"
    handle = log.open("wb")
    popen = subprocess.Popen(command, env=env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT)
    handle.close()
    return Process(name, popen, log, stop_signal)


def wait_until(condition, timeout, what, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"Timed out after {timeout} s waiting for {what}")


def wait_for_health(process, port, timeout=60):
    """Until gunicorn on ``port`` answers its health check (it probes the database)."""

    def healthy():
        if process.popen.poll() is not None:
            raise AssertionError(f"{process.name} exited:\n{process.log_tail()}")
        try:
            status, _headers, _body = Browser(f"http://127.0.0.1:{port}").get("/health/")
        except OSError:
            return False
        return status == 200

    wait_until(healthy, timeout, f"{process.name} to answer /health/", interval=0.2)


# --- SMTP ---------------------------------------------------------------------------------


class CountingHandler:
    """Counts what each recipient receives and on which port; offers PIPELINING as Postfix
    does, so the workers stream their messages as they would in production."""

    def __init__(self):
        self.lock = threading.Lock()
        self.received = Counter()
        self.by_port = Counter()
        # recipient -> the ports its copies arrived on, in order.
        self.ports = {}

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        return [responses[0], "250-PIPELINING", *responses[1:]]

    async def handle_DATA(self, server, session, envelope):
        port = server.transport.get_extra_info("sockname")[1]
        with self.lock:
            for address in envelope.rcpt_tos:
                self.received[address] += 1
                self.by_port[port] += 1
                self.ports.setdefault(address, []).append(port)
        return "250 OK"

    def snapshot(self):
        with self.lock:
            return Counter(self.received), Counter(self.by_port)

    def count(self, predicate=lambda address: True):
        with self.lock:
            return sum(count for address, count in self.received.items() if predicate(address))


@dataclass
class SMTPServers:
    """One counting handler behind several ports (one per worker, to see who sent what)."""

    handler: CountingHandler = field(default_factory=CountingHandler)
    controllers: list = field(default_factory=list)

    def listen(self):
        controller = Controller(self.handler, hostname="127.0.0.1", port=free_port())
        controller.start()
        self.controllers.append(controller)
        return controller.port

    def stop(self):
        for controller in self.controllers:
            controller.stop()


# --- A reader's browser -------------------------------------------------------------------


class Browser:
    """One reader: a cookie jar and keep-alive connection to one address, redirects not
    followed. Cookies marked Secure are sent too: nginx on loopback stands in for the TLS
    a reader's browser would use."""

    def __init__(self, base_url, host=HOST_NAME, timeout=60):
        parts = urlsplit(base_url)
        self.address = (parts.hostname, parts.port)
        self.host = host
        self.origin = f"http://{host}"
        self.timeout = timeout
        self.cookies = {}
        self.connection = None

    def request(self, method, path, fields=None, headers=None):
        body = urlencode(fields).encode() if fields is not None else None
        sent = {"Host": self.host, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent.setdefault("Origin", self.origin)
            sent.setdefault("Referer", self.origin + path)
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(*self.address, timeout=self.timeout)
            try:
                self.connection.request(method, path, body=body, headers=sent)
                response = self.connection.getresponse()
                text = response.read().decode(errors="replace")
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A keep-alive connection the server closed meanwhile: once more, afresh.
                self.connection.close()
                self.connection = None
                if attempt:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response.status, response.headers, text

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def post(self, path, fields, headers=None):
        return self.request("POST", path, fields=fields, headers=headers)

    def close(self):
        if self.connection is not None:
            self.connection.close()


def form_fields(html, action):
    """The hidden and pre-filled inputs of the form posting to ``action``."""
    start = html.index(f'action="{action}"')
    form = html[start : html.index("</form>", start)]
    fields = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        kind = re.search(r'type="([^"]+)"', tag)
        if name and (kind is None or kind.group(1) not in {"checkbox", "radio", "submit"}):
            fields[name.group(1)] = html_entities.unescape(value.group(1)) if value else ""
    return fields


def csrf_token(html):
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if match is None:
        raise AssertionError(f"no CSRF token in the page:\n{html[:1500]}")
    return match.group(1)
