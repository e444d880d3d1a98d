"""Error emails to the admins: one per kind of error (type and place) per interval, not
one per request, whether or not the shared cache that remembers them is reachable."""

import pytest
from django.core import mail

from masthead.core import ratelimit
from tests.donations.helpers import give, open_outlet

pytestmark = pytest.mark.django_db


@pytest.fixture
def admins(settings):
    settings.ADMINS = [("Admin", "tech@example.org")]
    settings.ERROR_EMAIL_INTERVAL_SECONDS = 300
    open_outlet(settings)


def crash_every_give(monkeypatch, error):
    def crash(request):
        raise error

    monkeypatch.setattr(ratelimit, "client_network", crash)


def crash_differently(request):
    raise KeyError("another place")


def test_a_fault_that_fails_every_request_is_emailed_once(client, admins, monkeypatch):
    client.raise_request_exception = False
    crash_every_give(monkeypatch, RuntimeError("the payment provider module blew up"))

    answers = [give(client).status_code for _request in range(5)]

    assert answers == [500] * 5
    assert len(mail.outbox) == 1
    assert "RuntimeError" in mail.outbox[0].body
    assert mail.outbox[0].to == ["tech@example.org"]

    # Another kind of error (another type, raised elsewhere) is news: it is emailed too.
    monkeypatch.setattr(ratelimit, "client_network", crash_differently)
    assert [give(client).status_code for _request in range(3)] == [500] * 3
    assert len(mail.outbox) == 2
    assert "KeyError" in mail.outbox[1].body


def test_with_the_cache_unreachable_errors_are_still_emailed_once_per_kind(
    client, admins, redis_proxy, monkeypatch
):
    client.raise_request_exception = False
    redis_proxy.stop()
    crash_every_give(monkeypatch, ZeroDivisionError("while Redis is down"))

    answers = [give(client).status_code for _request in range(5)]

    assert answers == [500] * 5
    assert len(mail.outbox) == 1
    assert "ZeroDivisionError" in mail.outbox[0].body


def test_an_interval_of_zero_emails_every_error(client, admins, settings, monkeypatch):
    settings.ERROR_EMAIL_INTERVAL_SECONDS = 0
    client.raise_request_exception = False
    crash_every_give(monkeypatch, LookupError("every one"))

    for _request in range(3):
        give(client)

    assert len(mail.outbox) == 3
