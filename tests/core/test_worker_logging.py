"""`masthead worker` says when it starts and stops and prints failures and warnings by
default; every task only with -v 2."""

import logging

import pytest

from masthead.core.management.commands.run_worker import Command

LOGGERS = ("django_tasks", "django_tasks_db")


@pytest.fixture(autouse=True)
def restore_levels():
    saved = {name: logging.getLogger(name).level for name in LOGGERS}
    yield
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


@pytest.mark.parametrize(
    ("verbosity", "task_level", "worker_level"),
    [
        (0, logging.CRITICAL, logging.CRITICAL),
        (1, logging.WARNING, logging.INFO),
        (2, logging.DEBUG, logging.DEBUG),
    ],
)
def test_worker_log_levels(verbosity, task_level, worker_level):
    Command().configure_logging(verbosity)
    assert logging.getLogger("django_tasks").level == task_level
    assert logging.getLogger("django_tasks_db").level == worker_level
