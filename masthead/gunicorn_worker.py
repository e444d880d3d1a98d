"""gunicorn's threaded worker, which leaves a new connection to a worker with a thread free.

gunicorn's own gthread worker accepts every connection it can while its threads are busy,
and a kept-alive connection then stays with the worker that accepted it. When many
connections open at once (a load generator starting, nginx filling its pool of upstream
connections), the worker that wakes first could take nearly all of them: bench/pages.py saw
one worker busy and the other idle in about half its runs of the never-cached pages, which
then served at half the machine's speed (about 120 requests/s instead of 250-300 for the
basket on two cores).

This worker stops listening while every one of its threads has a request, so that a worker
with a free thread takes the new connections. When every worker is busy it listens again
after a delay that grows with the connections it holds (``accept_delay``), so that the
worker holding fewer takes the next one, and a new connection waits at most
``MAX_ACCEPT_DELAY`` for a busy server. (Refusing until a thread was free kept new
connections waiting for seconds, while the ones already held kept every thread busy.)
"""

import time

from gunicorn.workers.gthread import ThreadWorker

# How long a busy worker leaves new connections to the others, for each of its threads'
# worth of connections it holds: far longer than an idle worker takes to wake up and
# accept. And the longest a busy worker waits, far shorter than a reader notices.
ACCEPT_DELAY_PER_THREADFUL = 0.02
MAX_ACCEPT_DELAY = 0.25


class BalancedThreadWorker(ThreadWorker):
    """A gthread worker that takes new connections at once only while it has a free thread,
    and after ``accept_delay()`` when it has none (see above)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Requests handed to the thread pool and not yet finished, and since when there
        # have been as many as threads. Both are kept on the worker's main thread alone:
        # the pool hands each finished request back to it.
        self.in_flight = 0
        self.busy_since = None

    def set_accept_enabled(self, enabled):
        if self.in_flight < self.cfg.threads:
            self.busy_since = None
        elif enabled:
            now = time.monotonic()
            if self.busy_since is None:
                self.busy_since = now
            enabled = now - self.busy_since >= self.accept_delay()
        super().set_accept_enabled(enabled)

    def accept_delay(self):
        """How long this busy worker leaves new connections to the other workers."""
        threadfuls = max(self.nr_conns, 1) / self.cfg.threads
        return min(ACCEPT_DELAY_PER_THREADFUL * threadfuls, MAX_ACCEPT_DELAY)

    def enqueue_req(self, conn):
        self.in_flight += 1
        if self.in_flight >= self.cfg.threads and self.busy_since is None:
            self.set_accept_enabled(False)
            self.busy_since = time.monotonic()
        super().enqueue_req(conn)

    def finish_request(self, conn, fs):
        self.in_flight -= 1
        super().finish_request(conn, fs)
        # gunicorn's run loop enables accepting again only after its next wait (up to a
        # second): here as soon as a thread is free, or the delay has passed.
        self.set_accept_enabled(self.nr_conns < self.worker_connections)
