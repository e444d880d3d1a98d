"""`masthead cache clear`: operators and editors empty the page cache and the rendered
parts of pages for every process, without touching what else the cache keeps."""

import io

import pytest
from django.core.cache import cache
from django.core.management import call_command

from masthead.core import fragments
from tests.publishing.factories import make_site_tree


@pytest.mark.django_db
def test_cache_clear_makes_the_next_request_render_the_page_afresh(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        make_site_tree()
    client.get("/")
    assert client.get("/")["X-Cache"] == "hit"
    output = io.StringIO()

    call_command("cache", "clear", stdout=output)

    assert client.get("/")["X-Cache"] == "miss"
    assert output.getvalue() == (
        "Emptied the page cache: every web process renders pages afresh within 0.5 seconds.\n"
    )


def test_cache_clear_drops_rendered_fragments_and_keeps_the_rest_of_the_cache(settings):
    settings.FRAGMENT_CACHE_SECONDS = 600
    renders = []

    def render():
        renders.append(1)
        return f"<nav>render {len(renders)}</nav>"

    cache.set("masthead:test:a-rate-limit", 7)
    first = fragments.rendered_fragment(("test", "header"), render)
    again = fragments.rendered_fragment(("test", "header"), render)

    call_command("cache", "clear", stdout=io.StringIO())

    after = fragments.rendered_fragment(("test", "header"), render)
    assert [first, again, after] == [
        "<nav>render 1</nav>",
        "<nav>render 1</nav>",
        "<nav>render 2</nav>",
    ]
    assert cache.get("masthead:test:a-rate-limit") == 7
