"""The cache Wagtail keeps image renditions in, without writing them back at every render.

Wagtail looks a page's renditions up in its cache (``Image.get_renditions``) and then
writes every rendition it did not mark as found in a cache back to it. It marks those it
found prefetched, but not those it found in the cache itself: so every render of a page
wrote its pictures' renditions again (pickled, in memory, or a round trip to Redis), for
nothing. About a twentieth of a cold article page.

These backends mark what they return as Wagtail marks prefetched renditions
(``_from_cache``), so only renditions read from the database or just made are written.
Settings use them for the ``renditions`` cache alias (``masthead.settings``).
"""

import contextlib

from django.core.cache.backends.locmem import LocMemCache

from masthead.core.resilient_cache import ResilientRedisCache


class FoundRenditionsMixin:
    """``get_many`` marks each rendition it returns as found in the cache."""

    def get_many(self, keys, version=None, **kwargs):
        found = super().get_many(keys, version=version, **kwargs)
        for rendition in found.values():
            # Anything else (not a rendition) has nothing of Wagtail's to mark.
            with contextlib.suppress(AttributeError):
                rendition._from_cache = True
        return found


class RenditionLocMemCache(FoundRenditionsMixin, LocMemCache):
    """Each process's own memory, for the renditions (beside a file cache)."""


class RenditionRedisCache(FoundRenditionsMixin, ResilientRedisCache):
    """The shared Redis cache, for the renditions."""
