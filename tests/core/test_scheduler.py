"""The periodic-job registry: jobs run on every pass, or at most once per interval."""

from masthead.core import scheduler


def test_a_job_with_an_interval_runs_at_most_once_per_interval(monkeypatch):
    calls = []
    clock = [1000.0]
    monkeypatch.setattr(scheduler.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(scheduler, "_jobs", {})
    monkeypatch.setattr(scheduler, "_last_run", {})
    scheduler.register_periodic_job("hourly", lambda: calls.append("hourly"), every=3600)
    scheduler.register_periodic_job("always", lambda: calls.append("always"))

    scheduler.run_periodic_jobs()
    clock[0] += 60
    scheduler.run_periodic_jobs()
    clock[0] += 3600
    scheduler.run_periodic_jobs()

    assert calls.count("always") == 3
    assert calls.count("hourly") == 2


def test_a_failing_job_does_not_stop_the_others(monkeypatch):
    calls = []
    monkeypatch.setattr(scheduler, "_jobs", {})

    def broken():
        raise RuntimeError("boom")

    scheduler.register_periodic_job("broken", broken)
    scheduler.register_periodic_job("fine", lambda: calls.append("fine"))
    scheduler.run_periodic_jobs()
    assert calls == ["fine"]
