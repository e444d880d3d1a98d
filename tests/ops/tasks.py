"""A task for the queue-depth tests: it is only ever enqueued, never run."""

from django_tasks import task


@task()
def file_the_story(slug):
    return slug
