"""gunicorn's threaded worker, which takes a new connection only when it has a thread free.

gunicorn's own gthread worker accepts every connection it can while its threads are busy,
and a kept-alive connection then stays with the worker that accepted it. When many
connections open at once (a load generator starting, nginx filling its pool of upstream
connections), the worker that wakes first could take nearly all of them: bench/pages.py saw
one worker busy and the other idle in about half its runs of the never-cached pages, which
then served at half the machine's speed (about 120 requests/s instead of 250-300 for the
basket on two cores).

This worker stops listening while every one of its threads has a request, and listens
again as soon as one is free. New connections wait in the listening socket's queue
meanwhile, where the other workers, which have a free thread, take them. Requests on
connections a worker already holds are served as before.
"""

from gunicorn.workers.gthread import ThreadWorker


class BalancedThreadWorker(ThreadWorker):
    """A gthread worker that listens only while it has a free thread (see above)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Requests handed to the thread pool and not yet finished. Counted on the worker's
        # main thread alone: the pool hands each finished request back to it.
        self.in_flight = 0

    def has_free_thread(self):
        return self.in_flight < self.cfg.threads

    def set_accept_enabled(self, enabled):
        super().set_accept_enabled(enabled and self.has_free_thread())

    def enqueue_req(self, conn):
        self.in_flight += 1
        if not self.has_free_thread():
            self.set_accept_enabled(False)
        super().enqueue_req(conn)

    def finish_request(self, conn, fs):
        self.in_flight -= 1
        super().finish_request(conn, fs)
        # The run loop enables accepting again only after its next wait (up to a second).
        self.set_accept_enabled(self.nr_conns < self.worker_connections)
