"""Relevance ranking on SQLite done in one pass over the full-text index instead of one per
matching page (the site search backend, ``masthead.core.search_backend``, uses it on
SQLite). Imported only there: Wagtail's SQLite modules need SQLite's full-text tables.

Wagtail's SQLite backend ranks results with a correlated subquery: for every page the
filters let through, it runs the full-text match again to read that page's score, and
with the content type in the same WHERE clause SQLite's planner runs even the plain match
once per index entry of that type. With a few hundred matches ("council" on an outlet of
1,000 articles) that was most of a search page's time (about 45 ms of 60). Here the match
runs once and returns every matching object's score; the caller's queryset (live, public,
on this site) then filters those ids in one query, the page of results is sliced from the
ranked ids, and only that page's objects are read, with the queryset's own select and
prefetch. The order is the backend's own: score ascending (SQLite's bm25 is lower for
better matches), then newest id first.
"""

import json

from modelsearch.backends.database.sqlite.query import MatchExpression, normalize
from modelsearch.backends.database.sqlite.sqlite import (
    SQLiteFTSIndexEntry,
    SQLiteSearchBackend,
    SQLiteSearchQueryCompiler,
    SQLiteSearchResults,
)
from modelsearch.query import MatchAll, Not
from modelsearch.utils import get_descendants_content_types_pks

from masthead.core.search_ranked import IdListMixin, RankedOnceResultsMixin, best_per_object


class RankedOnce(IdListMixin, SQLiteSearchQueryCompiler):
    """SQLite's compiler, which ranks the matches of a relevance-ordered search at once."""

    ID_LIST_SQL = "SELECT value FROM json_each(%s)"

    def id_list_parameter(self, ids):
        return json.dumps(ids)

    def ranked_ids(self, config):
        """[(object id, score)] of every object of this model the query matches, best
        first, or None when this search is not one ranked here."""
        if not self.order_by_relevance:
            return None
        normalized = normalize(self.query)
        if isinstance(normalized, (MatchAll, Not)):
            return None
        match = MatchExpression(
            self.fields or self.FTS_TABLE_FIELDS,
            self.build_search_query(normalized, config=config),
        )
        rank = self._build_rank_expression(self.get_search_vectors(), config)
        content_types = set(get_descendants_content_types_pks(self.queryset.model))
        # The content types are filtered here, not in SQL: with them in the WHERE clause
        # SQLite's planner walks the index entries of those types and runs the full-text
        # match once per entry (20 ms for 1,000 articles), instead of matching once (1 ms).
        scored = (
            SQLiteFTSIndexEntry.objects.filter(match)
            .annotate(score=rank)
            .values_list("index_entry__object_id", "index_entry__content_type_id", "score")
        )
        ranked = best_per_object(
            (
                (object_id, score)
                for object_id, content_type, score in scored
                if content_type in content_types
            ),
            better=lambda new, old: new < old,
        )
        return sorted(ranked.items(), key=lambda item: (item[1], -item[0]))


class RankedOnceResults(RankedOnceResultsMixin, SQLiteSearchResults):
    """SQLite's results, counted and paged from one ranking pass (``search_ranked``)."""


class RankedOnceBackend(SQLiteSearchBackend):
    query_compiler_class = RankedOnce
    results_class = RankedOnceResults
