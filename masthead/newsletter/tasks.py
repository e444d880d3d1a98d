"""Background tasks of the newsletter: the double opt-in email, starting a campaign and
sending it in batches.

Every campaign task is queued from here, and only after the transaction commits: the
sending engine (sending.py) starts a campaign and sends one batch at a time without knowing
of tasks, and the editors' operations (campaigns.py) call the functions below.
"""

import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from masthead.newsletter import confirmations, sending
from masthead.newsletter.sending import BatchOutcome

# Without a backend that can defer tasks (the immediate one), a batch waits in-process for
# a retry this short; longer waits are left to the scheduler's stalled-campaign check.
MAX_INLINE_WAIT_SECONDS = 5.0


def enqueue_batches(campaign_id, generation):
    """Start NEWSLETTER_PARALLELISM chains of batch tasks, once the transaction commits."""

    def enqueue():
        for _chain in range(max(settings.NEWSLETTER_PARALLELISM, 1)):
            send_campaign_batch.enqueue(campaign_id, generation)

    transaction.on_commit(enqueue)


def enqueue_start(campaign_id, when=None):
    """Queue the start of a scheduled campaign once the transaction commits: at once, or at
    ``when`` where the task backend can defer (otherwise the scheduler starts it then)."""
    if when is None:
        transaction.on_commit(lambda: start_campaign_task.enqueue(campaign_id))
    elif start_campaign_task.get_backend().supports_defer:
        transaction.on_commit(
            lambda: start_campaign_task.using(run_after=when).enqueue(campaign_id)
        )


def start_campaign(campaign_id):
    """Start a scheduled campaign whose time has come: it becomes sending, gets one delivery
    per recipient, and its batch tasks are queued. Safe to run twice."""
    with transaction.atomic():
        campaign = sending.start_sending(campaign_id)
        if campaign is None:
            return False
        enqueue_batches(campaign.pk, campaign.send_generation)
    return True


@task()
def start_campaign_task(campaign_id):
    """Start a scheduled campaign once its time has come (does nothing otherwise)."""
    return start_campaign(campaign_id)


def run_batch(campaign_id, generation):
    """Body of the batch task: one batch, then queue the next while work remains."""
    outcome = sending.send_next_batch(campaign_id, generation)
    if outcome == BatchOutcome.CONTINUED:
        send_campaign_batch.enqueue(campaign_id, generation)
    if outcome != BatchOutcome.WAITING:
        return outcome
    wake_at = sending.next_work_at(campaign_id) + timedelta(milliseconds=10)
    if send_campaign_batch.get_backend().supports_defer:
        send_campaign_batch.using(run_after=wake_at).enqueue(campaign_id, generation)
        return BatchOutcome.WAITING
    wait = (wake_at - timezone.now()).total_seconds()
    if wait > MAX_INLINE_WAIT_SECONDS:
        return BatchOutcome.STALLED
    time.sleep(max(wait, 0))
    return run_batch(campaign_id, generation)


@task()
def send_campaign_batch(campaign_id, generation):
    """Send one batch of a campaign's deliveries, then queue the next while work remains."""
    return run_batch(campaign_id, generation)


@task()
def send_confirmation_task(consent_record_id, newsletter_ids, name=""):
    """Background task: send one confirmation email (idempotent enough: a second copy of the
    same link is harmless)."""
    return confirmations.send_confirmation_email(consent_record_id, newsletter_ids, name)
