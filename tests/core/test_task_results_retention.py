"""Finished background tasks are deleted after TASK_RESULT_RETENTION_DAYS: their arguments
may name a subscriber or carry a sign-in link's secret."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from masthead.core.retention import prune_task_results

pytestmark = pytest.mark.django_db


def result(status, finished_days_ago):
    finished = timezone.now() - timedelta(days=finished_days_ago) if finished_days_ago else None
    return DBTaskResult.objects.create(
        status=status,
        task_path="masthead.readers.tasks.send_sign_in_email_task",
        args_kwargs={"args": [1, "secret-token", "123456"], "kwargs": {}},
        queue_name="default",
        backend_name="default",
        finished_at=finished,
    )


def test_finished_results_older_than_the_retention_are_deleted_and_others_stay(settings):
    settings.TASK_RESULT_RETENTION_DAYS = 7
    old_success = result("SUCCESSFUL", 8)
    old_failure = result("FAILED", 30)
    recent = result("SUCCESSFUL", 2)
    waiting = result("READY", None)

    assert prune_task_results() == 2

    left = set(DBTaskResult.objects.values_list("pk", flat=True))
    assert left == {recent.pk, waiting.pk}
    assert old_success.pk not in left and old_failure.pk not in left
