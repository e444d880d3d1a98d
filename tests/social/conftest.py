"""Fixtures of the social tests: an outlet with an article, and a fake fediverse."""

import pytest

from masthead.social import fetching
from tests.publishing.factories import make_article, make_author, make_site_tree
from tests.social.fediverse import FakeInstance

SITE = "http://127.0.0.1:8000"


@pytest.fixture(autouse=True)
def pooled_connections_closed():
    """Masthead keeps connections to the fake servers alive in its pool; closing them after
    each test lets those servers' request threads end, instead of waiting on them for ever
    (a later test that waits for request threads to finish would wait for these too)."""
    yield
    fetching.http_pool().clear()


@pytest.fixture
def outlet(db, settings):
    """The site tree with one author and one live article; SITE_URL is SITE."""
    settings.SITE_URL = SITE
    tree = make_site_tree()
    tree.author = make_author(tree.author_index, "Sam Rivers", bio="<p>Covers the council.</p>")
    tree.article = make_article(
        tree.section, [tree.author], title="Bridge repairs to finish in spring", tags=["Transport"]
    )
    return tree


@pytest.fixture
def fediverse():
    """Start fake servers with ``fediverse(count, **options)``; all stop after the test."""
    started = []
    next_address = iter(range(2, 250))

    def start(**options):
        instance = FakeInstance(f"127.0.0.{next(next_address)}", **options).start()
        started.append(instance)
        return instance

    yield start
    for instance in started:
        instance.stop()
