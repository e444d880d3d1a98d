"""The task worker stops cleanly whenever its signal comes: SIGTERM while it polls (inside the
transaction that finds and claims a task) ends the poll, runs a task it claimed and returns,
where django-tasks-db's own handler raised ``SystemExit`` in the middle of the transaction;
SIGTERM while it waits between polls still stops it at once.

Real signals, sent to this process by ``os.kill`` with the worker's handlers installed (and
this process's own handlers put back afterwards), in a real transaction: the test is not
wrapped in one, so the poll's transaction is the only one there is.
"""

import logging
import os
import signal

import pytest
from django.db import connection
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult, DBTaskResultQuerySet

from masthead.core.management.commands.run_worker import DatabaseTolerantWorker
from masthead.donations.tasks import send_manage_link_task

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)


@pytest.fixture
def worker():
    saved = {signum: signal.getsignal(signum) for signum in SIGNALS}
    worker = DatabaseTolerantWorker(
        queue_names=["default"],
        interval=0,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    worker.configure_signals()
    yield worker
    for signum, handler in saved.items():
        signal.signal(signum, handler)


@pytest.fixture
def signal_during_the_poll(monkeypatch):
    """SIGTERM arrives as the poll has looked for a task, inside its transaction."""
    looked = DBTaskResultQuerySet.get_locked
    seen = []

    def get_locked(queryset):
        found = looked(queryset)
        seen.append(connection.in_atomic_block)
        os.kill(os.getpid(), signal.SIGTERM)
        return found

    monkeypatch.setattr(DBTaskResultQuerySet, "get_locked", get_locked)
    return seen


def enqueue():
    backend = DatabaseBackend("default", {})
    return backend.enqueue(send_manage_link_task, ["reader@example.org"], {}).id


def test_a_signal_during_the_poll_ends_the_loop_without_exiting_mid_transaction(
    worker, signal_during_the_poll, caplog
):
    with caplog.at_level(logging.WARNING):
        worker.run()  # returns: no SystemExit from inside the transaction

    assert signal_during_the_poll == [True]  # the signal did arrive inside the transaction
    assert worker.running is False
    assert not connection.in_atomic_block and connection.get_autocommit()
    assert "shutting down once the current poll ends" in caplog.text


def test_a_task_claimed_by_that_poll_runs_before_the_worker_stops(
    worker, signal_during_the_poll, mailoutbox
):
    task_id = enqueue()

    worker.run()

    assert signal_during_the_poll == [True]
    assert DBTaskResult.objects.get(id=task_id).status == "SUCCESSFUL"
    # One poll, one task: the worker did not look for another after the signal.
    assert len(signal_during_the_poll) == 1


def test_a_signal_between_polls_still_stops_the_worker_at_once(worker):
    with pytest.raises(SystemExit) as exited:
        os.kill(os.getpid(), signal.SIGTERM)
        # The handler runs as the interpreter next checks for signals, before this line ends.
        for _ in range(1000):
            pass
    assert exited.value.code == 0
    assert worker.running is False
