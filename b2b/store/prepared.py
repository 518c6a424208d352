"""Statements on the hot path of every received document, run on the driver's own cursor.

`Connection.execute` costs about 45 us of Python a statement (cache key, execution context,
parameter processing, result object); the driver's cursor runs the same SQL in about 13. A
received cXML order is four statements and an AS2 message two, so for those few statements
`Prepared` compiles the Core statement once per driver and set of parameter names, and runs it
on the DB-API cursor of the caller's connection, inside its transaction:

- the SQL is SQLAlchemy's own compiled text, with the literals it renders at execution time
  (e.g. an ON CONFLICT ... WHERE) rendered once;
- each value goes through the same bind processor SQLAlchemy would apply (SQLite's datetimes);
- a column's scalar Python default (`default="partner"`) is filled in as SQLAlchemy would;
  a statement whose defaults need SQLAlchemy's execution context (callables, sequences) is
  refused when it is compiled;
- a driver error is raised as SQLAlchemy's DBAPIError, as `conn.execute` raises it, so
  `transaction()` turns an outage into StoreUnavailable; the rollback that follows invalidates
  a lost connection, so the pool does not hand it out again.

    >>> _INSERT_EVENT = Prepared(insert(message_events))
    >>> _INSERT_EVENT.scalar(conn, {"message_id": 7, "at": now, "state": "sent", "detail": ""})
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement, Insert
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.schema import ScalarElementColumnDefault

__all__ = ["Prepared", "insert_new"]

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class _Form:
    """One statement compiled for one dialect and one set of parameter names."""

    sql: str
    positional: bool
    names: tuple[str, ...]  # the parameters in the order the SQL takes them
    given: tuple[tuple[str, Processor], ...]  # from the caller, with their bind processors
    fixed: dict[str, Any]  # literals and scalar column defaults, already processed
    returns: bool
    result: Processor

    def values(self, params: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        found = dict(self.fixed)
        for name, process in self.given:
            found[name] = _processed(params[name], process)
        return tuple([found[n] for n in self.names]) if self.positional else found


class Prepared:
    """A Core statement (or one per dialect name) run on the driver's cursor; see the module."""

    def __init__(self, statement: ClauseElement | Mapping[str, ClauseElement]) -> None:
        self._statements = statement
        # Two threads may compile a missing form at once: they make the same, either may stay.
        self._forms: dict[tuple[type[Dialect], tuple[str, ...]], _Form] = {}

    def scalar(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        """The first column of the first row it returns (None if none), as `execute().scalar()`."""
        dialect = conn.dialect
        key = (type(dialect), tuple(params))  # the driver's class: its paramstyle, its SQL
        form = self._forms.get(key)
        if form is None:
            form = self._forms[key] = self._compile(dialect, key[1])
        values = form.values(params)
        dbapi_connection = conn.connection.dbapi_connection
        assert dbapi_connection is not None  # a connection inside a transaction
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(form.sql, values)
            row = cursor.fetchone() if form.returns else None
        except dialect.loaded_dbapi.Error as exc:
            # As conn.execute raises it; a lost connection is invalidated by the rollback.
            raise DBAPIError.instance(
                form.sql, values, exc, dialect.loaded_dbapi.Error, dialect=dialect
            ) from exc
        finally:
            cursor.close()
        if row is None:
            return None
        return row[0] if form.result is None or row[0] is None else form.result(row[0])

    def _compile(self, dialect: Dialect, names: tuple[str, ...]) -> _Form:
        statement = self._statement(dialect)
        column_keys = list(names) if isinstance(statement, Insert) else None
        compiled = statement.compile(dialect=dialect, column_keys=column_keys)
        assert isinstance(compiled, SQLCompiler)
        if compiled.escaped_bind_names:
            raise TypeError(f"Prepared cannot run {compiled.string!r}: it needs SQLAlchemy")
        sql, literals = _with_literals(compiled)
        order = compiled.positiontup if compiled.positional else compiled.bind_names.values()
        columns = list(getattr(statement, "exported_columns", ()))
        result = columns[0].type.dialect_impl(dialect) if columns else None
        return _Form(
            sql=sql,
            positional=compiled.positional,
            names=tuple([n for n in order or () if n not in literals]),
            given=tuple([(n, _processor(compiled.binds[n].type, dialect)) for n in names]),
            fixed=_fixed(compiled, dialect, {*names, *literals}),
            returns=bool(columns),
            result=result.result_processor(dialect, None) if result is not None else None,
        )

    def _statement(self, dialect: Dialect) -> ClauseElement:
        if isinstance(self._statements, ClauseElement):
            return self._statements
        return self._statements[dialect.name]


def insert_new(
    table: Table, *, unique: list[str], where: ColumnElement[bool] | None = None
) -> Prepared:
    """Insert a row and return its id, or None when a row with the same `unique` columns is
    there already (under `where`, for a partial unique index): PostgreSQL's and SQLite's
    ON CONFLICT DO NOTHING, whose RETURNING is reliable where psycopg's rowcount is not."""
    return Prepared(
        {
            dialect.dialect.name: dialect.insert(table)
            .on_conflict_do_nothing(index_elements=unique, index_where=where)
            .returning(table.c.id)
            for dialect in (postgresql, sqlite)
        }
    )


def _with_literals(compiled: SQLCompiler) -> tuple[str, set[str]]:
    """The SQL with the literals SQLAlchemy renders at each execution rendered once; their names."""
    sql, names = compiled.string, set()
    for bind in compiled.literal_execute_params:
        name = compiled.bind_names[bind]
        literal = compiled.render_literal_value(bind.effective_value, bind.type)
        sql = sql.replace(f"__[POSTCOMPILE_{name}]", literal)
        names.add(name)
    return sql, names


def _fixed(compiled: SQLCompiler, dialect: Dialect, skip: set[str]) -> dict[str, Any]:
    """The processed values of the parameters not in `skip`: bound values, column defaults."""
    defaults = {c.key: c.default for c in compiled.insert_prefetch}
    fixed = {}
    for bind, name in compiled.bind_names.items():
        if name in skip:
            continue
        if name in defaults:
            default = defaults[name]
            if not isinstance(default, ScalarElementColumnDefault):
                raise TypeError(f"Prepared cannot fill the default of {name!r}")
            value = default.arg
        elif bind.required:
            raise TypeError(f"Prepared: no value for {name!r}")
        else:
            value = bind.effective_value
        fixed[name] = _processed(value, _processor(bind.type, dialect))
    return fixed


def _processor(type_: Any, dialect: Dialect) -> Processor:
    processor: Processor = type_.dialect_impl(dialect).bind_processor(dialect)
    return processor


def _processed(value: Any, processor: Processor) -> Any:
    return value if processor is None or value is None else processor(value)
