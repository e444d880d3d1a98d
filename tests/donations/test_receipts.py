"""Receipts: one per payment, sent with no database lock held while the SMTP server talks."""

import asyncio
import threading
import time

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.utils import timezone

from masthead.donations.emails import send_receipt
from masthead.donations.models import Donation
from tests.conftest import RecordingHandler, free_port

# How long the slow SMTP server takes over each message.
SLOW_SECONDS = 3


class SlowHandler(RecordingHandler):
    """An SMTP server that takes its time over every message, and says when one arrives."""

    def __init__(self):
        super().__init__()
        self.delivering = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.delivering.set()
        await asyncio.sleep(SLOW_SECONDS)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def slow_mailbox(settings):
    """Django's email routed to a real SMTP server that is slow to accept each message."""
    handler = SlowHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = controller.hostname
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield handler
    finally:
        controller.stop()


def paid_donation():
    return Donation.objects.create(
        kind=Donation.Kind.ONE_OFF,
        amount=1000,
        email="giver@example.org",
        provider="demo",
        status=Donation.Status.PAID,
        paid_at=timezone.now(),
    )


def send_in_thread(donation_id):
    try:
        send_receipt(donation_id)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
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
        sender.join(SLOW_SECONDS * 3)

    assert waited < 1
    assert still_delivering
    donation.refresh_from_db()
    assert donation.public_name == "Ada"
    assert donation.receipt_sent_at is not None
    assert [message.rcpt_tos for message in slow_mailbox.messages] == [["giver@example.org"]]
