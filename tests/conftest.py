"""Fixtures shared by the whole suite: a real SMTP server on loopback, and email settings
that send to it."""

import asyncio
import email
import email.policy
import socket
import threading
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings

from masthead.audience import buffer


def pytest_sessionstart(session):
    """Refuse to run without the test defaults (a throwaway data directory, an in-process
    cache and mailbox, tasks run at once): pytest-django imports the settings before this
    file, so MASTHEAD_TESTING=1 must come from the environment (make test sets it)."""
    if not settings.TESTING:
        pytest.exit("Run the tests with MASTHEAD_TESTING=1 (make test sets it).", returncode=4)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ReceivedMail:
    """A message as the SMTP server received it: envelope and parsed message."""

    mail_from: str
    rcpt_tos: list
    message: email.message.EmailMessage

    @property
    def subject(self):
        return self.message["Subject"]

    def text(self):
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part else ""

    def html(self):
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part else ""


@dataclass
class RecordingHandler:
    """aiosmtpd handler that keeps every message it accepts."""

    messages: list = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.arrived:
            self.messages.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), parsed))
            self.arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count, timeout=10):
        """Block until at least ``count`` messages have arrived; return them all."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.messages) >= count, timeout=timeout)
            return list(self.messages)


@pytest.fixture(autouse=True)
def fresh_page_cache():
    """Start every test with no cached pages: the database is rolled back between tests,
    but the in-memory page cache is not, and a page cached by one test must not answer
    the next. The tag versions this process remembers are forgotten too: tests that empty
    the shared cache would otherwise leave a version the cache no longer holds, which the
    next read half a second later replaces, so a page stored meanwhile would never be hit."""
    from masthead.core import page_tags
    from masthead.core.cache import invalidate_pages

    invalidate_pages()
    page_tags._known.clear()


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1 that records what it receives."""
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


def send_email_to(settings, controller):
    """Route Django's email to the SMTP server behind ``controller``."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = controller.hostname
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""


@pytest.fixture
def smtp_mailbox(smtp_server, settings):
    """Route Django's email to the real SMTP server; returns the server's handler."""
    controller, handler = smtp_server
    send_email_to(settings, controller)
    return handler


# How long the slow SMTP server takes over each message.
SLOW_SMTP_SECONDS = 3


class SlowHandler(RecordingHandler):
    """An SMTP server that takes its time over every message, and says when one arrives."""

    def __init__(self):
        super().__init__()
        self.delivering = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.delivering.set()
        await asyncio.sleep(SLOW_SMTP_SECONDS)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def slow_mailbox(settings):
    """Django's email routed to a real SMTP server that is slow to accept each message, for
    showing that nothing waits on an email while it is being delivered."""
    handler = SlowHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    send_email_to(settings, controller)
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def taken_hits(monkeypatch):
    """The audience hits handed to the buffer, kept in a list instead of written (for tests
    of the hit listener, whose own thread would write them with its own connection)."""
    hits = []
    monkeypatch.setattr(buffer, "record", hits.append)
    return hits
