"""The cache Wagtail keeps image renditions in, without writing them back at every render.

Wagtail looks a page's renditions up in its cache (``Image.get_renditions``) and then
writes every rendition it did not mark as found in a cache back to it. It marks those it
found prefetched, but not those it found in the cache itself: so every render of a page
wrote its pictures' renditions again (pickled, in memory, or a round trip to Redis), for
nothing. About a twentieth of a cold article page.

These backends mark what they return as Wagtail marks prefetched renditions
(``_from_cache``), so only renditions read from the database or just made are written.
And they write a rendition without the picture it was read with: Wagtail's renditions come
with their picture cached on them, which was pickled with each one and unpickled again at
every render, only for Wagtail to replace it with the picture being rendered (a rendition
read back took 24 µs, 5 µs without it; an article page reads about twenty).
Settings use them for the ``renditions`` cache alias (``masthead.settings``).
"""

import contextlib
import copy

from django.core.cache.backends.locmem import LocMemCache
from django.db.models.fields.files import FieldFile

from masthead.core.resilient_cache import ResilientRedisCache


def _without_related(value):
    """A copy of ``value`` (a rendition) without the related rows cached on it, and with its
    file as the file's name (a file refers to the instance it was read with, and so to its
    picture; Django makes the file again from its name when asked). Anything that is not a
    model instance as it is."""
    if getattr(value, "_state", None) is None:
        return value
    clone = copy.copy(value)
    clone._state.fields_cache = {}
    for name, item in clone.__dict__.items():
        if isinstance(item, FieldFile):
            clone.__dict__[name] = item.name
    return clone


class FoundRenditionsMixin:
    """``get_many`` marks each rendition it returns as found in the cache; what is written
    is written without its picture (``find_existing_renditions`` sets the picture being
    rendered on every rendition it reads)."""

    def set(self, key, value, *args, **kwargs):
        # Wagtail's get_rendition (one filter: the header's logo) writes back what it found
        # whatever it was; as its get_renditions does, what came from here or came
        # prefetched is not written again (about 30 µs a logo, on every page).
        if getattr(value, "_from_cache", False):
            return True
        return super().set(key, _without_related(value), *args, **kwargs)

    def set_many(self, data, *args, **kwargs):
        written = {key: _without_related(value) for key, value in data.items()}
        return super().set_many(written, *args, **kwargs)

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
