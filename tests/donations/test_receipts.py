"""Receipts: one per payment, sent with no database lock held while the SMTP server talks."""

import threading
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from masthead.donations.emails import send_receipt
from masthead.donations.models import Donation
from masthead.donations.tasks import retry_stalled_receipts
from tests.conftest import SLOW_SMTP_SECONDS, free_port


def paid_donation(email="giver@example.org", **fields):
    """A one-off gift of £10, paid just now unless ``fields`` say otherwise."""
    values = {"status": Donation.Status.PAID, "paid_at": timezone.now(), **fields}
    return Donation.objects.create(
        kind=Donation.Kind.ONE_OFF, amount=1000, email=email, provider="demo", **values
    )


def receipt_state(donation):
    donation.refresh_from_db()
    return (donation.receipt_sent_at is not None, donation.receipt_lease_expires_at)


def send_in_thread(donation_id):
    try:
        send_receipt(donation_id)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_write_to_the_donation_is_not_blocked_while_its_receipt_is_delivered(
    outlet, slow_mailbox
):
    donation = paid_donation()
    sender = threading.Thread(target=send_in_thread, args=(donation.pk,))
    sender.start()
    try:
        assert slow_mailbox.delivering.wait(10)

        started = time.monotonic()
        Donation.objects.filter(pk=donation.pk).update(public_name="Ada")
        waited = time.monotonic() - started
        still_delivering = sender.is_alive()
    finally:
        sender.join(SLOW_SMTP_SECONDS * 3)

    assert waited < 1
    assert still_delivering
    donation.refresh_from_db()
    assert donation.public_name == "Ada"
    assert donation.receipt_sent_at is not None
    assert [message.rcpt_tos for message in slow_mailbox.messages] == [["giver@example.org"]]


@pytest.mark.django_db
def test_a_receipt_is_sent_once_however_often_its_task_runs(outlet):
    donation = paid_donation()

    assert send_receipt(donation.pk) is True
    assert send_receipt(donation.pk) is False

    assert [message.to for message in mail.outbox] == [["giver@example.org"]]
    assert receipt_state(donation) == (True, None)


@pytest.mark.django_db
def test_a_donation_not_paid_gets_no_receipt(outlet):
    donation = paid_donation(status=Donation.Status.PENDING, paid_at=None)

    assert send_receipt(donation.pk) is False

    assert mail.outbox == []
    assert receipt_state(donation) == (False, None)


@pytest.mark.django_db
def test_a_receipt_another_sender_is_sending_is_left_to_it(outlet):
    lease = timezone.now() + timedelta(minutes=5)
    donation = paid_donation(receipt_lease_expires_at=lease)

    assert send_receipt(donation.pk) is False
    retry_stalled_receipts()

    assert mail.outbox == []
    assert receipt_state(donation) == (False, lease)


@pytest.mark.django_db
def test_a_receipt_whose_sender_died_is_sent_by_the_periodic_retry(outlet):
    stalled = paid_donation(
        "stalled@example.org", receipt_lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    paid_donation("sent@example.org", receipt_sent_at=timezone.now())

    retry_stalled_receipts()
    retry_stalled_receipts()

    assert [message.to for message in mail.outbox] == [["stalled@example.org"]]
    assert receipt_state(stalled) == (True, None)


@pytest.mark.django_db
def test_a_receipt_the_smtp_server_refused_is_handed_back_and_sent_by_the_next_run(
    outlet, settings
):
    donation = paid_donation()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens there

    with pytest.raises(ConnectionRefusedError):
        send_receipt(donation.pk)

    assert receipt_state(donation) == (False, None)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_receipt(donation.pk) is True
    assert len(mail.outbox) == 1
