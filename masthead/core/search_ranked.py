"""Search results that take their count and their page from one ranking pass (the site
search backend, ``masthead.core.search_backend``): the compiler returns every matching
object's id in the backend's own order (``ranked_ids``), the caller's queryset (live,
public, on this site) filters those ids in one query, the page of results is sliced from
them, and only that page's objects are read, with the queryset's own select and prefetch.
Wagtail's database backends instead run the full-text match with the ranking twice, once
to count and once for the page, each joined to every page the queryset lets through.
Imported on any database; the compilers live in ``search_sqlite`` and ``search_postgres``.
"""

from django.db.models.expressions import RawSQL

# More matches than this are ranked the backend's own way, which reads only one page of
# them rather than every match's score.
MAX_RANKED_IN_ONE_PASS = 5000


class RankedOnceResultsMixin:
    """For a backend's results class: the count and each page from the compiler's one
    ranking pass when it can rank (``ranked_ids`` returns a list), the backend's own way
    otherwise."""

    def _ranking(self):
        # Kept on the compiler, which every slice of these results shares (a paginator
        # counts the results, then slices them).
        compiler = self.query_compiler
        if not hasattr(compiler, "ranked_matches"):
            ranked = None
            filtered = hasattr(compiler, "ranked_allowed_ids")
            if self._score_field is None and filtered:
                # The caller's queryset is applied by the ranking's own query.
                ranked = compiler.ranked_allowed_ids(compiler.get_config(self.backend))
            elif self._score_field is None and hasattr(compiler, "ranked_ids"):
                ranked = compiler.ranked_ids(compiler.get_config(self.backend))
            if ranked is not None and len(ranked) > MAX_RANKED_IN_ONE_PASS:
                ranked = None
            if ranked and not filtered:  # no query when nothing matched
                ids = [pk for pk, _score in ranked]
                allowed = set(
                    compiler.queryset.filter(pk__in=compiler.id_list(ids)).values_list(
                        "pk", flat=True
                    )
                )
                ranked = [(pk, score) for pk, score in ranked if pk in allowed]
            compiler.ranked_matches = ranked
        return compiler.ranked_matches

    def _do_search(self):
        ranked = self._ranking()
        if ranked is None:
            return super()._do_search()
        page = ranked[self.start : self.stop]
        objects = self.query_compiler.queryset.in_bulk([pk for pk, _score in page])
        return [objects[pk] for pk, _score in page if pk in objects]

    def _do_count(self):
        ranked = self._ranking()
        if ranked is None:
            return super()._do_count()
        return len(ranked)


class IdListMixin:
    """For a ranking compiler: ``id_list(ids)``, the ids as one query parameter for
    ``pk__in`` (``ID_LIST_SQL``, a subquery that unpacks it) instead of one parameter each.
    A few hundred matches (each an ``IN`` parameter the ORM prepares one by one) cost more
    to put into the query than the query took to run."""

    ID_LIST_SQL = None

    def id_list(self, ids):
        # A constant SQL text per database; the ids go in as a parameter.
        return RawSQL(self.ID_LIST_SQL, (self.id_list_parameter(ids),))  # noqa: S611

    def id_list_parameter(self, ids):
        return ids


def best_per_object(scored, better):
    """``{object id: score}`` from ``(object id, score)`` rows, an object's best score
    kept should it have two entries (``better(new, old)`` says which is better)."""
    ranked = {}
    for object_id, score in scored:
        key = int(object_id)
        if key not in ranked or better(score, ranked[key]):
            ranked[key] = score
    return ranked
