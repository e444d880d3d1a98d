"""Search sources: every registered source is asked, in registration order, and only the
sources that found something get a group on the search page."""

from masthead.core import search
from masthead.core.search import register_search_source, search_groups, search_sources


def test_the_shop_is_a_registered_search_source():
    [shop] = [source for source in search_sources() if source.name == "shop"]

    assert shop.template == "shop/includes/search_results.html"
    assert shop.stylesheets == ("shop/shop.css",)


def test_each_source_that_finds_something_gets_a_group_in_registration_order(monkeypatch):
    monkeypatch.setattr(search, "_sources", {})
    asked = []

    def letters(query):
        asked.append(("letters", query))
        return [f"Letter about {query}"]

    def events(query):
        asked.append(("events", query))
        return []

    def podcasts(query):
        asked.append(("podcasts", query))
        return [f"Episode on {query}", "Bonus episode"]

    register_search_source("letters", letters, template="letters/search.html")
    register_search_source("events", events, template="events/search.html")
    register_search_source(
        "podcasts", podcasts, template="podcasts/search.html", stylesheets=["css/audio.css"]
    )

    groups = search_groups("ferry")

    assert asked == [("letters", "ferry"), ("events", "ferry"), ("podcasts", "ferry")]
    assert [(group.source.name, group.results) for group in groups] == [
        ("letters", ["Letter about ferry"]),
        ("podcasts", ["Episode on ferry", "Bonus episode"]),
    ]
    assert groups[1].source.stylesheets == ("css/audio.css",)
