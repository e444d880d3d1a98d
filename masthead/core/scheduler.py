"""Periodic jobs the task worker runs every SCHEDULER_INTERVAL_SECONDS, so a site needs no
cron. Each app registers its own jobs in ``AppConfig.ready()``; core knows none of them."""

import logging
import time

from django.db import connections

logger = logging.getLogger(__name__)

_jobs = {}
# For jobs registered with ``every``: when each last ran in this process (monotonic clock).
_last_run = {}


def register_periodic_job(name, function, every=None):
    """Run ``function()`` on every scheduler pass, or at most once every ``every`` seconds
    in each worker process. It must be idempotent and safe to run on several workers at
    once."""
    if every:
        original = function

        def function():
            now = time.monotonic()
            if name in _last_run and now - _last_run[name] < every:
                return
            _last_run[name] = now
            original()

    _jobs[name] = function


def periodic_jobs():
    return dict(_jobs)


def run_periodic_jobs():
    """One scheduler pass: every job once; a failing job is logged and the others still run."""
    for name, function in _jobs.items():
        try:
            function()
        except Exception:
            logger.exception("Periodic job %s failed; it runs again on the next pass", name)
        finally:
            connections.close_all()
