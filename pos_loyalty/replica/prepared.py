"""Statements a unit of work runs again and again, compiled once and run on the driver.

SQLAlchemy's `Connection.execute` of a prebuilt Core statement costs about 30 µs before
SQLite sees it (its cache key, an execution context, the result's metadata): several
times what SQLite takes to find a card. A `Prepared` statement keeps what SQLAlchemy
works out on every call: the SQL text, the order of its parameters with their
conversions (a time to text, a boolean to an integer), and its result columns with
theirs (text to a time, an integer to a boolean). `Statements.get` prepares a statement
the second time it is run (a module's prebuilt statement, not one built for one call);
`replica.db.UnitConnection` runs it on the driver's connection and hands back SQLAlchemy
`Row`s. What it cannot keep (a list of parameters, an `IN` list expanded per call, values
worked out in Python, a table with a composite key) goes to SQLAlchemy as before.
"""

from __future__ import annotations

import sqlite3
import weakref
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import CompoundSelect, Delete, Dialect, Insert, Select, TextClause, Update, exc
from sqlalchemy.dialects.sqlite import DATETIME as SQLITE_DATETIME
from sqlalchemy.engine import IteratorResult
from sqlalchemy.engine.result import SimpleResultMetaData
from sqlalchemy.engine.row import Row

REQUIRED = object()  # a parameter the caller must give
_FIRST_SEEN = object()  # run once so far: not prepared yet
_KINDS = (Select, CompoundSelect, TextClause, Insert, Update, Delete)


class Statements:
    """The prepared statements of one engine, by statement.

    A statement run once is only remembered weakly (forgotten with it); run a second
    time, it is prepared and kept, looked up by identity. A program that kept building
    statements and running each twice would grow the kept ones: past `KEEP` they are
    all forgotten and prepared again as they come back.
    """

    KEEP = 2000

    def __init__(self, dialect: Dialect, prepare: Callable[[Any, tuple[str, ...], Dialect], Any] | None = None) -> None:
        self._dialect = dialect
        #: How a statement is prepared: SQLite's `_prepare` here, or another driver's
        #: (the central service's PostgreSQL: `central/store/pg_prepared.py`).
        self._prepare = prepare or _prepare
        self._once: weakref.WeakKeyDictionary[Any, None] = weakref.WeakKeyDictionary()
        #: id(statement) -> (statement, prepared by parameter names; None: SQLAlchemy runs it)
        self._kept: dict[int, tuple[Any, dict[tuple[str, ...], Prepared | None] | None]] = {}

    def get(self, statement: object, parameters: Mapping[str, Any] | None) -> Prepared | None:
        """The statement prepared for these parameter names, or None: SQLAlchemy runs it."""
        kept = self._kept.get(id(statement))
        if kept is None or kept[0] is not statement:
            return self._seen(statement)
        known = kept[1]
        if known is None:
            return None
        # What an INSERT or UPDATE sets depends on the names given; a SELECT's does not.
        names = tuple(parameters) if parameters and isinstance(statement, (Insert, Update)) else ()
        prepared = known.get(names, _FIRST_SEEN)
        if prepared is _FIRST_SEEN:
            prepared = known[names] = self._prepare(statement, names, self._dialect)
        return prepared

    def _seen(self, statement: object) -> None:
        """Remember a statement run for the first time; keep one run the second time."""
        try:
            if statement not in self._once:
                self._once[statement] = None
                return
        except TypeError:  # not a statement a weak reference can follow
            return
        if len(self._kept) >= self.KEEP:
            self._kept.clear()
        self._kept[id(statement)] = (statement, {} if isinstance(statement, _KINDS) else None)
        return


class Prepared:
    """One statement's SQL, parameters and result columns, as SQLAlchemy would run it."""

    __slots__ = ("sql", "parameters", "metadata", "processors", "primary_key", "_dialect")

    def __init__(
        self,
        sql: str,
        parameters: tuple[tuple[str, Any, Any], ...],
        metadata: SimpleResultMetaData | None,
        processors: list[Any] | None,
        primary_key: str | None,
        dialect: Dialect,
    ) -> None:
        self.sql = sql
        self.parameters = parameters  # (name, value when not given, conversion) in SQL order
        self.metadata = metadata  # None: named from the cursor (a text() statement)
        self.processors = processors
        self.primary_key = primary_key  # an INSERT's key column, for `inserted_primary_key`
        self._dialect = dialect

    def run(self, driver: sqlite3.Connection, given: Mapping[str, Any] | None) -> PreparedResult:
        given = given or {}
        values = bound(self.parameters, given, self.sql)
        try:
            cursor = driver.execute(self.sql, values)
            rows = cursor.fetchall() if cursor.description is not None else None
        except sqlite3.Error as error:
            raise exc.DBAPIError.instance(self.sql, values, error, sqlite3.Error, dialect=self._dialect) from error
        metadata = self.metadata
        if rows is not None and metadata is None:
            metadata = SimpleResultMetaData([column[0] for column in cursor.description])
        inserted = None
        if self.primary_key is not None:
            inserted = (given[self.primary_key] if self.primary_key in given else cursor.lastrowid,)
        return PreparedResult(metadata, self.processors, rows, cursor.rowcount, inserted)

    def insert_rows(self, driver: sqlite3.Connection, rows: list[Mapping[str, Any]]) -> list[int]:
        """Run an INSERT once per row, in one call to the driver; the rows' keys, in order.

        Their keys are consecutive: SQLite gives a new row the largest key so far plus one,
        and nothing else writes the table inside the caller's write transaction."""
        values = [bound(self.parameters, given, self.sql) for given in rows]
        try:
            driver.executemany(self.sql, values)
            last = driver.execute("SELECT last_insert_rowid()").fetchone()[0]
        except sqlite3.Error as error:
            raise exc.DBAPIError.instance(self.sql, values, error, sqlite3.Error, dialect=self._dialect) from error
        return list(range(last - len(rows) + 1, last + 1))


def bound(parameters: tuple[tuple[str, Any, Any], ...], given: Mapping[str, Any], sql: str) -> list[Any]:
    """The values of a prepared statement's `parameters` ((name, value when not given or
    REQUIRED, conversion), in the SQL's order) for the call's `given` ones, converted as
    SQLAlchemy would; its StatementError for a required one left out."""
    values = []
    for name, fixed, convert in parameters:
        value = given[name] if name in given else fixed
        if value is REQUIRED:
            missing = exc.InvalidRequestError(f"A value is required for bind parameter {name!r}")
            raise exc.StatementError(str(missing), sql, [given], missing)
        values.append(value if convert is None else convert(value))
    return values


class PreparedResult:
    """The result of a prepared statement: what the till's code asks of a `CursorResult`.

    The rows are SQLAlchemy `Row`s, fetched whole; other `Result` methods (`scalars`,
    `mappings`, ...) are those of an `IteratorResult` over the rows not yet taken.
    """

    __slots__ = ("_metadata", "_rows", "rowcount", "_inserted")

    def __init__(
        self,
        metadata: SimpleResultMetaData | None,
        processors: list[Any] | None,
        rows: list[tuple[Any, ...]] | None,
        rowcount: int,
        inserted: tuple[Any, ...] | None,
    ) -> None:
        self._metadata = metadata
        self.rowcount = rowcount
        self._inserted = inserted
        if rows is None:
            self._rows: list[Row[Any]] | None = None
        else:
            assert metadata is not None
            index = metadata._key_to_index
            self._rows = [Row(metadata, processors, index, data) for data in rows]

    @property
    def returns_rows(self) -> bool:
        return self._rows is not None

    @property
    def inserted_primary_key(self) -> tuple[Any, ...]:
        if self._inserted is None:
            raise exc.InvalidRequestError("Statement is not a compiled expression construct.")
        return self._inserted

    def _taken(self) -> list[Row[Any]]:
        if self._rows is None:
            raise exc.ResourceClosedError("This result object does not return rows. It has been closed automatically.")
        rows, self._rows = self._rows, []
        return rows

    def keys(self) -> Any:
        return self._result().keys()

    def __iter__(self) -> Iterator[Row[Any]]:
        return iter(self._taken())

    def all(self) -> list[Row[Any]]:
        return self._taken()

    fetchall = all

    def fetchone(self) -> Row[Any] | None:
        rows = self._rows if self._rows is not None else self._taken()
        return rows.pop(0) if rows else None

    def first(self) -> Row[Any] | None:
        rows = self._taken()
        return rows[0] if rows else None

    def one_or_none(self) -> Row[Any] | None:
        rows = self._taken()
        if len(rows) > 1:
            raise exc.MultipleResultsFound("Multiple rows were found when one or none was required")
        return rows[0] if rows else None

    def one(self) -> Row[Any]:
        row = self.one_or_none()
        if row is None:
            raise exc.NoResultFound("No row was found when one was required")
        return row

    def scalar(self) -> Any:
        row = self.first()
        return None if row is None else row[0]

    def scalar_one_or_none(self) -> Any:
        row = self.one_or_none()
        return None if row is None else row[0]

    def scalar_one(self) -> Any:
        return self.one()[0]

    def close(self) -> None:
        if self._rows is not None:
            self._rows = []

    def _result(self) -> IteratorResult[Any]:
        rows = self._taken()
        assert self._metadata is not None
        plain = SimpleResultMetaData(self._metadata.keys)  # the values are converted already
        return IteratorResult(plain, iter([tuple(row) for row in rows]))

    def __getattr__(self, name: str) -> Any:  # scalars, mappings, tuples, partitions...
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._result(), name)


def _prepare(statement: Any, names: tuple[str, ...], dialect: Dialect) -> Prepared | None:
    """What SQLAlchemy would do to run `statement` with parameters named `names`, or None
    when a call must work something out that a prepared statement cannot keep."""
    if isinstance(statement, (Insert, Update, Delete)) and statement._return_defaults:
        return None
    try:
        compiled: Any = statement.compile(dialect=dialect, column_keys=list(names))
    except exc.SQLAlchemyError:
        return None  # SQLAlchemy says what is wrong with it, on its own path
    if compiled.post_compile_params:
        # An IN list fixed in the statement (`key.in_(("a", "b"))`) is written out once;
        # one given with each call changes the SQL, so SQLAlchemy runs that.
        if any(
            bind.required or bind.callable is not None or not bind.unique  # a named one may be given
            for bind in compiled.post_compile_params
        ):
            return None
        try:
            compiled = statement.compile(
                dialect=dialect, column_keys=list(names), compile_kwargs={"render_postcompile": True}
            )
        except exc.SQLAlchemyError:
            return None  # it also has parameters given with each call: SQLAlchemy runs it
    if (
        not compiled.positional
        or compiled.insert_prefetch
        or compiled.update_prefetch
        or compiled.literal_execute_params
        or compiled.escaped_bind_names
    ):
        return None
    parameters = []
    for name in compiled.positiontup:
        bind = compiled.binds.get(name)
        if bind is None:  # the n-th value of a written-out IN list: "<name>_<n>"
            listed, _, place = name.rpartition("_")
            expanded = compiled.binds.get(listed)
            if expanded is None or not expanded.expanding or not place.isdigit():
                return None
            value = expanded.value[int(place) - 1]
            if isinstance(value, tuple):
                return None
            parameters.append((name, value, expanded.type._cached_bind_processor(dialect)))
            continue
        if bind.callable is not None:
            return None
        fixed = REQUIRED if bind.required else bind.value
        parameters.append((name, fixed, _bind_conversion(bind.type, compiled._bind_processors.get(name), dialect)))
    metadata = processors = None
    if compiled._result_columns:
        keys = [column.keyname for column in compiled._result_columns]
        if len(set(keys)) != len(keys):
            return None  # two columns of one name: SQLAlchemy's metadata tells them apart
        metadata = SimpleResultMetaData(keys)
        found = [column.type._cached_result_processor(dialect, None) for column in compiled._result_columns]
        processors = found if any(found) else None
    primary_key = None
    if isinstance(statement, Insert):
        keys = [column.key for column in statement.table.primary_key.columns]
        if len(keys) != 1:
            return None
        primary_key = keys[0]
    return Prepared(compiled.string, tuple(parameters), metadata, processors, primary_key, dialect)


def _bind_conversion(kind: Any, processor: Callable[[Any], Any] | None, dialect: Dialect) -> Callable[[Any], Any] | None:
    """How a parameter's value is sent: SQLAlchemy's conversion, or for a time in SQLite's
    default text format one that writes the same text faster (SQLAlchemy's fills a format
    string from a dict of the time's seven fields: a finalize sends twelve times)."""
    if processor is None:
        return None
    impl = kind.dialect_impl(dialect)
    if type(impl) is SQLITE_DATETIME and impl._storage_format == SQLITE_DATETIME._storage_format:
        return _time_text(processor)
    return processor


def _time_text(sqlalchemy_conversion: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if type(value) is datetime and value.tzinfo is None:
            return value.isoformat(" ", "microseconds")  # 2026-12-04 09:30:00.000000, as SQLAlchemy
        return sqlalchemy_conversion(value)  # an aware time, a date, None, or what it refuses

    return convert
