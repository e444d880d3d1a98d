"""Relevance ranking on SQLite done in one pass over the full-text index instead of one per
matching page (the site search backend, ``masthead.core.search_backend``, uses it on
SQLite). Imported only there: Wagtail's SQLite modules need SQLite's full-text tables.

Wagtail's SQLite backend ranks results with a correlated subquery: for every page the
filters let through, it runs the full-text match again to read that page's score, and
with the content type in the same WHERE clause SQLite's planner runs even the plain match
once per index entry of that type. With a few hundred matches ("council" on an outlet of
1,000 articles) that was most of a search page's time (about 45 ms of 60). Here the match
runs once, scoring only the entries of the caller's types, and the same query keeps each
matching object's best score, keeps only the objects of the caller's queryset (live,
public, on this site) and sorts them; the page of results is sliced from the ranked ids,
and only that page's objects are read, with the queryset's own select and prefetch. The
order is the backend's own: score ascending (SQLite's bm25 is lower for better matches),
then newest id first.
"""

from django.db import connections
from django.db.models import F
from django.db.models.sql import Query
from modelsearch.backends.database.sqlite.query import MatchExpression, normalize
from modelsearch.backends.database.sqlite.sqlite import (
    SQLiteFTSIndexEntry,
    SQLiteSearchBackend,
    SQLiteSearchQueryCompiler,
    SQLiteSearchResults,
)
from modelsearch.query import MatchAll, Not
from modelsearch.utils import get_descendants_content_types_pks

from masthead.core.search_ranked import (
    PreparedMatches,
    RankedOnceResultsMixin,
    allowed_ids,
)


class RankedOnce(PreparedMatches, SQLiteSearchQueryCompiler):
    """SQLite's compiler, which ranks the matches of a relevance-ordered search at once."""

    def ranked_allowed_ids(self, config):
        """[(object id, score)] of every object of the caller's queryset (live, public, on
        this site) the query matches, best first, or None when this search is not one ranked
        here. One query: the full-text match runs first, on its own (a materialized common
        table expression, which the planner cannot merge with the conditions after it),
        then SQLite keeps the model's types, each object's best score and the caller's
        objects, and sorts them (the rows read through the ORM, then filtered by a second
        query, cost about twice as long)."""
        matches = self.matches_sql(config)
        if matches is None:
            return None
        matches_sql, matches_params = matches
        allowed_sql, allowed_params = allowed_ids(self.queryset)
        sql = (
            f"WITH matches AS MATERIALIZED ({matches_sql}) "  # noqa: S608 - the ORM's own SQL, parameters apart
            "SELECT best.id, best.score FROM ("
            "SELECT CAST(matches.index_entry__object_id AS INTEGER) AS id, "
            "MIN(matches.score) AS score FROM matches GROUP BY 1"
            f") AS best WHERE best.id IN ({allowed_sql}) ORDER BY best.score, best.id DESC"
        )
        with connections[self.queryset.db].cursor() as cursor:
            cursor.execute(sql, (*matches_params, *allowed_params))
            return [tuple(row) for row in cursor.fetchall()]

    def _match(self, config):
        """The full-text MATCH this search makes, or None when it is not ranked here."""
        if not self.order_by_relevance:
            return None
        normalized = normalize(self.query)
        if isinstance(normalized, (MatchAll, Not)):
            return None
        return MatchExpression(
            self.fields or self.FTS_TABLE_FIELDS,
            self.build_search_query(normalized, config=config),
        )

    def match_term(self, config):
        """The SQL and parameters of the MATCH alone (``PreparedMatches``)."""
        match = self._match(config)
        if match is None:
            return None
        return Query(SQLiteFTSIndexEntry).get_compiler(self.queryset.db).compile(match)

    def scored_matches(self, config):
        """The (object id, score) rows of every index entry of this model's types the query
        matches, or None when this search is not one ranked here."""
        match = self._match(config)
        if match is None:
            return None
        rank = self._build_rank_expression(self.get_search_vectors(), config)
        content_types = sorted(get_descendants_content_types_pks(self.queryset.model))
        # The content types are compared as an expression (the column plus 0), which no
        # index serves: compared as the column, SQLite's planner walks the index entries of
        # those types and runs the full-text match once per entry (20 ms for 1,000
        # articles) instead of matching once (1 ms). Filtered in the same WHERE clause as
        # the match, only the entries of those types are scored: the shop's products were
        # scored against every article that matched, then dropped (a seventh of a search).
        return (
            SQLiteFTSIndexEntry.objects.filter(match)
            .alias(entry_type=F("index_entry__content_type_id") + 0)
            .filter(entry_type__in=content_types)
            .annotate(score=rank)
            .values_list("index_entry__object_id", "score")
        )


class RankedOnceResults(RankedOnceResultsMixin, SQLiteSearchResults):
    """SQLite's results, counted and paged from one ranking pass (``search_ranked``)."""


class RankedOnceBackend(SQLiteSearchBackend):
    query_compiler_class = RankedOnce
    results_class = RankedOnceResults
