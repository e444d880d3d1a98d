"""Site search beyond the articles: other apps register a source from their wiring (the
shop its products), and the search page shows each source's matches as a group of its
own, beside the articles, without knowing which apps they come from."""

from dataclasses import dataclass


@dataclass(frozen=True)
class SearchSource:
    """One app's group on the search page.

    ``search(query)`` returns the matches for a cleaned, non-empty query (an empty list
    when none match); the page includes ``template`` with them as ``results``, and links
    ``stylesheets`` (static paths) in its head when there are any.
    """

    name: str
    search: object
    template: str
    stylesheets: tuple = ()


@dataclass(frozen=True)
class SearchGroup:
    """A source's matches for one query, as the search page shows them."""

    source: SearchSource
    results: list


_sources = {}


def register_search_source(name, search, *, template, stylesheets=()):
    """Show ``search(query)``'s matches on the search page, included with ``template``."""
    _sources[name] = SearchSource(name, search, template, tuple(stylesheets))


def search_sources():
    return list(_sources.values())


def search_groups(query):
    """Every registered source's matches for ``query``, in registration order, leaving out
    sources that found nothing."""
    groups = [SearchGroup(source, source.search(query)) for source in _sources.values()]
    return [group for group in groups if group.results]
