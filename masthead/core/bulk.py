"""Whether this thread is bringing in an archive: an import from another platform, or the
restore of an export.

Publishing an article normally announces it to the world (federation to the outlet's
followers, posts to its social network accounts). An archive's articles are old news
arriving all at once: announcing ten thousand of them would flood every follower's
timeline. The importer runs inside ``bringing_in_archive()``, and what announces new
articles asks ``is_bringing_in_archive()`` first.
"""

import threading
from contextlib import contextmanager

_local = threading.local()


@contextmanager
def bringing_in_archive():
    """Mark this thread's work as an archive arriving, until the block ends."""
    outer = getattr(_local, "active", False)
    _local.active = True
    try:
        yield
    finally:
        _local.active = outer


def is_bringing_in_archive():
    return getattr(_local, "active", False)
