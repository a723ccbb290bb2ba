"""Querysets compiled to SQL once, then executed straight on a cursor.

The reads run on every request: `is_subscribed` and `has_entitlement` on every gated page, the REST lists
on every call. Profiled on PostgreSQL, building their querysets and compiling them took as long as the
database took to answer, or longer: `is_subscribed` spent 0.18 ms building its queryset and 0.17 ms
compiling it around a 0.18 ms query (benchmarks/bench_access.py); the products list spent 1.0 of its
1.8 ms of catalogue reads in the ORM before and after its two queries.

So each queryset is compiled once per database and per variant (every setting and filter it depends on),
from the very queryset the ORM would run (the rows that count cannot drift from it), and each call only
puts its values (a customer id, a product id) in their places. Rows are converted as the ORM converts them
(JSON decoded, SQLite's datetimes parsed), with the converters the compiler chose.

The statement runs on a Django cursor, so Django's query log, `CaptureQueriesContext` and execute wrappers
see it like any other query; that cursor is kept with its connection for the next call, because opening
one (Django's wrapper, then psycopg's cursor and its adapters, built again at its first execute) cost
about 15 µs, a quarter of the whole `has_entitlement` query.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from django.db.models import Model, QuerySet

# Statements kept per Precompiled; beyond, all are dropped and compiled again when next used. Variants that
# come from request parameters (a status, a currency) are bounded this way.
MAX_STATEMENTS = 64


@dataclass(frozen=True)
class _Statement:
    sql: str
    params: tuple
    slots: tuple[tuple[int, int], ...]  # (position in params, index of the value put there)
    converters: tuple[tuple[int, list, Any], ...] = ()  # (column, converter functions, expression)
    width: int | None = None  # the columns asked for, when the compiler selected more (ordering)

    def bind(self, values: Sequence[str]) -> list:
        params = list(self.params)
        for position, index in self.slots:
            params[position] = values[index]
        return params

    def convert(self, rows: list[tuple], connection: BaseDatabaseWrapper) -> list[tuple]:
        """As the compiler's `apply_converters` does it."""
        if self.width is not None:
            rows = [row[: self.width] for row in rows]
        if not self.converters:
            return rows
        converted = []
        for row in rows:
            values = list(row)
            for column, functions, expression in self.converters:
                value = values[column]
                for function in functions:
                    value = function(value, expression, connection)
                values[column] = value
            converted.append(tuple(values))
        return converted


# The statement of a queryset that can match nothing (`status__in=[]`): like the ORM, no query.
_NOTHING = _Statement("", (), ())


class Precompiled:
    """`build(variant, *values)` as SQL compiled once per (database, variant, number of values).

    The variant is the cache key of the SQL: it must hold every setting and filter the queryset depends on
    (a variant that cannot be hashed is compiled for that call only). The values (strings) must reach the
    SQL as parameters of exact or `in` lookups, unchanged; compiling checks that each one does.
    """

    def __init__(self, model: type[Model], build: Callable[..., QuerySet]) -> None:
        self.model = model
        self.build = build
        self._statements: dict[tuple, _Statement] = {}

    def exists(self, variant: Hashable, *values: str) -> bool:
        """Whether the queryset has a row: one `SELECT ... LIMIT 1`."""
        alias, statement = self._statement(variant, len(values), exists=True)
        if statement is _NOTHING:
            return False
        return bool(_run(connections[alias], statement, values))

    def rows(self, variant: Hashable, *values: str) -> list[tuple]:
        """The rows of the queryset (a `values_list` one), converted as the ORM converts them."""
        alias, statement = self._statement(variant, len(values), exists=False)
        if statement is _NOTHING:
            return []
        connection = connections[alias]
        return statement.convert(_run(connection, statement, values), connection)

    def _statement(self, variant: Hashable, count: int, exists: bool) -> tuple[str, _Statement]:
        alias = router.db_for_read(self.model)
        key = (alias, exists, count, variant)
        try:
            statement = self._statements.get(key)
        except TypeError:  # unhashable: compiled, not kept
            return alias, self._compile(alias, variant, count, exists)
        if statement is None:
            statement = self._compile(alias, variant, count, exists)
            if len(self._statements) >= MAX_STATEMENTS:
                self._statements.clear()
            self._statements[key] = statement
        return alias, statement

    def _compile(self, alias: str, variant: Hashable, count: int, exists: bool) -> _Statement:
        markers = [f"\x1fdjango_stripe.precompiled.{index}\x1f" for index in range(count)]
        queryset = self.build(variant, *markers)
        if exists:
            queryset = queryset.order_by().values_list("pk")[:1]
        compiler = queryset.query.get_compiler(using=alias)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            return _NOTHING
        slots = _slots(sql, params, markers)
        if exists:
            return _Statement(sql, tuple(params), slots)
        fields = [selected[0] for selected in compiler.select[: compiler.col_count]]
        converters = tuple(
            (column, functions, expression)
            for column, (functions, expression) in compiler.get_converters(fields).items()
        )
        width = compiler.col_count if compiler.has_extra_select else None
        return _Statement(sql, tuple(params), slots, converters, width)


def _run(connection: BaseDatabaseWrapper, statement: _Statement, values: Sequence[str]) -> list[tuple]:
    cursor = kept_cursor(connection)
    cursor.execute(statement.sql, statement.bind(values))
    # All the rows, even for a check: SQLite keeps a read lock while a statement not run to its end is open.
    return cursor.fetchall()


_KEPT = "_django_stripe_kept_cursor"


def kept_cursor(connection: BaseDatabaseWrapper) -> CursorWrapper:
    """A cursor of `connection` kept for the next call, opened again when the connection was (re)opened since
    or queries started or stopped being logged (`CaptureQueriesContext`, DEBUG), which change its wrapper.

    A connection wrapper belongs to one thread, and so does what is kept on it."""
    raw, logged = connection.connection, connection.queries_logged
    kept = getattr(connection, _KEPT, None)
    if raw is not None and kept is not None and kept[0] is raw and kept[1] == logged:
        return kept[2]
    cursor = connection.cursor()  # connects first when needed
    setattr(connection, _KEPT, (connection.connection, logged, cursor))
    return cursor


def _slots(sql: str, params: Sequence, markers: list[str]) -> tuple[tuple[int, int], ...]:
    slots = tuple(
        (position, markers.index(param))
        for position, param in enumerate(params)
        if isinstance(param, str) and param in markers
    )
    missing = set(range(len(markers))) - {index for _, index in slots}
    if missing or any(marker in sql for marker in markers):
        # A value was transformed (a lookup other than exact) or inlined: it could not be put in its place.
        raise ValueError("A precompiled queryset must take each value as an unchanged query parameter.")
    return slots
