"""The ``run_worker`` command behind ``masthead worker``: the background task worker, which
also carries out the publishing schedule, so a site needs no separate cron job.

The worker outlives its database: unreachable at start (PostgreSQL still starting, a
restart, a network fault) or lost mid-run, it waits, tries again with a growing pause
(``DATABASE_RETRY_FIRST_SECONDS`` doubling up to ``DATABASE_RETRY_MAX_SECONDS``), logs one
line per attempt, and carries on where it was once the database answers. A task whose
result could not be recorded because the connection was lost while it ran is recorded as
failed (with that error) once the database is back, so it neither runs twice nor stays
"running" for ever. SQLite is a file, not a server: it never becomes unreachable this way.

The worker lowers its own CPU priority by ``WORKER_NICE`` when it starts: background work
yields the cores to the web processes, so a large delivery or a newsletter send does not
slow the pages readers are waiting for.
"""

import contextlib
import logging
import os
import signal
import threading
import time

from django.conf import settings
from django.core.management.base import CommandError
from django.db import InterfaceError, OperationalError, connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.utils import is_locked_database_exception

from masthead.core.scheduler import run_periodic_jobs

logger = logging.getLogger(__name__)

# How long shutting down waits for a scheduler pass that is publishing at that moment.
SCHEDULER_STOP_TIMEOUT_SECONDS = 30
# The pauses between attempts to reach an unreachable database: 1, 2, 4... up to 30 s.
DATABASE_RETRY_FIRST_SECONDS = 1.0
DATABASE_RETRY_MAX_SECONDS = 30.0
# What a database that cannot be reached (or was lost) raises; other errors are bugs.
UNREACHABLE_DATABASE_ERRORS = (OperationalError, InterfaceError)


def _describe(error):
    first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {first_line}"


def _close_connections():
    """Drop this thread's database connections, broken ones included, without raising."""
    for connection in connections.all(initialized_only=True):
        # Closing a connection the server dropped may fail; Django forgets it anyway.
        with contextlib.suppress(Exception):
            connection.close()


def _in_transaction():
    """Whether this thread's default connection is inside a transaction, its commit
    included (Django leaves ``in_atomic_block`` before committing, autocommit after)."""
    connection = connections["default"]
    return connection.in_atomic_block or (
        connection.connection is not None and not connection.autocommit
    )


def database_is_reachable():
    """Whether the default database answers a connection now (a new one if need be)."""
    connection = connections["default"]
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except UNREACHABLE_DATABASE_ERRORS:
        _close_connections()
        return False
    return True


def wait_for_database(should_continue=lambda: True):
    """Return once the database answers, trying again with a growing pause and logging one
    line per failed attempt; False if ``should_continue()`` turned false meanwhile."""
    pause = DATABASE_RETRY_FIRST_SECONDS
    attempt = 0
    while should_continue():
        attempt += 1
        connection = connections["default"]
        try:
            connection.ensure_connection()
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except UNREACHABLE_DATABASE_ERRORS as error:
            _close_connections()
            logger.warning(
                "Database unreachable (attempt %d, %s); trying again in %g s",
                attempt,
                _describe(error),
                pause,
            )
            time.sleep(pause)
            pause = min(pause * 2, DATABASE_RETRY_MAX_SECONDS)
            continue
        if attempt > 1:
            logger.warning("Database reachable again after %d attempts; resuming", attempt)
        return True
    return False


class DatabaseTolerantWorker(Worker):
    """django-tasks-db's worker, which waits for an unreachable database instead of dying."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # A task whose result could not be recorded: (its row, the error), recorded later.
        self.unrecorded = None

    def run(self):
        while self.running:
            if not wait_for_database(lambda: self.running):
                return
            if not self._record_interrupted_task():
                continue
            try:
                super().run()
                return
            except UNREACHABLE_DATABASE_ERRORS as error:
                if is_locked_database_exception(error):
                    raise
                logger.warning("Database connection lost (%s); waiting for it", _describe(error))
                _close_connections()

    def shutdown(self, signum, frame):
        """Stop on SIGTERM, SIGINT or SIGQUIT as django-tasks-db does (at once while idle, after
        the task that is running, at once on a second signal), but never inside the poll's
        transaction: django-tasks-db exits at once when no task is running, and a signal
        that lands while the poll claims a task or commits would raise ``SystemExit`` in
        the middle of it (a traceback from the rollback; a claimed task left to the
        connection's close). There the worker only stops looping: the poll ends, a task it
        claimed runs, and ``run`` returns."""
        if self.running and not self.running_task and _in_transaction():
            logger.warning(
                "Received %s - shutting down once the current poll ends...",
                signal.strsignal(signum),
            )
            self.running = False
            return
        super().shutdown(signum, frame)

    def run_task(self, db_task_result):
        try:
            super().run_task(db_task_result)
        except UNREACHABLE_DATABASE_ERRORS as error:
            # The task ran (or began) but its outcome could not be written down.
            self.unrecorded = (db_task_result, error)
            raise

    def _record_interrupted_task(self):
        """Record as failed the task whose outcome was lost with the connection; False if
        the database went away again meanwhile."""
        if self.unrecorded is None:
            return True
        db_task_result, error = self.unrecorded
        try:
            db_task_result.set_failed(error)
        except UNREACHABLE_DATABASE_ERRORS:
            _close_connections()
            return False
        logger.warning(
            "Task id=%s was recorded as failed: the database connection was lost while it ran",
            db_task_result.id,
        )
        self.unrecorded = None
        return True


def lower_priority(nice):
    """Lower this process's CPU priority by ``nice`` (capped at 19), before any thread starts
    so that every thread inherits it. Returns the niceness now in force, or None where the
    system has no priorities or refuses."""
    if nice <= 0 or not hasattr(os, "nice"):
        return None
    try:
        current = os.nice(0)
        return os.nice(max(0, min(nice, 19 - current)))
    except OSError:
        logger.warning("Could not lower the worker's CPU priority (WORKER_NICE=%d)", nice)
        return None


class SchedulerThread(threading.Thread):
    """Runs the registered periodic jobs (scheduled publishing, scheduled campaigns...) every
    ``interval`` seconds until it is stopped.

    A job that fails is logged and the next pass tries again; each job ends by closing this
    thread's database connections, so a dropped connection never outlives one pass.
    """

    def __init__(self, interval):
        super().__init__(name="masthead-scheduler", daemon=True)
        self.interval = interval
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            if database_is_reachable():
                run_periodic_jobs()
            else:
                # One line per pass, not one traceback per job: the worker logs its attempts.
                logger.warning("Scheduler: database unreachable; skipping this pass")
            _close_connections()
            self.stopping.wait(self.interval)

    def stop(self, timeout=SCHEDULER_STOP_TIMEOUT_SECONDS):
        self.stopping.set()
        self.join(timeout)


class Command(DatabaseWorkerCommand):
    """django-tasks-db's ``db_worker`` (same options), plus the thread of periodic jobs."""

    help = (
        "Run the background task worker (the database backend's db_worker, with the same "
        "options) and publish and unpublish scheduled pages as their time comes, every "
        "SCHEDULER_INTERVAL_SECONDS. --reload is off unless given. Stops cleanly on "
        "SIGTERM or Ctrl+C."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        # Reloading restarts the process mid-task; ask for it explicitly in development.
        parser.set_defaults(reload=False)

    def configure_logging(self, verbosity):
        """Quieter than db_worker: by default the worker says when it starts and stops, and
        prints warnings and failed tasks, but not every task; ``-v 2`` adds each task as it
        starts and ends."""
        super().configure_logging(verbosity)
        if verbosity == 1:
            # django_tasks logs every task's start and end; django_tasks_db the worker's own.
            logging.getLogger("django_tasks").setLevel(logging.WARNING)

    def handle(self, *args, **options):
        # With --reload, the parent process only watches files and restarts the child that
        # does the work, so only the child runs the schedule.
        runs_tasks = not options["reload"] or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true"
        if not runs_tasks:
            return self.run_worker(**options)
        lower_priority(settings.WORKER_NICE)
        scheduler = SchedulerThread(settings.SCHEDULER_INTERVAL_SECONDS)
        scheduler.start()
        try:
            return self.run_worker(**options)
        finally:
            scheduler.stop()

    def run_worker(
        self,
        *,
        verbosity,
        queue_name,
        interval,
        batch,
        backend_name,
        startup_delay,
        reload,
        max_tasks,
        worker_id,
        exclude_queues,
        **options,
    ):
        """db_worker's ``handle``, running ``DatabaseTolerantWorker`` instead of its own."""
        self.configure_logging(verbosity)
        if reload and batch:
            logger.warning("--reload and --batch cannot be given together: not reloading.")
            reload = False
        queue_names = queue_name.split(",")
        excluded_queue_names = exclude_queues.split(",") if exclude_queues else []
        if excluded_queue_names and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = DatabaseTolerantWorker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=excluded_queue_names,
        )
        if reload:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                # Only the child process, which runs the tasks, handles the signals.
                worker.configure_signals()
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
