"""The central service's hot statements on PostgreSQL, compiled once and run on psycopg.

The SQLite side of this is `pos_loyalty/replica/prepared.py` (whose `Statements` keeps the
statements and whose `PreparedResult` hands back SQLAlchemy `Row`s); this is how one
statement is prepared for psycopg. SQLAlchemy's `Connection.execute` works out the same
things on every call (the statement's cache key, an execution context, the parameters in
the driver's form, the result's metadata), and on a billing route's ten statements that
was a quarter of the service's CPU (issue 18). Kept here: the SQL text with its named
parameters, each parameter's value when not given and its conversion, and the result
columns; their conversions are looked up once, from the types psycopg reports on the
first run, as SQLAlchemy does on every run. psycopg itself prepares a statement on the
server once it has run a few times on a connection.

What is not prepared goes to SQLAlchemy as before: a list of parameters (executemany), an
IN list expanded per call, values worked out in Python, an INSERT without RETURNING (whose
primary key SQLAlchemy fetches itself).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import psycopg
from sqlalchemy import Dialect, Insert, exc
from sqlalchemy.engine.result import SimpleResultMetaData

from pos_loyalty.replica.prepared import REQUIRED, PreparedResult, bound

class PgPrepared:
    """One statement's SQL, parameters and result columns, as SQLAlchemy would run it."""

    __slots__ = ("sql", "parameters", "metadata", "_types", "_processors", "_dialect")

    def __init__(
        self,
        sql: str,
        parameters: tuple[tuple[str, Any, Any], ...],
        metadata: SimpleResultMetaData | None,
        types: list[Any] | None,
        dialect: Dialect,
    ) -> None:
        self.sql = sql
        self.parameters = parameters  # (name, value when not given, conversion), in SQL order
        self.metadata = metadata
        self._types = types  # the result columns' SQLAlchemy types
        self._processors: list[Any] | None | bool = False  # False: not looked up yet
        self._dialect = dialect

    def run(self, driver: psycopg.Connection, given: Mapping[str, Any] | None) -> PreparedResult:
        values = bound(self.parameters, given or {}, self.sql)
        cursor = driver.cursor()
        try:
            cursor.execute(self.sql, values)
            description = cursor.description
            rows = cursor.fetchall() if description is not None else None
            count = cursor.rowcount
        except psycopg.Error as error:
            raise exc.DBAPIError.instance(self.sql, values, error, psycopg.Error, dialect=self._dialect) from error
        finally:
            cursor.close()
        processors = self._processors
        if processors is False and rows is not None:
            processors = self._processors = self._look_up(description)
        return PreparedResult(self.metadata, processors or None, rows, count, None)

    def _look_up(self, description: Any) -> list[Any] | None:
        """The result columns' conversions, for the types the server sent (SQLAlchemy's own
        choice, made here once instead of on every call)."""
        assert self._types is not None
        found = [
            kind._cached_result_processor(self._dialect, column.type_code)
            for kind, column in zip(self._types, description)
        ]
        return found if any(found) else None


def prepare_pg(statement: Any, names: tuple[str, ...], dialect: Dialect) -> PgPrepared | None:
    """What SQLAlchemy would do to run `statement` on psycopg with parameters named `names`,
    or None when a call must work out something a prepared statement cannot keep."""
    if isinstance(statement, Insert) and not statement._returning:
        return None  # SQLAlchemy fetches the new row's key itself
    if getattr(statement, "_return_defaults", False):
        return None
    try:
        compiled: Any = statement.compile(dialect=dialect, column_keys=list(names))
    except exc.SQLAlchemyError:
        return None
    if (
        compiled.positional
        or compiled.post_compile_params
        or compiled.insert_prefetch
        or compiled.update_prefetch
        or compiled.literal_execute_params
        or compiled.escaped_bind_names
    ):
        return None
    # Positional (%s, in the order of the SQL) rather than named: psycopg then sends the
    # values as they are, without matching names to places on every call.
    parameters = []
    for name in _NAMED.findall(compiled.string):
        bind = compiled.binds.get(name)
        if bind is None or bind.callable is not None or bind.expanding:
            return None
        fixed = REQUIRED if bind.required else bind.value
        parameters.append((name, fixed, compiled._bind_processors.get(name)))
    metadata = types = None
    if compiled._result_columns:
        keys = [column.keyname for column in compiled._result_columns]
        if len(set(keys)) != len(keys):
            return None  # two columns of one name: SQLAlchemy's metadata tells them apart
        metadata = SimpleResultMetaData(keys)
        types = [column.type for column in compiled._result_columns]
    return PgPrepared(_NAMED.sub("%s", compiled.string), tuple(parameters), metadata, types, dialect)


_NAMED = re.compile(r"(?<!%)%\((\w+)\)s")  # psycopg's named placeholder, not an escaped %
