"""The Redis databases the tests use, per lane.

CI runs the SQLite pass and the PostgreSQL pass side by side against one Redis
(``.ci/run``). Each pass is a lane (``MASTHEAD_TEST_LANE``, 0 by default, 1 for the
second) with databases of its own, so one pass emptying a database between its tests
never empties one the other pass is using. The scale-out cluster (database 7) runs in
the PostgreSQL pass only.
"""

import os

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379

_DATABASES = {
    0: {"audience": 13, "resilience": 14, "gunicorn": 15},
    1: {"audience": 10, "resilience": 11, "gunicorn": 12},
}


def lane():
    value = os.environ.get("MASTHEAD_TEST_LANE", "0")
    if value not in {"0", "1"}:
        raise RuntimeError(f"MASTHEAD_TEST_LANE must be 0 or 1, not {value!r}")
    return int(value)


def redis_db(purpose):
    """The number of this lane's Redis database for ``purpose``."""
    return _DATABASES[lane()][purpose]
