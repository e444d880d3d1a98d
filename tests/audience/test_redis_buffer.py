"""With AUDIENCE_REDIS_URL the web processes push their batches of hits to a Redis list and
never write hits themselves; the worker's periodic job moves them to the database, exactly
once, and puts a batch back if the database refuses it. Without Redis reachable, a batch is
written to the database directly. Needs a Redis on 127.0.0.1:6379 (CI has one)."""

from datetime import UTC, datetime

import pytest
import redis
from django.db import DatabaseError

from masthead.audience import buffer
from masthead.audience.models import Hit, PageDay
from masthead.audience.rollup import roll_up_new_hits
from tests.redis_lanes import REDIS_HOST, REDIS_PORT, redis_db
from tests.resilience.proxy import is_listening

pytestmark = pytest.mark.django_db

REDIS_DB = redis_db("audience")
AT = datetime(2026, 5, 4, 10, 30, tzinfo=UTC)


@pytest.fixture
def redis_buffer(settings):
    if not is_listening(REDIS_HOST, REDIS_PORT):
        pytest.skip(
            f"Redis is not running at {REDIS_HOST}:{REDIS_PORT}: the Redis buffer needs one"
        )
    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB)
    client.flushdb()
    settings.AUDIENCE_WRITE_HITS_AT_ONCE = False
    settings.AUDIENCE_BATCH_SIZE = 2
    settings.AUDIENCE_REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"
    yield client
    client.flushdb()
    client.close()


def waiting_buffer(count):
    hits = buffer.HitBuffer()
    hits.flusher_started = True  # no thread in a test: flush() is called here
    for number in range(count):
        hits.record(
            {
                "at": AT,
                "kind": "view",
                "site_id": 1,
                "path": f"/news/story-{number % 2}/",
                "visitor": f"{number:032x}",
                "referrer": "Google",
                "referrer_kind": "search",
                "device": "mobile",
            }
        )
    return hits


def test_batches_go_to_redis_and_the_worker_writes_them_once(redis_buffer):
    waiting_buffer(5).flush()

    assert not Hit.objects.exists()
    assert redis_buffer.llen(buffer.REDIS_KEY) == 3  # batches of 2, 2 and 1

    assert buffer.drain_redis() == 5
    assert redis_buffer.llen(buffer.REDIS_KEY) == 0
    rows = list(Hit.objects.order_by("visitor").values("at", "path", "visitor", "device"))
    assert [row["visitor"] for row in rows] == [f"{number:032x}" for number in range(5)]
    assert {row["at"] for row in rows} == {AT}
    assert {row["device"] for row in rows} == {"mobile"}
    # Drained once: a second pass finds nothing and writes nothing.
    assert buffer.drain_redis() == 0
    assert Hit.objects.count() == 5


def test_the_roll_up_takes_the_hits_still_in_redis(redis_buffer):
    waiting_buffer(4).flush()

    roll_up_new_hits()

    assert sum(PageDay.objects.values_list("views", flat=True)) == 4


def test_a_batch_the_database_refuses_goes_back_to_redis(redis_buffer, monkeypatch):
    waiting_buffer(3).flush()

    def refuse(hits):
        raise DatabaseError("the database is down")

    monkeypatch.setattr(buffer, "write", refuse)
    with pytest.raises(DatabaseError):
        buffer.drain_redis()
    assert redis_buffer.llen(buffer.REDIS_KEY) == 2

    monkeypatch.undo()
    assert buffer.drain_redis() == 3
    assert sorted(Hit.objects.values_list("visitor", flat=True)) == [
        f"{number:032x}" for number in range(3)
    ]


def test_without_redis_reachable_the_batch_is_written_directly(redis_buffer, settings):
    settings.AUDIENCE_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there

    waiting_buffer(3).flush()

    assert Hit.objects.count() == 3
