"""Tags on cached pages and fragments, so that a change readers' own activity makes (an item
selling out at checkout) clears only the pages that show it, not the whole page cache.

Editors' changes start a new page-cache generation (``masthead.core.cache``): everything
goes at once, which is right for a publication but would let anyone who can make an item
sell out empty every cached page, for every reader, as often as they like. So what readers
can change is *tagged* instead:

- While a page (or a fragment) renders, whatever shows such a thing names its tag with
  ``tag("shop:product:<slug>")``, **before** reading the data the tag stands for. The tag's
  current version (a random string in the shared cache) is kept with what is being
  rendered; a fragment's tags are also the tags of every page it is reused on.
- The page cache and the fragment store keep those versions with their entries, and an
  entry any of whose tags has a newer version is a miss.
- ``invalidate(tag)`` gives the tag a new version, at once and again after the commit (as
  ``masthead.core.cache_invalidation`` does for the generation): a page that read the data
  before the commit named the tag before reading it, so it holds the older version and is
  never served as fresh.

Each process re-reads a tag's version from the shared cache at most every
``CHECK_SECONDS``, as it does the generation, so a change reaches readers on every worker
within a second. A tag the shared cache has lost gets a new version when next asked for:
the cache can only fail towards rendering afresh.
"""

import hashlib
import time
import uuid
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.cache import cache
from django.db import transaction

from masthead.core import resilient_cache

CHECK_SECONDS = 0.5

# The tags of what is being rendered now in this thread: {tag: version}, or None when
# nothing that will be stored is being rendered (then naming a tag costs nothing).
_collecting = ContextVar("masthead_page_tags", default=None)
# {tag: (version, when this process last read it from the shared cache)}
_known = {}


def _shared_key(name):
    digest = hashlib.blake2b(name.encode(), digest_size=16).hexdigest()
    return f"masthead:page-tag:{digest}"


def version(name):
    """The current version of tag ``name``, re-read from the shared cache when stale."""
    now = time.monotonic()
    known = _known.get(name)
    if known is not None and now - known[1] <= CHECK_SECONDS:
        return known[0]
    # With Redis down, the version this process knows (see shared_token).
    value = resilient_cache.shared_token(
        cache, _shared_key(name), known[0] if known is not None else None
    )
    _known[name] = (value, now)
    return value


def _merge(into, tags):
    for name, tag_version in tags.items():
        if into.setdefault(name, tag_version) != tag_version:
            # Parts rendered under two versions of one tag: the whole is never current.
            into[name] = None


@contextmanager
def collecting():
    """Collect the tags named while the block runs (a page or a fragment being rendered
    for storing). Yields the ``{tag: version}`` dict, which is also merged into the
    enclosing collection, if any, on the way out."""
    outer = _collecting.get()
    tags = {}
    token = _collecting.set(tags)
    try:
        yield tags
    finally:
        _collecting.reset(token)
        if outer is not None:
            _merge(outer, tags)


def tag(*names):
    """Say that what is being rendered shows ``names``. Call it before reading the data
    they stand for, so that a change committed meanwhile is never taken as shown."""
    tags = _collecting.get()
    if tags is None:
        return
    _merge(tags, {name: version(name) for name in names})


def include(tags):
    """A stored fragment with ``tags`` is reused in what is being rendered now."""
    current = _collecting.get()
    if current is not None:
        _merge(current, tags)


def are_current(tags):
    """Whether something stored with ``tags`` ({tag: version}) may still be shown."""
    return all(
        tag_version is not None and tag_version == version(name)
        for name, tag_version in tags.items()
    )


def _renew(names):
    now = time.monotonic()
    versions = {name: uuid.uuid4().hex for name in names}
    cache.set_many({_shared_key(name): value for name, value in versions.items()}, timeout=None)
    for name, value in versions.items():
        _known[name] = (value, now)


def invalidate(*names):
    """Stop serving every stored page and fragment that shows ``names``: now, so this
    process (and a test, which never commits) renders them afresh at once, and again after
    the commit, so that nothing rendered from the data as it was before is kept."""
    if not names:
        return
    _renew(names)
    transaction.on_commit(lambda: _renew(names), robust=True)
