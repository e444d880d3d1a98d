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

The matching and ranking part of that query is built by the ORM the first time a search of
a given form runs in a process, and only its search terms change after that
(``PreparedMatches``): building and compiling it cost more than a third of a millisecond,
twice a search page (the articles and the shop's products).
"""

import functools

from django.db.models.signals import class_prepared
from modelsearch.utils import get_descendant_models

# More matches than this are ranked the backend's own way, which reads only one page of
# them rather than every match's score.
MAX_RANKED_IN_ONE_PASS = 5000


def allowed_ids(queryset):
    """The SQL and parameters of a subquery of the ids of ``queryset``'s objects, which the
    ranking keeps to: the queryset's own ``ids_subquery()`` where it has one (publishing's
    articles prepare theirs), else compiled by Django."""
    ids_subquery = getattr(queryset, "ids_subquery", None)
    if ids_subquery is not None:
        return ids_subquery()
    return queryset.order_by().values("pk").query.sql_with_params()


@functools.cache
def _descendant_models(model):
    """``get_descendant_models(model)``, which looks through every model, once per model
    (and anew after a model class is made, as tests do)."""
    return tuple(get_descendant_models(model))


class_prepared.connect(lambda **kwargs: _descendant_models.cache_clear(), weak=False)


def content_type_ids(model):
    """The ids of the content types of ``model`` and its subclasses, sorted
    (``get_descendants_content_types_pks``): Django keeps content types per process."""
    from django.contrib.contenttypes.models import ContentType

    types = ContentType.objects.get_for_models(*_descendant_models(model))
    return tuple(sorted(content_type.pk for content_type in types.values()))


def _form(query):
    """What of a search query shapes its SQL, without its words: its kind, operator and
    boost, and the same of the queries it is made of."""
    children = getattr(query, "subqueries", None)
    if children is None:
        children = [query.subquery] if hasattr(query, "subquery") else []
    return (
        type(query),
        getattr(query, "operator", None),
        getattr(query, "boost", None),
        tuple(_form(child) for child in children),
    )


def _term_slots(sql, params, term_sql, term_params):
    """Where the search terms' parameters are among the matching query's, as (position,
    index in ``term_params``), or None when they cannot be told apart: the terms' SQL must
    appear whole in the query some number of times, and exactly that many copies of their
    parameters, in order, be among its parameters (a constant equal to a term, say a
    number searched for, makes the count differ)."""
    copies = sql.count(term_sql)
    positions = [
        position
        for position, value in enumerate(params)
        if any(type(value) is type(term) and value == term for term in term_params)
    ]
    if not copies or len(positions) != copies * len(term_params):
        return None
    if [params[position] for position in positions] != list(term_params) * copies:
        return None
    return tuple((position, index % len(term_params)) for index, position in enumerate(positions))


class PreparedMatches:
    """For a backend's compiler: the SQL of its ``scored_matches`` (every index entry of
    the model's types the query matches, with its score), built by the ORM once per form
    of search and per process, then with only the search terms' parameters changed.

    The compiler gives ``match_term(config)``: the SQL and parameters of the search terms
    alone, as the matching query holds them (one parameter for a plain search on both
    databases: the tsquery on PostgreSQL, the MATCH string on SQLite), or None when it
    does not rank this search. A form is the compiler's class, the model and its types'
    ids, the database, the configuration, the fields, the query's structure and the terms'
    SQL; the terms' positions among the parameters are found, and checked, from the first
    search of that form (``_term_slots``), and a form where they cannot be is built by the
    ORM every time. Nothing about the data is kept."""

    _matches_forms = {}

    def matches_sql(self, config):
        """(SQL, parameters) of ``scored_matches(config)``, or None when this search is
        not ranked here."""
        term = self.match_term(config)
        if term is None:
            return None
        term_sql, term_params = term
        key = (
            type(self),
            self.queryset.model,
            content_type_ids(self.queryset.model),
            self.queryset.db,
            config,
            None if self.fields is None else tuple(self.fields),
            _form(self.query),
            term_sql,
            len(term_params),
        )
        form = self._matches_forms.get(key)
        if form is not None:
            sql, params, slots = form
            params = list(params)
            for position, index in slots:
                params[position] = term_params[index]
            return sql, params
        scored = self.scored_matches(config)
        if scored is None:
            return None
        sql, params = scored.query.sql_with_params()
        slots = _term_slots(sql, params, term_sql, term_params)
        if slots is not None:
            self._matches_forms[key] = (sql, tuple(params), slots)
        return sql, params


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
