"""Background work for donations: the emails, each enqueued after the commit that decided
it, and the periodic retry of receipts whose sender died (see ``emails``)."""

from django_tasks import task

from masthead.donations import emails


@task()
def send_receipt_task(donation_id):
    """Background task: the receipt for one payment (sent once; see ``emails``)."""
    return emails.send_receipt(donation_id)


@task()
def send_failed_renewal_task(donation_id):
    """Background task: the failed-renewal notice (only while the payment is still failed)."""
    return emails.send_failed_renewal_notice(donation_id)


@task()
def send_cancellation_task(recurring_id):
    """Background task: the cancellation confirmation."""
    return emails.send_cancellation_confirmation(recurring_id)


@task()
def send_manage_link_task(email):
    """Background task: the "manage my support" email."""
    return emails.send_manage_link(email)


def retry_stalled_receipts():
    """Periodic job: enqueue again every receipt whose sender's lease ran out before it
    recorded the receipt as sent (the first task to run claims it; any other finds it
    claimed or sent and does nothing)."""
    for donation_id in emails.stalled_receipts():
        send_receipt_task.enqueue(donation_id)
