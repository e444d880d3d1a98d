"""The renditions cache (``masthead.core.rendition_cache``): renditions Wagtail finds there
are not written back at every render, and the settings use it beside a file or Redis cache."""

import socket
from unittest import mock

import pytest
from django.core.cache import caches
from django.test import override_settings
from wagtail.images.models import Filter

from masthead.core import rendition_cache
from masthead.settings import cache_from_url
from tests.publishing.factories import make_image
from tests.redis_lanes import REDIS_HOST, REDIS_PORT, redis_db
from tests.test_settings import settings_values

SPECS = ("fill-400x267|format-webp", "width-640")


def redis_reachable():
    try:
        socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=0.5).close()
    except OSError:
        return False
    return True


def renditions_caches():
    yield pytest.param(
        {"BACKEND": "masthead.core.rendition_cache.RenditionLocMemCache"}, id="memory"
    )
    redis = {
        **cache_from_url(f"redis://{REDIS_HOST}:{REDIS_PORT}/{redis_db('resilience')}"),
        "BACKEND": "masthead.core.rendition_cache.RenditionRedisCache",
        "KEY_PREFIX": "rendition-cache-test",
    }
    yield pytest.param(
        redis,
        id="redis",
        marks=pytest.mark.skipif(not redis_reachable(), reason="no Redis on 127.0.0.1:6379"),
    )


@pytest.mark.django_db
@pytest.mark.parametrize("renditions", list(renditions_caches()))
def test_renditions_found_in_the_cache_are_not_written_back(renditions):
    locmem = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    with override_settings(CACHES={"default": locmem, "renditions": renditions}):
        cache = caches["renditions"]
        cache.clear()
        image = make_image("Harbour at dawn", 900, 600)
        original = type(cache).set_many
        with mock.patch.object(
            type(cache), "set_many", autospec=True, side_effect=original
        ) as written:
            first = image.get_renditions(*SPECS)  # made, and written to the cache
            assert written.call_count == 1
            assert len(written.call_args.args[1]) == 2
            fresh = type(image).objects.get(pk=image.pk)  # a later request's picture
            again = fresh.get_renditions(*SPECS)
            # Found in the cache (no query), and not written back.
            assert written.call_count == 1
        assert {spec: r.url for spec, r in again.items()} == {
            spec: r.url for spec, r in first.items()
        }
        assert all(rendition.image is fresh for rendition in again.values())
        cache.clear()


@pytest.mark.django_db
@pytest.mark.parametrize("renditions", list(renditions_caches()))
def test_a_single_rendition_found_in_the_cache_is_not_written_back(renditions):
    """Wagtail's ``get_rendition`` (one filter, as the header's logo asks) writes what it
    found back to the cache every time; found here, it is not written again."""
    locmem = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    with override_settings(CACHES={"default": locmem, "renditions": renditions}):
        cache = caches["renditions"]
        cache.clear()
        image = make_image("Quay at noon", 900, 600)
        original = rendition_cache._without_related
        with mock.patch.object(
            rendition_cache, "_without_related", side_effect=original
        ) as written:
            first = image.get_rendition("height-96")  # made, and written
            assert written.call_count == 1
            for _ in range(3):  # later requests' pictures: found in the cache
                fresh = type(image).objects.get(pk=image.pk)
                again = fresh.get_rendition("height-96")
                assert again.url == first.url
                assert again.image is fresh
            assert written.call_count == 1
        cache.clear()


def test_the_settings_keep_renditions_with_the_backend_that_marks_them(tmp_path):
    beside_files = settings_values(tmp_path, "CACHES", CACHE_URL=f"file://{tmp_path / 'c'}")
    assert beside_files["CACHES"]["renditions"]["BACKEND"] == (
        "masthead.core.rendition_cache.RenditionLocMemCache"
    )
    url = "redis://127.0.0.1:6379/0"
    beside_redis = settings_values(tmp_path, "CACHES", CACHE_URL=url)
    assert beside_redis["CACHES"]["renditions"]["BACKEND"] == (
        "masthead.core.rendition_cache.RenditionRedisCache"
    )
    assert beside_redis["CACHES"]["renditions"]["LOCATION"] == url


@pytest.mark.django_db
@pytest.mark.parametrize("renditions", list(renditions_caches()))
def test_renditions_are_written_without_their_picture(renditions, django_assert_num_queries):
    """Wagtail's renditions carry the picture they were read with; the cache keeps them
    without it (it was unpickled at every render, then replaced by the picture rendered)."""
    locmem = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    with override_settings(CACHES={"default": locmem, "renditions": renditions}):
        cache = caches["renditions"]
        cache.clear()
        image = make_image("Quay at noon", 900, 600)
        made = image.get_renditions(*SPECS)
        assert all(rendition.image is image for rendition in made.values())
        for spec, rendition in made.items():
            key = type(rendition).construct_cache_key(
                image, Filter(spec=spec).get_cache_key(image), spec
            )
            stored = cache.get(key)
            assert stored.pk == rendition.pk
            assert stored._state.fields_cache == {}
            assert stored.__dict__["file"] == rendition.file.name  # not the file, its name
        fresh = type(image).objects.get(pk=image.pk)
        with django_assert_num_queries(0):
            again = fresh.get_renditions(*SPECS)
            assert [rendition.image.title for rendition in again.values()] == ["Quay at noon"] * 2
        assert {spec: r.url for spec, r in again.items()} == {
            spec: r.url for spec, r in made.items()
        }
        cache.clear()
