"""The ActivityPub inboxes cannot be flooded (issue 10): POSTs are counted per network (an
IPv4 address, an IPv6 /64) over both inboxes, and past SOCIAL_INBOX_LIMIT_PER_IP the answer
is 429 with Retry-After, before the body is read or any signature checked. Other networks
are still heard."""

import pytest
from django.core.cache import cache

from tests.social import conftest as social_fixtures

pytestmark = pytest.mark.django_db

outlet = social_fixtures.outlet
NOT_AN_ACTIVITY = b"not json"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def deliver(client, address, path="/social/inbox"):
    return client.post(
        path, data=NOT_AN_ACTIVITY, content_type="application/activity+json", REMOTE_ADDR=address
    )


def test_a_network_past_its_limit_is_answered_429_with_retry_after(client, outlet, settings):
    settings.SOCIAL_INBOX_LIMIT_PER_IP = (3, 60)

    answers = [
        deliver(client, "2001:db8:1:2::1"),
        deliver(client, "2001:db8:1:2::2", "/social/actors/news/inbox"),
        deliver(client, "2001:db8:1:2:ffff::3"),
        deliver(client, "2001:db8:1:2::4", "/social/actors/news/inbox"),
        deliver(client, "2001:db8:1:2::5"),
    ]

    # Under the limit a malformed body is refused for what it is; past it, unread.
    assert [answer.status_code for answer in answers] == [400, 400, 400, 429, 429]
    assert answers[3].content == b"Too many deliveries"
    assert 1 <= int(answers[3]["Retry-After"]) <= 60
    assert deliver(client, "2001:db8:1:3::1").status_code == 400
    assert deliver(client, "192.0.2.8").status_code == 400


def test_the_default_limit_is_generous_and_per_minute(settings):
    assert settings.SOCIAL_INBOX_LIMIT_PER_IP == (600, 60)
