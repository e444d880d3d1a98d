"""How the engine treats a real SMTP server's refusals: 4xx is retried with backoff, 5xx
fails the one recipient (and a hard bounce suppresses the address), nobody else suffers.

Each refusal test runs twice: against a server that advertises PIPELINING (the engine then
sends MAIL, RCPT and DATA in one write) and against one that does not (smtplib's sendmail).
"""

import email
import email.policy
from collections import Counter

import pytest
from aiosmtpd.controller import Controller

from masthead.newsletter import sending
from masthead.newsletter.models import Campaign, Delivery, Suppression
from tests.conftest import free_port
from tests.newsletter.test_sending import make_campaign, make_subscriber, send


class RefusingHandler:
    """Answers 451 to each recipient's first try (if ``greylist``), 550 5.1.1 to addresses
    starting with "unknown", and accepts everything else; advertises PIPELINING if asked."""

    def __init__(self, greylist=False, pipelining=False):
        self.greylist = greylist
        self.pipelining = pipelining
        self.tries = Counter()
        self.delivered = Counter()
        self.messages = {}

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.pipelining:
            responses.insert(1, "250-PIPELINING")
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.tries[address] += 1
        if address.startswith("unknown"):
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        if self.greylist and self.tries[address] == 1:
            return "451 4.7.1 Greylisted, please try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        for address in envelope.rcpt_tos:
            self.delivered[address] += 1
            self.messages[address] = message
        return "250 Message accepted for delivery"


@pytest.fixture
def refusing_server(settings):
    def start(**options):
        handler = RefusingHandler(**options)
        controller = Controller(handler, hostname="127.0.0.1", port=free_port())
        controller.start()
        started.append(controller)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = controller.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        return handler

    started = []
    yield start
    for controller in started:
        controller.stop()


@pytest.fixture
def pipelined(monkeypatch):
    """Counts the messages sent the pipelined way."""
    calls = []
    original = sending.SMTPStream.send

    def counting(stream, token, recipient, data):
        calls.append(recipient)
        return original(stream, token, recipient, data)

    monkeypatch.setattr(sending.SMTPStream, "send", counting)
    return calls


@pytest.fixture
def daily(db):
    from masthead.newsletter.models import Newsletter

    return Newsletter.objects.create(name="Daily briefing", slug="daily")


@pytest.mark.django_db
@pytest.mark.parametrize("pipelining", [False, True])
def test_temporary_refusal_is_retried_then_sent(
    refusing_server, daily, settings, django_capture_on_commit_callbacks, pipelined, pipelining
):
    settings.NEWSLETTER_RETRY_SECONDS = 0.05
    handler = refusing_server(greylist=True, pipelining=pipelining)
    for number in range(3):
        make_subscriber(f"reader{number}@example.org", [daily])

    campaign = send(make_campaign([daily]), django_capture_on_commit_callbacks)

    assert campaign.status == Campaign.Status.SENT
    assert handler.delivered == Counter({f"reader{n}@example.org": 1 for n in range(3)})
    assert all(tries == 2 for tries in handler.tries.values())
    deliveries = list(campaign.deliveries.all())
    assert {d.status for d in deliveries} == {Delivery.Status.SENT}
    assert {d.attempts for d in deliveries} == {2}
    assert len(pipelined) == (6 if pipelining else 0)


@pytest.mark.django_db
def test_temporary_refusals_give_up_after_max_attempts(
    refusing_server, daily, settings, django_capture_on_commit_callbacks
):
    settings.NEWSLETTER_RETRY_SECONDS = 0.02
    settings.NEWSLETTER_MAX_ATTEMPTS = 1
    handler = refusing_server(greylist=True)
    make_subscriber("reader@example.org", [daily])

    campaign = send(make_campaign([daily]), django_capture_on_commit_callbacks)

    delivery = campaign.deliveries.get()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.last_error.startswith("451 4.7.1")
    assert handler.delivered == Counter()
    assert campaign.status == Campaign.Status.SENT
    assert not Suppression.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("pipelining", [False, True])
def test_hard_bounce_fails_and_suppresses_only_that_address(
    refusing_server, daily, django_capture_on_commit_callbacks, pipelined, pipelining
):
    handler = refusing_server(pipelining=pipelining)
    make_subscriber("before@example.org", [daily])
    make_subscriber("unknown@example.org", [daily])
    make_subscriber("zafter@example.org", [daily])

    campaign = send(make_campaign([daily]), django_capture_on_commit_callbacks)

    assert handler.delivered == Counter({"before@example.org": 1, "zafter@example.org": 1})
    bounced = campaign.deliveries.get(subscriber__email="unknown@example.org")
    assert bounced.status == Delivery.Status.FAILED
    assert bounced.attempts == 1
    assert "5.1.1" in bounced.last_error
    suppression = Suppression.objects.get()
    assert (suppression.email, suppression.reason) == ("unknown@example.org", "hard_bounce")
    figures = campaign.figures()
    assert (figures["sent"], figures["failed"], figures["pending"]) == (2, 1, 0)
    assert len(pipelined) == (3 if pipelining else 0)


@pytest.mark.django_db
def test_pipelined_message_arrives_whole(
    refusing_server, daily, django_capture_on_commit_callbacks, pipelined
):
    handler = refusing_server(pipelining=True)
    reader = make_subscriber("zoe@example.org", [daily], name="Zoë Ørsted")
    intro = "<p>First line.<br>.A line that starts with a dot.</p>"
    campaign = send(make_campaign([daily], intro=intro), django_capture_on_commit_callbacks)

    assert pipelined == ["zoe@example.org"]
    message = handler.messages["zoe@example.org"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Hello Zoë Ørsted," in text and "Hello Zoë Ørsted," in html
    assert "\n.A line that starts with a dot." in text
    assert sending.tokens.unsubscribe_url(reader, campaign=campaign) in html
    assert message["Message-ID"] == campaign.deliveries.get().message_id


@pytest.mark.django_db
def test_unreachable_server_means_retry_later_not_a_lost_reader(
    daily, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.NEWSLETTER_RETRY_SECONDS = 600
    make_subscriber("reader@example.org", [daily])

    campaign = send(make_campaign([daily]), django_capture_on_commit_callbacks)

    delivery = campaign.deliveries.get()
    assert delivery.status == Delivery.Status.PENDING
    assert delivery.attempts == 1
    assert delivery.next_attempt_at > campaign.started_at
    assert "Connection refused" in delivery.last_error or "Errno" in delivery.last_error
    assert campaign.status == Campaign.Status.SENDING
