"""A Redis outage, made real by cutting the network between the site and Redis: readers
keep reading, the health check says what is degraded, sign-in and payments are refused
with a clear answer, signed-in editors carry on from the database, and once Redis is back
it is used again without a restart."""

import logging
import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.urls import reverse

from masthead.core import cache as page_cache
from masthead.core import ratelimit, resilient_cache
from masthead.donations.models import Donation
from tests.accounts.conftest import PASSWORD, make_person
from tests.donations.helpers import give, open_outlet
from tests.publishing.factories import make_article, make_author

pytestmark = pytest.mark.django_db

DEGRADED = {"status": "degraded", "database": "ok", "cache": "unavailable"}
HEALTHY = {"status": "ok", "database": "ok", "cache": "ok"}


@pytest.fixture
def outlet(settings, django_capture_on_commit_callbacks):
    """A published site with one article, and the demo payment provider."""
    with django_capture_on_commit_callbacks(execute=True):
        tree = open_outlet(settings)
        author = make_author(tree.author_index, name="Robin Ashdown")
        tree.article = make_article(tree.section, [author], title="Library hours extended")
    return tree


def page_keys(redis_direct):
    return redis_direct.keys("*masthead:page:*")


def wait_until(condition, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_readers_get_pages_while_redis_is_down_and_caching_resumes_when_it_is_back(
    client, outlet, redis_proxy, redis_direct
):
    article, section = outlet.article.url, outlet.section.url
    assert client.get(article)["X-Cache"] == "miss"
    assert client.get(article)["X-Cache"] == "hit"
    assert len(page_keys(redis_direct)) == 1

    redis_proxy.stop()
    # Past the moment the page-cache generation is re-read from Redis (and found missing).
    time.sleep(page_cache.GENERATION_CHECK_SECONDS + 0.1)
    from_memory = client.get(article)
    never_cached = client.get(section)
    health = client.get("/health/")

    assert from_memory.status_code == 200
    assert from_memory["X-Cache"] == "hit"
    assert "Library hours extended" in from_memory.content.decode()
    assert never_cached.status_code == 200
    assert outlet.section.title in never_cached.content.decode()
    assert health.status_code == 200
    assert health.json() == DEGRADED

    redis_proxy.start()
    assert client.get("/health/").json() == HEALTHY
    # The section page rendered now is stored in Redis again, and served from it.
    page_cache.local_pages.clear()
    assert client.get(section)["X-Cache"] == "miss"
    assert len(page_keys(redis_direct)) == 2
    page_cache.local_pages.clear()
    assert client.get(section)["X-Cache"] == "hit"


def test_an_unanswering_redis_costs_one_timeout_not_one_per_request(
    client, outlet, redis_proxy, monkeypatch, caplog
):
    monkeypatch.setattr(resilient_cache, "RETRY_SECONDS", 30)
    section = outlet.section.url
    client.get(section)
    page_cache.local_pages.clear()
    redis_proxy.stall()

    started = time.monotonic()
    answers = []
    with caplog.at_level(logging.WARNING, logger="masthead.core.resilient_cache"):
        for _request in range(10):
            page_cache.local_pages.clear()  # each request asks the shared cache first
            answers.append(client.get(section))
    elapsed = time.monotonic() - started

    assert [answer.status_code for answer in answers] == [200] * 10
    # One command timeout (1 s) at most, then no more waiting: not ten of them.
    assert elapsed < resilient_cache.COMMAND_TIMEOUT_SECONDS + 1.5, elapsed
    unreachable = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(unreachable) == 1


def test_payments_and_sign_in_are_refused_with_a_clear_answer_while_redis_is_down(
    client, outlet, redis_proxy
):
    editor = make_person("editor")
    redis_proxy.stop()

    payment = give(client)
    sign_in = client.post(
        reverse("wagtailadmin_login"),
        {"username": "editor", "password": PASSWORD, "next": "/admin/"},
    )

    for refused in (payment, sign_in):
        assert refused.status_code == 503
        assert refused["Retry-After"] == "60"
        assert "Please try again in a few minutes" in refused.content.decode()
    assert not Donation.objects.exists()
    assert SESSION_KEY not in client.session
    assert editor.last_login is None

    redis_proxy.start()
    assert wait_until(lambda: give(client).status_code == 302)
    assert Donation.objects.count() == 1


def test_rate_limits_fail_open_or_closed_as_each_caller_says(redis_proxy):
    assert ratelimit.allow("outage-test", 1, 60, when_unavailable=ratelimit.REFUSE)
    assert not ratelimit.allow("outage-test", 1, 60, when_unavailable=ratelimit.REFUSE)

    redis_proxy.stop()

    assert ratelimit.allow("outage-test", 1, 60, when_unavailable=ratelimit.ALLOW)
    with pytest.raises(ratelimit.LimitsUnavailable):
        ratelimit.allow("outage-test", 1, 60, when_unavailable=ratelimit.REFUSE)

    redis_proxy.start()
    assert wait_until(lambda: resilient_cache.status(cache) == "ok")
    # Counting resumes where it was: the limit reached before the outage still holds.
    assert not ratelimit.allow("outage-test", 1, 60, when_unavailable=ratelimit.REFUSE)


def test_a_signed_in_editor_carries_on_from_the_database_while_redis_is_down(
    client, outlet, redis_proxy
):
    make_person("editor", is_superuser=True)
    assert client.login(username="editor", password=PASSWORD)
    assert client.get("/admin/").status_code == 200

    redis_proxy.stop()
    dashboard = client.get("/admin/")

    assert dashboard.status_code == 200
    assert "Sign out" in dashboard.content.decode() or "Log out" in dashboard.content.decode()


def test_what_changed_during_the_outage_is_not_served_stale_from_redis_afterwards(
    client, outlet, redis_proxy, redis_direct
):
    article = outlet.article.url
    client.get(article)
    generation_before = page_cache.current_generation()

    redis_proxy.stop()
    time.sleep(page_cache.GENERATION_CHECK_SECONDS + 0.1)
    client.get(article)  # finds Redis gone
    # An editor publishes meanwhile: the new generation cannot be written to Redis.
    page_cache.invalidate_pages()

    redis_proxy.start()
    assert wait_until(lambda: resilient_cache.status(cache) == "ok")
    client.get(article)

    # The generation from before the outage, which other processes would still be serving
    # pages under, is gone from Redis: they render afresh instead.
    stored = redis_direct.keys(f"*{page_cache.GENERATION_KEY}")
    values = [redis_direct.get(key) for key in stored]
    assert all(generation_before.encode() not in (value or b"") for value in values)
