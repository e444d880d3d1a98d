"""Hits wait in memory and reach the database in batches, so the hit endpoint never writes.

``record(hit)`` appends a dict of Hit's fields to this process's list (a lock and an append,
nothing more on the request's path). A background thread, started by the first hit in each
process (gunicorn forks its workers after loading the app, and a thread does not survive a
fork), hands the list over when it holds AUDIENCE_BATCH_SIZE hits or AUDIENCE_FLUSH_SECONDS
have passed, and once more when the process exits:

- by default it writes the batch to the database itself, in one COPY (PostgreSQL) or one
  prepared INSERT (SQLite);
- with ``AUDIENCE_REDIS_URL`` (Redis configured), it appends the batch to a Redis list with
  one RPUSH and the web processes never write hits at all: the task worker's periodic job
  ``drain_redis`` moves the batches to the database (and the roll-up drains first). If
  Redis cannot be reached the batch is written to the database directly.

Pages are resolved from paths when a batch is written, in one query per batch.

What a crash of the process loses: at most the hits of its last AUDIENCE_FLUSH_SECONDS. A
batch the database refuses (it is down) is kept and retried, up to ten batches; beyond that
the oldest are dropped and logged, so an outage cannot exhaust the memory.

With AUDIENCE_WRITE_HITS_AT_ONCE (the test suite's default) every hit is written at once, in
the request's thread and its database transaction, so tests see it without waiting.
"""

import atexit
import json
import logging
import os
import threading
import time
from datetime import datetime

import redis
from django.conf import settings
from django.db import connections, router, transaction
from redis.exceptions import RedisError
from wagtail.models import Page, Site

from masthead.audience.models import Hit

logger = logging.getLogger(__name__)

MAX_PENDING_BATCHES = 10
# The Redis list of batches (each a JSON array of hits) waiting for the task worker.
REDIS_KEY = "masthead:audience:hits"
DRAIN_BATCHES = 50
SITE_ROOTS_SECONDS = 60.0


class HitBuffer:
    """The hits this process received and has not written yet."""

    def __init__(self):
        self.pending = []
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.flusher_started = False
        self.failing_since = None
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._forked)

    def _forked(self):
        # The child has no flushing thread, and must not write its parent's hits again.
        self.pending = []
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.flusher_started = False

    def record(self, hit):
        """Keep one hit (a dict of Hit's fields) for the next batch."""
        if settings.AUDIENCE_WRITE_HITS_AT_ONCE:
            write([hit])
            return
        with self.lock:
            self.pending.append(hit)
            full = len(self.pending) >= settings.AUDIENCE_BATCH_SIZE
        if not self.flusher_started:
            self._start_flusher()
        if full:
            self.wake.set()

    def _start_flusher(self):
        with self.lock:
            if self.flusher_started:
                return
            self.flusher_started = True
        threading.Thread(target=self._run, name="masthead-audience", daemon=True).start()

    def _run(self):
        # Nothing lets an error end the loop: a dead flusher would silently drop every hit.
        # The thread keeps its database connection from one batch to the next (Django's
        # request cleanup, which would close an old one, never runs in this thread) and
        # drops it only after a failure, so the next attempt starts on a new one.
        while True:
            self.wake.wait(settings.AUDIENCE_FLUSH_SECONDS)
            self.wake.clear()
            try:
                self.flush()
            except Exception:
                logger.exception("Audience: could not write the hits; will retry")
                connections.close_all()

    def flush(self):
        """Write every hit waiting in this process, in batches; keep what the database
        refused for the next time."""
        with self.lock:
            pending, self.pending = self.pending, []
        size = max(1, settings.AUDIENCE_BATCH_SIZE)
        for start in range(0, len(pending), size):
            try:
                hand_over(pending[start : start + size])
            except Exception:
                self._keep(pending[start:])
                raise
        if self.failing_since is not None:
            self.failing_since = None
            logger.warning("Audience: hits are written again")

    def _keep(self, unwritten):
        limit = MAX_PENDING_BATCHES * max(1, settings.AUDIENCE_BATCH_SIZE)
        with self.lock:
            self.pending[:0] = unwritten
            dropped = len(self.pending) - limit
            if dropped > 0:
                del self.pending[:dropped]
                logger.warning("Audience: dropped %s hits the database would not take", dropped)
        if self.failing_since is None:
            self.failing_since = time.monotonic()


_site_roots = {"loaded_at": None, "roots": {}}


def _site_root_paths(site_ids):
    """Each Wagtail site's root url_path by site id, re-read every minute or when a site
    is not known yet."""
    now = time.monotonic()
    stale = _site_roots["loaded_at"] is None or now - _site_roots["loaded_at"] > SITE_ROOTS_SECONDS
    if stale or not site_ids <= _site_roots["roots"].keys():
        _site_roots["roots"] = dict(Site.objects.values_list("id", "root_page__url_path"))
        _site_roots["loaded_at"] = now
    return _site_roots["roots"]


def resolve_pages(hits):
    """Set each hit's ``page_id`` to the live page its path is on, if any (one query)."""
    roots = _site_root_paths({hit["site_id"] for hit in hits})
    wanted = {}
    for hit in hits:
        root = roots.get(hit["site_id"])
        if root:
            path = hit["path"] if hit["path"].endswith("/") else hit["path"] + "/"
            wanted[(hit["site_id"], hit["path"])] = root.rstrip("/") + path
    pages = Page.objects.filter(url_path__in=set(wanted.values()), live=True)
    found = dict(pages.values_list("url_path", "id")) if wanted else {}
    for hit in hits:
        hit["page_id"] = found.get(wanted.get((hit["site_id"], hit["path"])))


def hand_over(hits):
    """One batch leaves this process: onto the Redis list when AUDIENCE_REDIS_URL is set
    (one RPUSH; the task worker writes it to the database), else to the database at once.
    If Redis cannot be reached the batch goes to the database, so no hit waits on it."""
    client = _redis()
    if client is not None:
        try:
            client.rpush(REDIS_KEY, _encode(hits))
            return
        except RedisError:
            logger.warning("Audience: Redis unreachable, writing the hits to the database")
    write(hits)


def drain_redis(limit=DRAIN_BATCHES):
    """The periodic job with AUDIENCE_REDIS_URL: move the batches waiting in Redis to the
    database, ``limit`` batches per transaction, oldest first. Taking them (LRANGE and
    LTRIM in one MULTI) is atomic, so two workers never write one batch twice; a batch the
    database refuses is put back at the head of the list. Returns the hits written."""
    client = _redis()
    if client is None:
        return 0
    written = 0
    while True:
        pipe = client.pipeline(transaction=True)
        pipe.lrange(REDIS_KEY, 0, limit - 1)
        pipe.ltrim(REDIS_KEY, limit, -1)
        batches, _trimmed = pipe.execute()
        if not batches:
            return written
        hits = [hit for batch in batches for hit in _decode(batch)]
        try:
            write(hits)
        except Exception:
            client.lpush(REDIS_KEY, *reversed(batches))
            raise
        written += len(hits)
        if len(batches) < limit:
            return written


_clients = {}


def _redis():
    url = settings.AUDIENCE_REDIS_URL
    if not url:
        return None
    client = _clients.get(url)
    if client is None:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=1.0)
        _clients[url] = client
    return client


def _encode(hits):
    return json.dumps([{**hit, "at": hit["at"].isoformat()} for hit in hits])


def _decode(batch):
    return [{**hit, "at": datetime.fromisoformat(hit["at"])} for hit in json.loads(batch)]


def write(hits):
    """Write ``hits`` with their pages resolved: one COPY on PostgreSQL, one prepared INSERT
    run for every row on SQLite.

    Plain tuples rather than ``bulk_create``: building a model instance per hit cost more
    than everything the hit endpoint does for the request."""
    if not hits:
        return
    resolve_pages(hits)
    connection = connections[router.db_for_write(Hit)]
    fields = [field for field in Hit._meta.concrete_fields if not field.primary_key]
    defaults = {field.attname: field.get_default() for field in fields}
    adapt = connection.ops.adapt_datetimefield_value
    names = [field.attname for field in fields]
    rows = [
        tuple(adapt(hit["at"]) if name == "at" else hit.get(name, defaults[name]) for name in names)
        for hit in hits
    ]
    quote = connection.ops.quote_name
    table = quote(Hit._meta.db_table)
    columns = ", ".join(quote(field.column) for field in fields)
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: a fraction of the INSERTs' cost, for this process and for the server,
            # which shares the machine's cores with the processes answering the hits.
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(fields))
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({placeholders})",  # noqa: S608 - quoted names; values are parameters
                rows,
            )


hits = HitBuffer()
# Whatever a worker received in its last seconds is written when it exits.
atexit.register(hits.flush)


def record(hit):
    """Keep one hit for writing (see the module's docstring)."""
    hits.record(hit)
