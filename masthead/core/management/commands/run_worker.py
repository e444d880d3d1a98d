"""The ``run_worker`` command behind ``masthead worker``: the background task worker, which
also carries out the publishing schedule, so a site needs no separate cron job."""

import logging
import os
import threading

from django.conf import settings
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from masthead.core.scheduler import run_periodic_jobs

# How long shutting down waits for a scheduler pass that is publishing at that moment.
SCHEDULER_STOP_TIMEOUT_SECONDS = 30


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
            run_periodic_jobs()
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
            return super().handle(*args, **options)
        scheduler = SchedulerThread(settings.SCHEDULER_INTERVAL_SECONDS)
        scheduler.start()
        try:
            return super().handle(*args, **options)
        finally:
            scheduler.stop()
