"""`masthead worker` lowers its own CPU priority (WORKER_NICE) before any thread starts, so
deliveries, newsletters and imports yield the cores to the web processes. The real worker
processes are checked in tests/scale; here the function, in a forked child (a process cannot
raise its priority back), and the order in which the command calls it."""

import os
import threading

import pytest

from masthead.core.management.commands import run_worker

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="forks a child process")


def in_child(function):
    """Run ``function`` in a forked child and return the text it returns."""
    reading, writing = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.write(writing, function().encode())
        finally:
            os._exit(0)
    os.close(writing)
    with os.fdopen(reading) as pipe:
        text = pipe.read()
    os.waitpid(pid, 0)
    return text


def test_the_process_and_its_later_threads_run_lower():
    def lowered():
        before = os.nice(0)
        now = run_worker.lower_priority(7)
        seen = []
        thread = threading.Thread(
            target=lambda: seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        )
        thread.start()
        thread.join()
        return f"{before} {now} {os.nice(0)} {seen[0]}"

    before, now, after, thread = map(int, in_child(lowered).split())
    expected = min(19, before + 7)
    assert (now, after, thread) == (expected, expected, expected)


def test_never_beyond_19_and_zero_leaves_it_alone():
    def capped():
        first = run_worker.lower_priority(30)
        untouched = run_worker.lower_priority(0)
        again = run_worker.lower_priority(5)
        return f"{first} {untouched} {again} {os.nice(0)}"

    assert in_child(capped).split() == ["19", "None", "19", "19"]


def test_the_command_lowers_it_before_the_scheduler_starts(monkeypatch, settings):
    settings.WORKER_NICE = 10
    calls = []
    monkeypatch.setattr(run_worker, "lower_priority", lambda nice: calls.append(("nice", nice)))
    monkeypatch.setattr(
        run_worker.SchedulerThread, "start", lambda thread: calls.append(("scheduler",))
    )
    monkeypatch.setattr(run_worker.SchedulerThread, "stop", lambda thread: None)
    monkeypatch.setattr(
        run_worker.Command, "run_worker", lambda command, **options: calls.append(("run",))
    )
    run_worker.Command().handle(reload=False)
    assert calls == [("nice", 10), ("scheduler",), ("run",)]
