"""The work on an imported item that needs no database, done ahead in a second process
while this one writes the items before it.

An import writes to the database in one process, item after item, in order (the items
depend on each other: an attachment before the post that shows it). Much of each item's
time is not the database's: a post's body made into blocks and sanitised, its comments
sanitised, an attachment's file read, checked with Pillow and cleaned of its metadata.
``ahead(items, prepare)`` hands the items to one worker process as they are read, in
chunks of ``CHUNK`` (each hand-over costs the importing process a wake-up of the
executor's threads, which then compete with it for the interpreter), keeps at most
``WINDOW`` chunks in flight (memory stays bounded; the file is still read as a stream),
and yields the items back in order, each with ``item.prepared`` set to what
``prepare(item)`` returned there, or None when that failed (the importer then does the
work itself, as it does with no worker, and so fails or reports exactly as it would).

The worker is forked from the importing process: it starts at once with Django already
set up and shares its memory until either writes. (``spawn`` would start a second
Django, and run again whatever the script that started the import does at its top
level, when it has no ``if __name__ == "__main__"`` guard: a second import.) The child
never touches the database connections it inherits, and leaves with ``os._exit``, so
they are not closed under the parent. A fork copies only the thread that forks: the
worker runs nothing but the HTML conversion, the sanitiser and Pillow, which share no
lock with the other threads a process may have (the task worker's scheduler). It is
used only for imports of at least ``MIN_ITEMS`` items; if it cannot be started, or dies,
the import goes on without it.

A prepared body holds, in place of each image, a ``PendingImage`` naming the call to the
image resolver it stands for: the importer then resolves the images in the same order
(see ``resolve_body``).
"""

import logging
import multiprocessing
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from masthead.transfer.html import to_blocks

logger = logging.getLogger(__name__)

# Items handed to the worker at once, and chunks handed and not yet taken back: the
# worker runs at most CHUNK * WINDOW items ahead.
CHUNK = 16
WINDOW = 4
# Smaller imports are prepared in the importing process (no worker to start).
MIN_ITEMS = 1000


@dataclass(frozen=True)
class PendingImage:
    """The image of the ``index``-th call to the resolver, resolved by the importer."""

    index: int


def _prepare_chunk(prepare, items):
    """``prepare(item)`` for each item, None for one that fails (in the worker)."""
    results = []
    for item in items:
        try:
            results.append(prepare(item))
        except Exception:
            results.append(None)
    return results


def prepare_body(html):
    """``to_blocks(html)`` with every image pending: (blocks, notes, calls), ``calls`` the
    ``(src, alt)`` of each call to the resolver, in order. Which images the conversion
    asks for, and in what order, does not depend on what the resolver answers."""
    calls = []

    def pending(src, alt):
        calls.append((src, alt))
        return PendingImage(len(calls) - 1)

    blocks, notes = to_blocks(html, images=pending)
    return blocks, notes, calls


def resolve_body(html, prepared, images):
    """(blocks, notes) as ``to_blocks(html, images=images)`` gives them, from ``prepared``
    (``prepare_body``'s result): the images are resolved in the order the conversion
    asked for them; when all are found they take their places, else (an image left out
    changes the blocks around it) the conversion runs again here with those answers."""
    blocks, notes, calls = prepared
    found = [images(src, alt) for src, alt in calls]
    if all(image is not None for image in found):
        return [
            (kind, {**value, "image": found[value["image"].index]})
            if kind == "image" and isinstance(value.get("image"), PendingImage)
            else (kind, value)
            for kind, value in blocks
        ], notes
    answers = iter(found)
    return to_blocks(html, images=lambda _src, _alt: next(answers))


class _Ahead:
    def __init__(self, items, prepare):
        self.items = items
        self.prepare = prepare
        self.executor = None

    def __iter__(self):
        try:
            self.executor = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("fork"),
            )
        except (OSError, ValueError) as error:
            logger.warning("The import goes on without a worker process: %s", error)
            for item in self.items:
                item.prepared = None
                yield item
            return
        try:
            pending = deque()
            chunk = []
            for item in self.items:
                chunk.append(item)
                if len(chunk) == CHUNK:
                    pending.append((chunk, self._submit(chunk)))
                    chunk = []
                if len(pending) >= WINDOW:
                    yield from self._take(*pending.popleft())
            if chunk:
                pending.append((chunk, self._submit(chunk)))
            while pending:
                yield from self._take(*pending.popleft())
        finally:
            self.executor.shutdown(wait=True, cancel_futures=True)

    def _submit(self, chunk):
        try:
            return self.executor.submit(_prepare_chunk, self.prepare, chunk)
        except Exception:  # a broken pool: these items are prepared by the importer
            return None

    def _take(self, chunk, future):
        try:
            results = future.result() if future is not None else [None] * len(chunk)
        except Exception:  # the worker failed or died: the importer does the work
            logger.debug("Items were not prepared ahead", exc_info=True)
            results = [None] * len(chunk)
        for item, prepared in zip(chunk, results, strict=True):
            item.prepared = prepared
        return chunk


def ahead(items, prepare):
    """``items`` back, in order, each with ``item.prepared``: ``prepare(item)`` as the
    worker process returned it, or None. ``prepare`` must be a module-level function
    (it is sent to the worker by name)."""
    return iter(_Ahead(items, prepare))
