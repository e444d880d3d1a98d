"""Bulk work (an import) empties the page cache once, when ``deferred()`` ends, not at every
save; other threads invalidate as always meanwhile."""

import threading

import pytest

from masthead.core import cache_invalidation

pytestmark = pytest.mark.django_db


@pytest.fixture
def emptied(monkeypatch):
    calls = []
    monkeypatch.setattr(cache_invalidation, "invalidate_pages", lambda: calls.append(1))
    return calls


def test_inside_deferred_the_cache_is_emptied_once_at_the_end(
    emptied, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with cache_invalidation.deferred():
            with cache_invalidation.deferred():  # nested: only the outermost empties it
                for _ in range(5):
                    cache_invalidation.invalidate_now_and_after_commit()
            assert emptied == []
        # At once, and again after the commit.
        assert emptied == [1]
    assert emptied == [1, 1]


def test_another_thread_invalidates_as_always_meanwhile(emptied):
    with cache_invalidation.deferred():
        # No transaction there: "after the commit" runs at once too.
        worker = threading.Thread(target=cache_invalidation.invalidate_now_and_after_commit)
        worker.start()
        worker.join()
        assert emptied == [1, 1]


def test_nothing_saved_inside_means_nothing_emptied(emptied):
    with cache_invalidation.deferred():
        pass
    assert emptied == []
