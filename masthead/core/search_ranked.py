"""Search results that take their count and their page from one ranking pass (the site search
backend, ``masthead.core.search_backend``): the compiler's one query
(``ranked_allowed_ids``) matches, ranks and keeps each object's best score, keeps only the
objects of the caller's queryset (live, public, on this site), and returns their ids in the
backend's own order; the page of results is sliced from them, and only that page's objects
are read, with the queryset's own select and prefetch (a listing of article cards reads them
only when a card is not kept: ``ArticleQuerySet.pending`` in publishing). Wagtail's database
backends instead run the full-text match with the ranking twice, once to count and once for
the page, each joined to every page the queryset lets through. Imported on any database; the
compilers live in ``search_sqlite`` and ``search_postgres``.
"""

# More matches than this are ranked the backend's own way, which reads only one page of
# them rather than every match's score.
MAX_RANKED_IN_ONE_PASS = 5000


class RankedOnceResultsMixin:
    """For a backend's results class: the count and each page from the compiler's one
    ranking pass when it can rank (``ranked_allowed_ids`` returns a list), the backend's
    own way otherwise."""

    def _ranking(self):
        # Kept on the compiler, which every slice of these results shares (a paginator
        # counts the results, then slices them).
        compiler = self.query_compiler
        if not hasattr(compiler, "ranked_matches"):
            ranked = None
            if self._score_field is None and hasattr(compiler, "ranked_allowed_ids"):
                ranked = compiler.ranked_allowed_ids(compiler.get_config(self.backend))
            if ranked is not None and len(ranked) > MAX_RANKED_IN_ONE_PASS:
                ranked = None
            compiler.ranked_matches = ranked
        return compiler.ranked_matches

    def _do_search(self):
        ranked = self._ranking()
        if ranked is None:
            return super()._do_search()
        page = ranked[self.start : self.stop]
        queryset = self.query_compiler.queryset
        # A listing of cards (publishing's articles) reads its rows only if a card is not
        # kept: the ranking has already kept to the queryset's objects.
        pending = getattr(queryset, "pending", None)
        objects = pending([pk for pk, _score in page]) if pending is not None else None
        if objects is not None:
            return objects
        objects = queryset.in_bulk([pk for pk, _score in page])
        return [objects[pk] for pk, _score in page if pk in objects]

    def _do_count(self):
        ranked = self._ranking()
        if ranked is None:
            return super()._do_count()
        return len(ranked)
