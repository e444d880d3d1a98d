"""Relevance ranking on PostgreSQL done in one pass over the search index (the site search
backend, ``masthead.core.search_backend``, uses it on PostgreSQL).

Wagtail's PostgreSQL backend joins every page the caller's queryset lets through to its
index entry, matches the full-text query and ranks, and does it twice: once to count the
results and once for the page (about 30 ms of a search page for "council" on an outlet of
1,000 articles). Here the index entries of the model's types are matched and ranked once,
with the same query and rank expressions as Wagtail's (``ts_rank`` over the title, weighted
by its norm, plus over the body), and ``search_ranked`` does the rest. The order is the
backend's own: rank descending, then newest id first.
"""

from django.db import connections
from django.db.models import F
from django.db.models.sql import Query
from modelsearch.backends.database.postgres.postgres import (
    IndexEntry,  # the index entry model of the app that holds the index (Wagtail's)
    PostgresSearchBackend,
    PostgresSearchQueryCompiler,
    PostgresSearchResults,
)
from modelsearch.query import Fuzzy, MatchAll, Not
from modelsearch.utils import get_descendants_content_types_pks

from masthead.core.search_ranked import (
    PreparedMatches,
    RankedOnceResultsMixin,
    allowed_ids,
)


class RankedOncePostgres(PreparedMatches, PostgresSearchQueryCompiler):
    """PostgreSQL's compiler, which ranks the matches of a relevance-ordered search over
    the whole index at once."""

    def ranked_allowed_ids(self, config):
        """[(object id, rank)] of every object of the caller's queryset (live, public, on
        this site) the query matches, best first, or None when this search is not one
        ranked here (not by relevance, over named fields rather than the index, fuzzy, or
        matching everything). One query: the matches are ranked, each object's best rank
        kept, filtered by the caller's queryset and sorted by PostgreSQL, which returns them
        as two arrays (a few hundred rows read one by one through the ORM, then filtered by
        a second query, cost about twice as long)."""
        matches = self.matches_sql(config)
        if matches is None:
            return None
        matches_sql, matches_params = matches
        allowed_sql, allowed_params = allowed_ids(self.queryset)
        order = "ORDER BY best.score DESC, best.id DESC"
        sql = (
            f"SELECT array_agg(best.id {order}), array_agg(best.score {order}) FROM ("  # noqa: S608 - the ORM's own SQL, parameters apart
            "SELECT matches.object_id::bigint AS id, MAX(matches.score) AS score "
            f"FROM ({matches_sql}) AS matches GROUP BY 1"
            f") AS best WHERE best.id IN ({allowed_sql})"
        )
        with connections[self.queryset.db].cursor() as cursor:
            cursor.execute(sql, (*matches_params, *allowed_params))
            ids, scores = cursor.fetchone()
        return list(zip(ids or (), scores or (), strict=True))

    def _search_query(self, config):
        """The tsquery this search matches, or None when it is not ranked here."""
        if not self.order_by_relevance or self.fields is not None:
            return None
        query = self.query
        if isinstance(query, (MatchAll, Fuzzy)) or (
            isinstance(query, Not) and isinstance(query.subquery, MatchAll)
        ):
            return None
        return self.build_tsquery(query, config=config)

    def match_term(self, config):
        """The SQL and parameters of the tsquery alone (``PreparedMatches``)."""
        search_query = self._search_query(config)
        if search_query is None:
            return None
        query = Query(IndexEntry)
        compiler = query.get_compiler(self.queryset.db)
        return compiler.compile(search_query.resolve_expression(query))

    def scored_matches(self, config):
        """The (object id, rank) rows of every index entry of this model's types the query
        matches (an object may have two), or None when this search is not ranked here."""
        search_query = self._search_query(config)
        if search_query is None:
            return None
        # Wagtail's index vectors, named from the index entry instead of from the page.
        vectors = [(F("title"), F("title_norm")), (F("body"), 1.0)]
        rank = self._build_rank_expression(vectors, config)
        scored = (
            IndexEntry.objects.filter(
                content_type_id__in=get_descendants_content_types_pks(self.queryset.model)
            )
            .annotate(_vector_=F("title")._combine(F("body"), "||", False))
            .filter(_vector_=search_query)
            .annotate(score=rank)
            .values_list("object_id", "score")
        )
        return scored


class RankedOncePostgresResults(RankedOnceResultsMixin, PostgresSearchResults):
    """PostgreSQL's results, counted and paged from one ranking pass (``search_ranked``)."""


class RankedOncePostgresBackend(PostgresSearchBackend):
    query_compiler_class = RankedOncePostgres
    results_class = RankedOncePostgresResults
