"""Newsletter benchmark: how fast the sending engine delivers one campaign, end to end.

Builds a throwaway outlet under bench/work/newsletter with N confirmed subscribers
(100,000 by default), then sends one campaign with production settings through real
worker processes (``manage.py run_worker``, NEWSLETTER_PARALLELISM equal to their number)
to Postfix's ``smtp-sink`` on loopback, which appends every transaction to one dump file.
It prints messages/s, total time (from send_now's commit to the campaign marked sent, by
the database's clock, gathering the recipients included), the workers' peak memory, and
missing and duplicate recipients counted from the sink's dump. In the same run it measures
the ceiling: the same number of pre-rendered messages (one reader's real message, as the
engine builds it) pushed by a bare smtplib loop over one connection to the same sink.
One dated line goes to bench/RESULTS.md, with the load average before and after (other
jobs on the machine share its cores with the workers and the sink).

The database is SQLite, or, when DATABASE_URL names a PostgreSQL server, a throwaway
database on that server which the script creates and drops.

Needs /usr/sbin/smtp-sink (Debian package ``postfix``).

    .venv/bin/python bench/newsletter.py                       # 100,000 subscribers
    .venv/bin/python bench/newsletter.py --subscribers 5000 --workers 2
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/newsletter.py
"""

import argparse
import os
import re
import secrets
import shutil
import smtplib
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work" / "newsletter"
RESULTS = ROOT / "bench" / "RESULTS.md"
SMTP_SINK = "/usr/sbin/smtp-sink"
PYTHON = sys.executable
RECIPIENT = re.compile(rb"^X-Rcpt-Args: <([^>]*)>", re.MULTILINE)

SETUP = """
from django.utils import timezone
from masthead.newsletter.models import Campaign, Newsletter, Subscriber, Subscription
daily = Newsletter.objects.create(name="Daily briefing", slug="daily")
now = timezone.now()
for start in range(0, {count}, 10000):
    Subscriber.objects.bulk_create(
        Subscriber(email=f"reader{{n}}@example.org", name=f"Reader {{n}}",
                   status="confirmed", confirmed_at=now)
        for n in range(start, min(start + 10000, {count}))
    )
Subscription.objects.bulk_create(
    (Subscription(subscriber_id=pk, newsletter=daily)
     for pk in Subscriber.objects.values_list("pk", flat=True)), batch_size=10000
)
campaign = Campaign.objects.create(
    subject="Benchmark: the week in the borough",
    intro="<p>Three stories from the council chamber, the high street and the river.</p>",
    body="<p>The footbridge reopens on Monday.</p><p>The market adds a Sunday stall.</p>"
    "<p>The library keeps its longer hours.</p>",
)
campaign.newsletters.set([daily])
print(campaign.pk)
"""
SEND_NOW = """
from masthead.newsletter import campaigns
from masthead.newsletter.models import Campaign
campaigns.send_now(Campaign.objects.get(pk={pk}))
"""


ONE_MESSAGE = """
from pathlib import Path
from masthead.newsletter import sending
from masthead.newsletter.models import Campaign, Subscriber
campaign = Campaign.objects.get(pk={pk})
messages = sending.CampaignMessages(campaign)
reader = Subscriber.objects.order_by("pk").first()
newsletter = next(iter(messages.newsletters.values()))
Path("{path}").write_bytes(messages.raw(reader, newsletter, "<ceiling@example.org>")[2])
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def git_commit():
    def git(*args):
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + ("+dirty" if git("status", "--porcelain") else "")


def start_sink(directory):
    """smtp-sink on a free loopback port, appending every transaction to one file."""
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o777)
    port = free_port()
    dump = directory / "dump"
    process = subprocess.Popen(
        [SMTP_SINK, "-u", "nobody", "-D", str(dump), f"127.0.0.1:{port}", "1000"],
        stderr=subprocess.DEVNULL,
    )
    for _attempt in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    return process, port, dump


class Database:
    """The benchmark's database: an SQLite file, or a PostgreSQL database made for the run."""

    def __init__(self, server_url):
        self.postgres = server_url.startswith(("postgres://", "postgresql://"))
        if self.postgres:
            parts = urlsplit(server_url)
            self.name = f"masthead_bench_newsletter_{os.getpid()}"
            self.admin_url = urlunsplit(parts._replace(path="/postgres"))
            self.url = urlunsplit(parts._replace(path=f"/{self.name}"))
            self.label = "postgresql"
        else:
            self.path = WORK / "masthead.sqlite3"
            self.url = f"sqlite:///{self.path}"
            self.label = "sqlite"

    def create(self):
        if self.postgres:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}"', f'CREATE DATABASE "{self.name}"')

    def drop(self):
        if self.postgres:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def _admin(self, *statements):
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            for statement in statements:
                connection.execute(statement)

    def campaign_state(self, pk):
        """The campaign's status, and the seconds from "send now" to sent (once it is sent)."""
        if self.postgres:
            import psycopg

            sql = (
                "SELECT status, EXTRACT(EPOCH FROM finished_at - scheduled_at) "
                "FROM newsletter_campaign WHERE id = %s"
            )
            with psycopg.connect(self.url, autocommit=True) as connection:
                return connection.execute(sql, [pk]).fetchone()
        sql = (
            "SELECT status, (julianday(finished_at) - julianday(scheduled_at)) * 86400 "
            "FROM newsletter_campaign WHERE id = ?"
        )
        with sqlite3.connect(self.path, timeout=30) as connection:
            return connection.execute(sql, [pk]).fetchone()


def count_recipients(dump):
    return Counter(match.decode() for match in RECIPIENT.findall(dump.read_bytes()))


def peak_memory_kib(pid):
    """The process's high-water resident memory (VmHWM), read before it exits."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def ceiling(port, count, payload):
    """Pre-rendered messages pushed by a bare smtplib loop over one connection."""
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as connection:
        for number in range(count):
            connection.sendmail("newsroom@example.org", [f"ceiling{number}@example.org"], payload)
    return count / (time.perf_counter() - started)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()
    if not Path(SMTP_SINK).exists():
        sys.exit("Needs smtp-sink: apt-get install postfix")

    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    database = Database(os.environ.get("DATABASE_URL", ""))
    database.create()
    load_before = os.getloadavg()[0]
    sink, port, dump = start_sink(WORK / "sink")
    env = {
        **os.environ,
        "MASTHEAD_MODE": "production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "localhost",
        "SITE_URL": "https://news.example.org",
        "MASTHEAD_DATA_DIR": str(WORK),
        "DATABASE_URL": database.url,
        "TASK_BACKEND": "database",
        "NEWSLETTER_EMAIL_URL": f"smtp://127.0.0.1:{port}",
        "NEWSLETTER_PARALLELISM": str(args.workers),
        "NEWSLETTER_BATCH_SIZE": str(args.batch_size),
        "LOG_LEVEL": "ERROR",
    }
    manage = [PYTHON, str(ROOT / "manage.py")]
    workers = []
    try:
        print("migrating and creating subscribers ...", flush=True)
        subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
        setup = SETUP.format(count=args.subscribers)
        output = subprocess.run(
            [*manage, "shell", "-c", setup],
            env=env,
            check=True,
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout
        campaign_pk = int(output.strip().splitlines()[-1])
        workers = [
            subprocess.Popen(
                [*manage, "run_worker", "--interval", "0.05", "--no-startup-delay"],
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _worker in range(args.workers)
        ]
        time.sleep(2)
        print("sending ...", flush=True)
        subprocess.run(
            [*manage, "shell", "-c", SEND_NOW.format(pk=campaign_pk)],
            env=env,
            check=True,
            cwd=ROOT,
        )
        while (state := database.campaign_state(campaign_pk))[0] != "sent":
            time.sleep(0.1)
        # From send_now's commit to the campaign marked sent, by the database's own clock
        # (the shell's start-up is no part of sending).
        elapsed = float(state[1])
        peak_kib = max(peak_memory_kib(worker.pid) for worker in workers)
        subprocess.run(
            [*manage, "shell", "-c", ONE_MESSAGE.format(pk=campaign_pk, path=WORK / "one.eml")],
            env=env,
            check=True,
            cwd=ROOT,
            capture_output=True,
        )
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(30)
        database.drop()

    time.sleep(1)
    received = count_recipients(dump)
    expected = {f"reader{n}@example.org" for n in range(args.subscribers)}
    missing = len(expected - set(received))
    duplicates = sum(count - 1 for address, count in received.items() if count > 1)
    rate = args.subscribers / elapsed
    # The ceiling pushes one reader's real message, so both sides move the same bytes.
    bare = ceiling(port, args.subscribers, (WORK / "one.eml").read_bytes())
    sink.terminate()
    sink.wait()

    share = rate / bare
    print(f"subscribers        {args.subscribers}")
    print(f"workers            {args.workers} (batch {args.batch_size})")
    print(f"total time         {elapsed:.1f} s")
    print(f"messages/s         {rate:.0f}")
    print(f"bare smtplib       {bare:.0f} messages/s")
    print(f"share of ceiling   {share:.0%}")
    print(f"peak worker memory {peak_kib / 1024:.0f} MiB")
    print(f"missing            {missing}")
    print(f"duplicates         {duplicates}")
    load_after = os.getloadavg()[0]
    print(f"load average       {load_before:.2f} before, {load_after:.2f} after")
    if not args.no_record:
        if not RESULTS.exists():
            RESULTS.write_text("# Benchmark results\n\n")
        with RESULTS.open("a") as results:
            results.write(
                f"- {datetime.now():%Y-%m-%d %H:%M} | {git_commit()} | {database.label} | "
                "newsletter | "
                f"{args.subscribers} subscribers, {args.workers} workers, batch "
                f"{args.batch_size} | {rate:.0f} msg/s end to end in {elapsed:.1f} s | "
                f"bare smtplib {bare:.0f} msg/s ({share:.0%}) | peak worker "
                f"{peak_kib / 1024:.0f} MiB | missing {missing} | duplicates {duplicates} | "
                f"load {load_before:.2f} before, {load_after:.2f} after\n"
            )


if __name__ == "__main__":
    main()
