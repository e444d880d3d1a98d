"""Queries whose SQL is built once per process, then only executed.

A cold page asks the database a dozen small questions, and for each Django builds a
query (``filter()``, joins, lookups) and compiles it to SQL, listing every column of
Wagtail's wide page tables: about a third of a cold article page, several times what
the database itself takes. The questions are the same on every request; only the ids
and slugs in them change.

``PreparedQuery(build)`` takes a function that builds the queryset from its arguments.
The first time it is called with arguments of a given shape (which argument is a list,
and how long), it builds and compiles the queryset twice, with two sets of stand-in
values, and finds where each argument lands among the SQL's parameters; every later
call with that shape only copies the parameters with the arguments in their places and
runs the SQL. The rows become model instances exactly as the queryset would make them
(its iterable: models, values or values lists; its ``select_related`` and
``prefetch_related``; a queryset subclass's own ``_fetch_all``).

What the build may depend on: its arguments alone, and never on data (a filter built
from rows read at the time, such as Wagtail's ``public()`` with private pages, would be
kept with the SQL). What is checked when a shape is prepared: a query whose SQL or other
parameters differ between the two compilations (a clock read in the build, say) is
refused, and so is an argument that does not reach the SQL as given (``pk=len(name)``),
except within a LIKE pattern (``startswith``, ``contains``), which is escaped and wrapped
as Django does. Arguments are integers, strings, or lists of either; a list is padded to
a power of two by repeating its last value, so it belongs in an ``__in`` lookup. A shape
Django answers without compiling it (an empty list) is built and run as usual every time.

Nothing is kept about the data: what is kept is SQL text, per database alias and engine,
which changes only with the code.
"""

import threading

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.fields.related_descriptors import ForwardManyToOneDescriptor

# Stand-ins: values no argument reaches by chance, told apart from each other and from
# the constants a query holds (booleans, depths, limits). The strings hold LIKE's wildcards,
# so that a lookup which escapes its value is seen to.
# The integers fit PostgreSQL's integer column (Django finds an out-of-range value matches
# nothing, and leaves it out of the SQL).
_INT_PROBES = (2_000_000_001, 2_100_000_001)
_STR_PROBES = ("\x1fprepared_a%{}\x1f", "\x1fprepared_b%{}\x1f")


class PreparationError(ValueError):
    """The query cannot be prepared: its SQL depends on more than its arguments."""


class _Unprepared:
    """A shape Django answers without compiling it all (an empty ``__in``, a stand-in out
    of a small column's range): built and run as it is, every time."""


class _Shape:
    """One shape's compiled SQL and where its arguments go among the parameters."""

    def __init__(self, queryset, compiler, sql, params, slots):
        self.queryset = queryset
        self.compiler = compiler
        self.sql = sql
        self.params = params
        # (parameter position, argument index, index in a list or None, LIKE pattern or None)
        self.slots = slots

    def params_for(self, alias, args):
        """This shape's parameters with ``args`` in their places."""
        params = list(self.params)
        for position, argument, item, pattern in self.slots:
            value = args[argument]
            if item is not None:
                value = value[item]
            if pattern is not None:
                prefix, suffix = pattern
                value = f"{prefix}{connections[alias].ops.prep_for_like_query(value)}{suffix}"
            params[position] = value
        return params

    def run(self, alias, args, rebuild, rows=None):
        """The queryset for ``args``, evaluated: its rows read with the kept SQL, or
        ``rows`` when given (read by the caller, as Django would make them)."""
        params = self.params_for(alias, args)
        compiler = _copy(self.compiler)
        compiler.connection = connections[alias]
        sql = self.sql
        compiler.as_sql = lambda *_args, **_kwargs: (sql, params)
        query = _copy(self.queryset.query)
        query.get_compiler = lambda *_args, **_kwargs: compiler
        # The query holds the stand-ins' conditions, and its compiler this SQL alone: a
        # queryset made from this one (filtered, ordered, counted afresh) starts from the
        # query Django builds for these arguments instead.
        query.clone = lambda: rebuild().query.clone()
        template = self.queryset
        queryset = _copy(template)
        queryset._query = query  # not the setter, which would make a values list a dict
        queryset._result_cache = None
        queryset._prefetch_done = False
        queryset._prefetch_related_lookups = tuple(template._prefetch_related_lookups)
        if rows is None:
            queryset._fetch_all()
        else:
            queryset._result_cache = list(rows)
            queryset._prefetch_done = True
        return queryset


class PreparedQuery:
    """A query built by ``build(*args)``, compiled once per argument shape and database;
    calling it returns the rows as a list, ``queryset()`` as an evaluated queryset."""

    def __init__(self, build):
        self.build = build
        self.shapes = {}
        self.lock = threading.Lock()

    def __call__(self, *args, using=DEFAULT_DB_ALIAS):
        return list(self.queryset(*args, using=using))

    def queryset(self, *args, using=DEFAULT_DB_ALIAS):
        """The rows as an evaluated queryset (for a prefetch cache that expects one)."""
        args, shape = self._shape_of(args, using)
        if shape is _Unprepared:
            queryset = self.build(*args).using(using)
            queryset._fetch_all()
            return queryset
        return shape.run(using, args, lambda: self.build(*args).using(using))

    def with_rows(self, rows, *args, using=DEFAULT_DB_ALIAS):
        """The queryset for ``args`` holding ``rows`` (read by the caller, as the queryset
        would make them) without reading them: for a prefetch cache, without building the
        queryset (``read_article_children`` reads an article's tags with its other
        children)."""
        args, shape = self._shape_of(args, using)
        if shape is _Unprepared:
            queryset = self.build(*args).using(using)
            queryset._result_cache = list(rows)
            queryset._prefetch_done = True
            return queryset
        return shape.run(using, args, lambda: self.build(*args).using(using), rows=rows)

    def sql_with_params(self, *args, using=DEFAULT_DB_ALIAS):
        """The SQL and parameters of the query for ``args``, to use within another (as a
        subquery), without running it: as ``queryset.query.sql_with_params()`` would
        compile them."""
        args, shape = self._shape_of(args, using)
        if shape is _Unprepared:
            return self.build(*args).using(using).query.sql_with_params()
        return shape.sql, tuple(shape.params_for(using, args))

    def _shape_of(self, args, using):
        args = tuple(_padded(arg) if isinstance(arg, (list, tuple, set)) else arg for arg in args)
        key = (using, connections[using].vendor, _shape(args))
        shape = self.shapes.get(key)
        if shape is None:
            with self.lock:
                shape = self.shapes.get(key)
                if shape is None:
                    shape = self.shapes[key] = self._prepare(args, using)
        return args, shape

    def _prepare(self, args, using):
        compiled = []
        for probe in range(2):
            probes = _probes(args, probe)
            queryset = self.build(*probes).using(using)
            compiler = queryset.query.get_compiler(using=using)
            try:
                sql, params = compiler.as_sql()
            except EmptyResultSet:
                return _Unprepared
            compiled.append((queryset, compiler, sql, tuple(params), probes))
        (queryset, compiler, sql, params, probes), (_, _, sql_b, params_b, probes_b) = compiled
        if sql != sql_b or len(params) != len(params_b):
            raise PreparationError(f"the SQL depends on more than the arguments: {sql}")
        where = {}
        for argument, (value, value_b) in enumerate(zip(probes, probes_b, strict=True)):
            if isinstance(value, list):
                for item, pair in enumerate(zip(value, value_b, strict=True)):
                    where[pair] = (argument, item)
            else:
                where[(value, value_b)] = (argument, None)
        slots, found = [], set()
        for position, pair in enumerate(zip(params, params_b, strict=True)):
            if pair in where:
                slots.append((position, *where[pair], None))
                found.add(pair)
            elif pair[0] != pair[1]:
                probe, pattern = _like_pattern(pair, where, connections[using].ops)
                if probe is None:
                    raise PreparationError(
                        f"parameter {position} of the SQL depends on more than the arguments: {sql}"
                    )
                slots.append((position, *where[probe], pattern))
                found.add(probe)
        missing = where.keys() - found
        if missing:
            raise PreparationError(
                f"arguments {sorted(where[pair] for pair in missing)} do not reach the SQL "
                f"as given: {sql}"
            )
        return _Shape(queryset, compiler, sql, params, tuple(slots))


def _like_pattern(pair, where, ops):
    """The probe a LIKE pattern (``startswith``, ``contains``, SQLite's ``iexact``) holds,
    escaped, and the wildcards around it: ``(probe pair, (prefix, suffix))``, or
    ``(None, None)``."""
    value, value_b = pair
    if not isinstance(value, str) or not isinstance(value_b, str):
        return None, None
    for probe in where:
        if not isinstance(probe[0], str):
            continue
        escaped, escaped_b = (ops.prep_for_like_query(text) for text in probe)
        if escaped in value:
            prefix, _, suffix = value.partition(escaped)
            if f"{prefix}{escaped_b}{suffix}" == value_b and not (prefix + suffix).strip("%"):
                return probe, (prefix, suffix)
    return None, None


def _copy(instance):
    """A shallow copy, without the pickling protocol (which evaluates a queryset)."""
    clone = instance.__class__.__new__(instance.__class__)
    clone.__dict__.update(instance.__dict__)
    return clone


def _padded(values):
    """``values`` as a list whose length is a power of two, its last value repeated (an
    ``IN`` list's answer is the same), so that a few shapes serve every length."""
    values = list(values)
    if values:
        size = 1 << (len(values) - 1).bit_length()
        values.extend(values[-1:] * (size - len(values)))
    return values


def _shape(args):
    return tuple(
        (type(arg[0]).__name__ if arg else None, len(arg))
        if isinstance(arg, list)
        else type(arg).__name__
        for arg in args
    )


def _probe(value, probe, index):
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise PreparationError(f"a prepared query's arguments are integers or strings: {value!r}")
    if isinstance(value, int):
        return _INT_PROBES[probe] + index
    return _STR_PROBES[probe].format(index)


def _probes(args, probe):
    probes, index = [], 0
    for arg in args:
        if isinstance(arg, list):
            probes.append([_probe(value, probe, index + item) for item, value in enumerate(arg)])
            index += len(arg)
        else:
            probes.append(_probe(arg, probe, index))
            index += 1
    return probes


class PreparedForeignKey(ForwardManyToOneDescriptor):
    """A foreign key whose related row, when not already known, is read by a prepared
    query: ``prepare_foreign_key(ArticlePage, "hero_image")`` after the model's class."""

    def __init__(self, field_with_rel):
        super().__init__(field_with_rel)
        field = self.field
        target = field.target_field.attname
        self.query = PreparedQuery(
            lambda value: field.related_model._base_manager.filter(**{target: value})
        )

    def get_object(self, instance):
        value = getattr(instance, self.field.attname)
        rows = self.query(value, using=instance._state.db or DEFAULT_DB_ALIAS)
        if not rows:
            model = self.field.related_model
            raise model.DoesNotExist(f"{model._meta.object_name} matching query does not exist.")
        return rows[0]


def prepare_foreign_key(model, name):
    """Read ``model``'s foreign key ``name`` with a prepared query (``PreparedForeignKey``)."""
    setattr(model, name, PreparedForeignKey(model._meta.get_field(name)))
