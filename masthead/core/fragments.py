"""Site-wide pieces of reader pages remembered briefly by each process.

Some parts of every page are the same for every reader and cost several queries each: the
navigation, the footer's corrections link, the newsletters offered on sign-up forms, this
month's funding figures. When the page cache is off, or a page is rendered afresh, each
worker computes them once and reuses them for at most ``FRAGMENT_SECONDS``, and never
across a change of the page-cache generation, so an editor's change (which starts a new
generation) shows at once and anything else (a new donation) within a second.
"""

import threading
import time

from masthead.core.cache import current_generation

FRAGMENT_SECONDS = 1.0

_fragments = {}
_lock = threading.Lock()


def site_fragment(key, compute):
    """The value of ``compute()`` for ``key``, computed at most once per
    ``FRAGMENT_SECONDS`` and per page-cache generation in this process. The value is shared
    by concurrent requests, so it must be something readers of it never change."""
    generation = current_generation()
    now = time.monotonic()
    entry = _fragments.get(key)
    if entry is not None and entry[0] == generation and entry[1] > now:
        return entry[2]
    value = compute()
    with _lock:
        _fragments[key] = (generation, now + FRAGMENT_SECONDS, value)
    return value
