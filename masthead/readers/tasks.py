"""Background tasks of readers: the sign-in email, and readers' data rights with the
functions that queue them.

A task is given a request's id (and a sign-in request's link token and code, useless
without the browser that asked) and never an address, so no address ever sits in the
task queue, and it is queued only once the request is committed. ``request_export`` and
``request_erasure`` are the one way in for the reader's own pages and for the editors'
admin alike.
"""

from django.db import transaction
from django_tasks import task

from masthead.readers import rights, sign_in_email
from masthead.readers.models import DataRequest


@task()
def send_sign_in_email_task(sign_in_request_id, token, code):
    """Send a sign-in email; a retry sends the same link and code again, which is harmless."""
    return sign_in_email.send_sign_in_email(sign_in_request_id, token, code)


@task()
def build_export_task(request_id):
    """Build the copy of a reader's data a request asks for, and email its link."""
    rights.build_export(request_id)
    return True


@task()
def erasure_task(request_id):
    """Erase the reader a request is about (or leave it waiting, with the reason)."""
    return str(rights.carry_out_erasure(request_id))


def request_export(reader, *, requested_by=None):
    """Register a request for a copy of ``reader``'s data and queue its building."""
    with transaction.atomic():
        data_request = rights.open_request(
            reader, DataRequest.Kind.EXPORT, requested_by=requested_by
        )
        transaction.on_commit(lambda: build_export_task.enqueue(data_request.pk))
    return data_request


def request_erasure(reader, *, requested_by=None):
    """Register a request to erase ``reader`` and queue it."""
    with transaction.atomic():
        data_request = rights.open_request(
            reader, DataRequest.Kind.ERASURE, requested_by=requested_by
        )
        transaction.on_commit(lambda: erasure_task.enqueue(data_request.pk))
    return data_request


def retry_waiting_erasures():
    """Periodic: try again every erasure that waits for a payment provider."""
    waiting = DataRequest.objects.filter(
        kind=DataRequest.Kind.ERASURE, status=DataRequest.Status.WAITING
    ).values_list("pk", flat=True)
    for request_id in list(waiting):
        erasure_task.enqueue(request_id)
