"""Parts of reader pages that are the same for every reader, kept by each process.

Two kinds, both tied to the page-cache generation (``masthead.core.cache``), which every
change an editor makes replaces (``masthead.core.cache_invalidation``), so neither can outlive a
publication, an unpublication, an edit, a move or a change of settings or images:

``site_fragment(key, compute)``
    A *value* (the navigation's sections, this month's funding figures) worked out at most
    once per ``FRAGMENT_SECONDS`` per process. Values that readers' own actions change (a
    donation moves the funding bar) are therefore at most a second old. A value that only
    editors change (``only_editors_change=True``: the navigation, the site's settings) is
    kept until the generation changes, which every such change brings, and at most
    ``EDITED_SECONDS``; so recomputing it is not a cost every process pays every second.

``rendered_fragment(key, render)``
    *Rendered HTML* (a page's header and footer, an article's text, the home page's
    listings): kept until the generation changes, and at most ``FRAGMENT_CACHE_SECONDS``
    (600, or the whole-page cache's lifetime if that is longer), in a small
    least-recently-used store per process. Only what editors change may go in: what
    changes with readers' activity (sign-up forms, the funding bar) stays live, as a
    ``{% live %}`` hole inside the fragment (see ``masthead_tags``).
    ``FRAGMENT_CACHE_SECONDS=0`` turns these off, so every part of every page is rendered
    afresh (the benchmark's "cold" figure). What readers' activity changes and a fragment
    shows anyway (a product block's "sold out") is tagged (``masthead.core.page_tags``):
    the fragment keeps its tags, is rendered afresh once one changes, and passes them on
    to every page it is reused on.

Rendered fragments are also kept in the shared cache (Redis, or the file cache on one
machine), so that after a publication each fragment is rendered once for the whole site,
not once per web process: a process that lacks one takes it from there before rendering it
(``share``, below). Its tags are checked on the way out exactly as for the process's own
copy.

Unlike the whole-page cache, a page served with warm fragments still goes through Django,
the database (routing, privacy checks, settings, the live parts) and the templates.
"""

import hashlib
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from masthead.core import page_tags
from masthead.core.cache import LocalPages, current_generation

FRAGMENT_SECONDS = 1.0
# At most how long a value only editors change is kept: the generation replaces it at once
# after any change made through the application; this bounds a change made around it (a
# query run by hand), as FRAGMENT_CACHE_SECONDS bounds the rendered fragments.
EDITED_SECONDS = 60.0

_fragments = {}
_lock = threading.Lock()
# One lock per key, so that a value is computed by one thread while the process's other
# threads that want it wait for it (``site_fragment``).
_computing = {}


def site_fragment(key, compute, *, only_editors_change=False):
    """The value of ``compute()`` for ``key``, computed at most once per
    ``FRAGMENT_SECONDS`` (``EDITED_SECONDS`` for a value ``only_editors_change``) and per
    page-cache generation in this process. The value is shared by concurrent requests, so
    it must be something readers of it never change.

    When it is due, one thread computes it and the others asking meanwhile wait for that
    value rather than each computing it too: every thread of a busy process found this
    month's funding due in the same instant, and computed its seven queries (a thirtieth
    of the process's time on a home page rendered afresh)."""
    generation = current_generation()
    entry = _fragments.get(key)
    if entry is not None and entry[0] == generation and entry[1] > time.monotonic():
        return entry[2]
    computing = _computing.get(key)
    if computing is None:
        with _lock:
            computing = _computing.setdefault(key, threading.RLock())
    with computing:
        entry = _fragments.get(key)
        now = time.monotonic()
        if entry is not None and entry[0] == generation and entry[1] > now:
            return entry[2]  # computed by the thread this one waited for
        value = compute()
        seconds = EDITED_SECONDS if only_editors_change else FRAGMENT_SECONDS
        with _lock:
            _fragments[key] = (generation, now + seconds, value)
    return value


def fragment_seconds():
    """How long a rendered fragment is kept at most; 0 when rendered fragments are off."""
    return settings.FRAGMENT_CACHE_SECONDS


# The same store the page cache keeps its local pages in: entries are (expires_at, value,
# tags) and a new generation empties it at once.
rendered_fragments = LocalPages(settings.FRAGMENT_CACHE_ENTRIES)


@dataclass(frozen=True)
class Share:
    """How a fragment's value goes to the shared cache and comes back: ``dump(value)``
    returns something picklable (or None: this value is not shared), ``load(data)`` the
    value again (or None when the data no longer fits), and ``version`` names what the
    value's meaning depends on besides the key (e.g. the template's source)."""

    dump: object
    load: object
    version: str = ""


def _shared_key(generation, key, share):
    digest = hashlib.blake2b(repr((key, share.version)).encode(), digest_size=20).hexdigest()
    return f"masthead:fragment:{generation}:{digest}"


def rendered_fragment(key, render, share=None):
    """The value of ``render()`` for ``key`` (a hashable tuple), kept for this generation
    and at most ``FRAGMENT_CACHE_SECONDS``. ``key`` must name everything the value depends
    on besides what editors change (which changes the generation). With ``share`` (a
    ``Share``), the value is also kept in the shared cache, for every other process."""
    seconds = fragment_seconds()
    if seconds <= 0:
        return render()
    generation = current_generation()
    entry = rendered_fragments.get(generation, key)
    if entry is not None and page_tags.are_current(entry[2]):
        page_tags.include(entry[2])
        return entry[1]
    shared_key = _shared_key(generation, key, share) if share is not None else None
    if shared_key is not None:
        stored = cache.get(shared_key)
        if stored is not None:
            expires_at, data, tags = stored
            value = share.load(data) if expires_at > time.time() else None
            if value is not None and page_tags.are_current(tags):
                rendered_fragments.put(generation, key, (expires_at, value, tags))
                page_tags.include(tags)
                return value
    with page_tags.collecting() as tags:
        value = render()
    expires_at = time.time() + seconds
    rendered_fragments.put(generation, key, (expires_at, value, tags))
    if shared_key is not None and all(version is not None for version in tags.values()):
        data = share.dump(value)
        if data is not None:
            cache.set(shared_key, (expires_at, data, tags), timeout=seconds)
    return value
