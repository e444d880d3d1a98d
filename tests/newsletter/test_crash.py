"""A worker killed mid-campaign loses nobody and re-sends at most what was in flight.

Real worker processes (``manage.py run_worker``) against a database the test migrates
itself, sending to a real SMTP server in this process that counts messages per recipient.
On PostgreSQL (DATABASE_URL=postgres://...) the test uses a database of its own, so the
SKIP LOCKED claim path is the one exercised; otherwise an SQLite file.
"""

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from aiosmtpd.controller import Controller

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
SUBSCRIBERS = 2000
# Halfway through a batch of 100: between batches nothing is in flight to test.
KILL_AFTER = 450
# The workers log every task they run; only a failure's own output matters here.
QUIET = {"stdout": subprocess.DEVNULL}
SETUP = f"""
from django.utils import timezone
from masthead.newsletter import campaigns
from masthead.newsletter.models import Campaign, Newsletter, Subscriber, Subscription
daily = Newsletter.objects.create(name="Daily briefing", slug="daily")
now = timezone.now()
Subscriber.objects.bulk_create(
    Subscriber(email=f"reader{{n}}@example.org", name=f"Reader {{n}}", status="confirmed",
               confirmed_at=now)
    for n in range({SUBSCRIBERS})
)
Subscription.objects.bulk_create(
    Subscription(subscriber=s, newsletter=daily) for s in Subscriber.objects.all()
)
campaign = Campaign.objects.create(subject="Crash test", intro="<p>Hello from the desk.</p>")
campaign.newsletters.set([daily])
campaigns.send_now(campaign)
"""


class CountingHandler:
    """Counts the messages each recipient receives; a little slow, like a real server. It
    offers PIPELINING, as Postfix does, so the workers stream their messages."""

    def __init__(self):
        self.received = Counter()
        self.lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        return [responses[0], "250-PIPELINING", *responses[1:]]

    @property
    def total(self):
        with self.lock:
            return sum(self.received.values())

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.004)
        with self.lock:
            for address in envelope.rcpt_tos:
                self.received[address] += 1
        return "250 OK"


class Database:
    """The test's own database: an SQLite file, or a PostgreSQL database it creates and drops."""

    def __init__(self, tmp_path):
        base = os.environ.get("DATABASE_URL", "")
        self.postgres = base.startswith(("postgres://", "postgresql://"))
        if self.postgres:
            parts = urlsplit(base)
            self.name = f"test_crash_{uuid.uuid4().hex[:10]}"
            self.admin_url = base
            self.url = urlunsplit(parts._replace(path=f"/{self.name}"))
        else:
            self.path = tmp_path / "crash.sqlite3"
            self.url = f"sqlite:///{self.path}"

    def create(self):
        if self.postgres:
            import psycopg

            with psycopg.connect(self.admin_url, autocommit=True) as connection:
                connection.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self):
        if self.postgres:
            import psycopg

            with psycopg.connect(self.admin_url, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def query(self, sql):
        if self.postgres:
            import psycopg

            with psycopg.connect(self.url, autocommit=True) as connection:
                return connection.execute(sql).fetchall()
        with sqlite3.connect(self.path, timeout=20) as connection:
            return connection.execute(sql).fetchall()


@contextmanager
def counting_server():
    handler = CountingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


def wait_until(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"Timed out waiting for {what}")


def test_killed_worker_loses_nobody_and_resends_at_most_what_was_in_flight(tmp_path):
    database = Database(tmp_path)
    database.create()
    with counting_server() as (controller, handler):
        env = {
            **os.environ,
            "MASTHEAD_DATA_DIR": str(tmp_path),
            "DATABASE_URL": database.url,
            "TASK_BACKEND": "database",
            "EMAIL_URL": f"smtp://127.0.0.1:{controller.port}",
            "NEWSLETTER_EMAIL_URL": f"smtp://127.0.0.1:{controller.port}",
            "NEWSLETTER_BATCH_SIZE": "100",
            "NEWSLETTER_PARALLELISM": "2",
            "NEWSLETTER_LEASE_SECONDS": "3",
            "LOG_LEVEL": "ERROR",
        }
        manage = [sys.executable, str(ROOT / "manage.py")]
        worker_command = [*manage, "run_worker", "--interval", "0.05", "--no-startup-delay"]
        try:
            subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
            subprocess.run([*manage, "shell", "-c", SETUP], env=env, check=True, cwd=ROOT)

            first = subprocess.Popen(worker_command, env=env, cwd=ROOT, **QUIET)
            try:
                wait_until(lambda: handler.total >= KILL_AFTER, 60, "the first messages")
            finally:
                first.send_signal(signal.SIGKILL)
                first.wait()
            in_flight = database.query(
                "SELECT COUNT(*) FROM newsletter_delivery WHERE status = 'sending'"
            )[0][0]
            sent_at_kill = handler.total
            assert sent_at_kill < SUBSCRIBERS, "the kill landed after the campaign finished"

            second = subprocess.Popen(worker_command, env=env, cwd=ROOT, **QUIET)
            try:
                wait_until(
                    lambda: (
                        database.query("SELECT status FROM newsletter_campaign")[0][0] == "sent"
                    ),
                    90,
                    "the campaign to finish",
                )
            finally:
                second.terminate()
                second.wait(10)

            statuses = database.query(
                "SELECT status, COUNT(*), COUNT(DISTINCT subscriber_id) "
                "FROM newsletter_delivery GROUP BY status"
            )
        finally:
            database.drop()

    assert statuses == [("sent", SUBSCRIBERS, SUBSCRIBERS)]
    expected = {f"reader{n}@example.org" for n in range(SUBSCRIBERS)}
    assert set(handler.received) == expected
    copies = Counter(handler.received.values())
    assert set(copies) <= {1, 2}
    assert copies[2] <= in_flight
    print(f"killed after {sent_at_kill} messages; {in_flight} in flight; {copies[2]} twice")
