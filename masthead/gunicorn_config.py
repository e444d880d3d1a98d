"""gunicorn's settings for Masthead, each overridable from the environment.

The defaults are what bench/pages.py measured best on a small machine: a few worker
processes with threads (gthread), which keep connections alive, so a cached page costs no
new TCP connection; sync workers close the connection after every response.

Started directly (``gunicorn -c python:masthead.gunicorn_config``), not through
``masthead serve``, it still refuses the public demo SECRET_KEY on a bind beyond loopback
(``on_starting``).
"""

import gc
import multiprocessing
import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from gunicorn.glogging import Logger

from masthead.core.error_reports import mask_url_passwords
from masthead.shop.log_filters import hide_secret


class MaskedAccessLogger(Logger):
    """gunicorn's logger, with the Printful webhook's secret (the last part of its address)
    and any URL password masked in the access log's request line and path."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "f"):
            if isinstance(atoms.get(key), str):
                atoms[key] = mask_url_passwords(hide_secret(atoms[key]))
        return atoms


logger_class = MaskedAccessLogger

workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# gunicorn's gthread worker, taking new connections only while it holds no more than any
# other worker (masthead.gunicorn_worker): gthread's own let one worker take most of them.
worker_class = "masthead.gunicorn_worker.BalancedThreadWorker" if threads > 1 else "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
keepalive = 5
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
# Off, so that a graceful reload (HUP, `masthead upgrade`) loads the new code: each new
# worker imports the application itself. With it on, the master holds the old code and new
# workers forked from it serve that, mixed with whatever they import later from the new
# files. A HUP starts the new workers before it stops the old ones, which finish the
# requests they hold; requests that arrive while the new ones import wait in the listening
# socket's queue, never refused. `masthead upgrade` does better: old workers stop only once
# the new ones have imported the application (tests/deploy/test_upgrade.py).
preload_app = False
# Linux's name for a worker process once it has loaded the application: `masthead upgrade`
# (masthead/core/management/commands/upgrade.py, WORKER_READY_NAME) waits for it before it
# retires the old workers, and `ps -C masthead-web` lists the workers serving requests.
WORKER_READY_NAME = "masthead-web"


def on_starting(server):
    """Refuse to start, before listening anywhere, when the public demo SECRET_KEY would face
    other machines: `masthead serve` checks its own command line, but gunicorn run directly
    with this configuration and a ``--bind`` beyond loopback comes only here. gunicorn prints
    the RuntimeError's one line and exits with status 1."""
    try:
        # Imported only here: the master process needs Masthead's settings for this alone.
        from masthead.settings import demo_key_refusal

        refusal = demo_key_refusal(server.cfg.bind)
    except ImproperlyConfigured as error:  # the settings refuse the environment themselves
        refusal = str(error)
    if refusal:
        if server.pidfile is not None:
            server.pidfile.unlink()
        raise RuntimeError(refusal)


def post_worker_init(worker):
    """Name the worker ``masthead-web`` now that it has imported the application, and leave
    what it imported to the garbage collector no more (see ``post_request``)."""
    try:
        Path("/proc/self/comm").write_text(WORKER_READY_NAME)
    except OSError:
        # Not Linux: `masthead upgrade` cannot replace workers there; a HUP still works.
        worker.log.debug("Could not name the worker process %s", WORKER_READY_NAME)
    gc.freeze()


# After how many requests a worker settles what its first requests loaded (templates, URL
# patterns, translations, kept values) as it settled what it imported.
SETTLE_AFTER_REQUESTS = (100, 1000)


def post_request(worker, req, environ, resp):
    """Count the worker's requests, and settle its long-lived objects after the first ones.

    Python's collector of reference cycles looks through every object a process holds in
    its full collections: a worker holds some 250,000 (Django, Wagtail, the templates), and
    one full collection paused it for 130 ms (240 ms on a busy machine) every thousand cold
    renders or so, which every request it held then waited out (bench/pages.py's p99).
    ``gc.freeze()`` leaves the objects there are now out of every later collection: they
    live as long as the worker anyway. Objects made later are collected as before."""
    served = getattr(worker, "masthead_requests", 0) + 1
    worker.masthead_requests = served  # a count shared by the worker's threads: roughly
    if served in SETTLE_AFTER_REQUESTS:
        gc.freeze()


# Restarting a worker caps slow leaks, but also empties its in-process page cache: not
# every couple of thousand requests, which a busy worker serves in a second.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "100000"))
max_requests_jitter = max_requests // 10
# The workers' heartbeat files on a RAM disk, never on a disk that may stall (gunicorn
# creates them itself, unlinked, so a shared directory is safe).
SHARED_MEMORY = "/dev/shm"  # noqa: S108
if Path(SHARED_MEMORY).is_dir():
    worker_tmp_dir = SHARED_MEMORY
# gunicorn's control socket (a file in the home directory) is not used here, and two servers
# on one machine, or a sandboxed systemd unit, would trip over it.
control_socket_disable = True
