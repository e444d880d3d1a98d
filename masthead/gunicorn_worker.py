"""gunicorn's threaded worker, sharing new connections evenly between the workers.

A kept-alive connection stays with the worker that accepted it, and gunicorn's own gthread
worker accepts every connection it can: when many connections open at once (a load
generator starting, nginx filling its pool of upstream connections), whichever worker wakes
first takes most of them. Every request on those connections then waits behind the others
of that worker while the other workers have few: bench/pages.py saw 27 connections of 32 on
one worker and 5 on the other, and the slowest requests took two to three times as long as
with the connections shared (its p99).

Here each worker publishes how many connections it holds on a small board in memory shared
by every worker of the server (created by the master, which imports this module to start its
workers), and accepts new connections only while it holds no more than any other live
worker: connections that open at once alternate between the workers, and a kept-alive
connection still stays with its worker. Should the least busy worker not take a waiting
connection within ``MAX_ACCEPT_DELAY`` (stuck in a long request on its main thread), the
others take it. A worker leaving connections to the others looks again every
``RECHECK_SECONDS``, so that it takes them as soon as it is the least busy again. A worker
that stops publishing (it died) is left out of the count after ``STALE_SECONDS``.
"""

import mmap
import select
import struct
import time

from gunicorn.workers.gthread import ThreadWorker

# The board: one slot per worker, (process id, connections held, when last written as
# time.monotonic(), which every process of the machine shares). A process id of 0 is a free
# slot; -1 one the master has given to a worker that has not started yet.
SLOTS = 64
_SLOT = struct.Struct("qqd")
_board = mmap.mmap(-1, SLOTS * _SLOT.size)
# A worker writes its slot at least once a second (gthread's loop wakes every second) from
# when it starts serving; a slot given to a worker still importing the application is kept
# for it far longer.
STALE_SECONDS = 3.0
BOOTING_SECONDS = 120.0
# How long a connection may wait for the least busy worker before a busier one takes it.
MAX_ACCEPT_DELAY = 0.25
# How often a worker that leaves new connections to the others looks again whether it should
# take them (its loop would otherwise sleep up to a second while idle).
RECHECK_SECONDS = 0.02
# How often a worker looks again for the other live workers' slots (at once while it knows
# of none: the others may have started after it).
RESCAN_SECONDS = 0.1


def read_slot(slot):
    return _SLOT.unpack_from(_board, slot * _SLOT.size)


def write_slot(slot, pid, connections):
    _SLOT.pack_into(_board, slot * _SLOT.size, pid, connections, time.monotonic())


def claim_slot():
    """A slot no live worker holds, marked as given (in the master, one worker at a time,
    before it forks the worker); None when the board is full (then the worker accepts as
    gthread's own does)."""
    now = time.monotonic()
    for slot in range(SLOTS):
        pid, _connections, written = read_slot(slot)
        free = pid == 0 and written == 0
        if free or now - written > (BOOTING_SECONDS if pid < 0 else STALE_SECONDS):
            write_slot(slot, -1, 0)
            return slot
    return None


class BalancedThreadWorker(ThreadWorker):
    """A gthread worker that accepts new connections only while it holds no more of them
    than any other live worker of the server (see above)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.slot = claim_slot()
        self.others = ()
        self.others_found_at = None
        self.waiting_since = None
        self.refusing = False

    def run(self):
        try:
            super().run()
        finally:
            if self.slot is not None:
                _SLOT.pack_into(_board, self.slot * _SLOT.size, 0, 0, 0.0)

    def publish(self):
        if self.slot is not None:
            write_slot(self.slot, self.pid, self.nr_conns)

    def other_workers(self):
        """The slots of the other live workers (see ``RESCAN_SECONDS``)."""
        now = time.monotonic()
        if not self.others or now - self.others_found_at > RESCAN_SECONDS:
            self.others_found_at = now
            found = []
            for slot in range(SLOTS):
                pid, _connections, written = read_slot(slot)
                if pid > 0 and slot != self.slot and now - written <= STALE_SECONDS:
                    found.append(slot)
            self.others = tuple(found)
        return self.others

    def least_busy(self):
        """Whether no other live worker holds fewer connections than this one."""
        if self.slot is None:
            return True
        now = time.monotonic()
        for slot in self.other_workers():
            pid, connections, written = read_slot(slot)
            if pid > 0 and now - written <= STALE_SECONDS and connections < self.nr_conns:
                return False
        return True

    def connection_waiting(self):
        """Whether a new connection waits to be accepted on any listener."""
        try:
            readable, _, _ = select.select(self.sockets, [], [], 0)
        except (OSError, ValueError):
            return False
        return bool(readable)

    def set_accept_enabled(self, enabled):
        # gthread's loop asks for accepting again on every turn while it is off.
        self.publish()
        if enabled and not self.least_busy():
            if not self.connection_waiting():
                self.waiting_since = None
                enabled = False
            else:
                now = time.monotonic()
                if self.waiting_since is None:
                    self.waiting_since = now
                enabled = now - self.waiting_since >= MAX_ACCEPT_DELAY
        if enabled:
            self.waiting_since = None
        self.refusing = not enabled
        super().set_accept_enabled(enabled)

    def accept(self, listener):
        super().accept(listener)
        self.publish()
        if self._accepting and not self.least_busy():
            # Off at once, so that the next connection of a burst goes to another worker.
            self.refusing = True
            super().set_accept_enabled(False)

    def wait_for_and_dispatch_events(self, timeout):
        if self.refusing:
            timeout = min(timeout, RECHECK_SECONDS)
        super().wait_for_and_dispatch_events(timeout)

    def finish_request(self, conn, fs):
        super().finish_request(conn, fs)
        self.publish()

    def murder_keepalived(self, force=False):
        super().murder_keepalived(force=force)
        self.publish()  # and so at least once a second: the worker is alive
