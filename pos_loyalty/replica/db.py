"""Opening the replica file and one unit of work per action.

The file is shared by the counter app and the sync daemon, each in its own process, so:
WAL (readers never wait for the writer), `synchronous=FULL` (a committed sale survives
a power cut), foreign keys on, and a busy timeout so a writer waits its turn instead of
failing. Every write transaction starts with `BEGIN IMMEDIATE`: it takes the write lock
before it reads, so two processes can never both read a balance and then both write it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, DateTime, Engine, Insert, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from pos_loyalty.replica import data_dir as folders, migrate
from pos_loyalty.replica.prepared import Statements
from pos_loyalty.sqlite_wal import use_wal

FILE_NAME = "replica.sqlite3"
BUSY_TIMEOUT_MS = 10_000
#: Pages of write-ahead log after which a commit copies the log into the file itself.
#: SQLite's default (1,000) lands that 4-9 ms copy inside every ~45th sale; the till
#: instead checkpoints when it is idle (`Replica.checkpoint`), and this large figure is
#: only the backstop for a process that never idles (about 80 MB of log).
WAL_BACKSTOP_PAGES = 20_000


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def make_engine(path: Path, *, foreign_keys: bool = True, begin_event: bool = True) -> Engine:
    """An engine whose connections have the replica's pragmas and explicit BEGINs.

    With `begin_event` (the default) a "begin" listener makes `Connection.begin()` issue
    SQLite's `BEGIN` (`BEGIN IMMEDIATE` under the `sqlite_begin` execution option). Units
    of work use an engine without it and issue their BEGIN themselves: any connection
    event makes every statement on every connection dearer (about 20 µs a card lookup).
    """
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        use_wal(dbapi_connection, BUSY_TIMEOUT_MS / 1000)
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute(f"PRAGMA wal_autocheckpoint = {WAL_BACKSTOP_PAGES}")
        cursor.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
        cursor.close()

    if begin_event:

        @event.listens_for(engine, "begin")
        def _on_begin(connection) -> None:  # type: ignore[no-untyped-def]
            mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
            connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


class UnitConnection(Connection):
    """A unit of work's connection: a prebuilt Core statement it runs a second time runs
    prepared (`replica/prepared.py`) on the driver's connection, in the same transaction;
    everything else (the ORM session's statements among them) goes to SQLAlchemy."""

    def __init__(self, engine: Engine, statements: Statements) -> None:
        super().__init__(engine)
        self._statements = statements
        self._driver = self.connection.driver_connection

    def execute(self, statement, parameters=None, *, execution_options=None):  # type: ignore[no-untyped-def, override]
        if execution_options is None and (parameters is None or type(parameters) is dict):
            prepared = self._statements.get(statement, parameters)
            if prepared is not None:
                return prepared.run(self._driver, parameters)
        return super().execute(statement, parameters, execution_options=execution_options)

    def insert_rows(self, statement: Insert, rows: list[dict[str, Any]]) -> list[int]:
        """Insert `rows` into one table; their new keys, in order. Rows of the same columns,
        none of them the key, are one call to the driver once the statement is prepared."""
        prepared = self._statements.get(statement, rows[0]) if rows else None
        if prepared is None or prepared.primary_key in rows[0] or any(row.keys() != rows[0].keys() for row in rows):
            return [self.execute(statement, row).inserted_primary_key[0] for row in rows]
        return prepared.insert_rows(self._driver, rows)

    def begin_on_driver(self, sql: str) -> None:
        """Send SQLite's BEGIN (`sql`) to the driver, its errors as SQLAlchemy's."""
        try:
            self._driver.execute(sql)
        except sqlite3.Error as error:
            raise DBAPIError.instance(sql, (), error, sqlite3.Error, dialect=self.dialect) from error


class UnitOfWork:
    """One cashier or manager action, in one transaction: commits only when `commit()` is called.

    It holds one connection in one SQLite transaction (`BEGIN` to read, `BEGIN IMMEDIATE`
    to write). The counter's hot paths (looking a card up, quoting, finalizing) run
    prebuilt Core statements on `connection`; everything else may use `session`, an ORM
    session made on first use inside the same transaction. Core statements do not flush
    the session: code that mixes the two flushes before reading what it added. `commit()`
    ends the transaction; nothing more is read or written in the unit of work after it.
    """

    def __init__(
        self, replica: Replica, *, write: bool, now: datetime, config_cache: dict, begin: bool = True
    ) -> None:
        self._replica = replica
        self._write = write
        self._begin = begin
        self.now = now
        #: The replica's loaded configurations by row id (see services.configuration).
        self.config_cache = config_cache
        self.connection: UnitConnection
        self._session: Session | None = None
        self._time_to_text: Callable[[datetime | None], object] | None = None

    def __enter__(self) -> UnitOfWork:
        connection = self._replica._take_connection()
        try:
            # SQLAlchemy's bookkeeping (pysqlite sends nothing), then the BEGIN itself
            # straight to the driver: cheaper, on the path of every lookup and sale. A
            # read needs no bookkeeping until SQLAlchemy itself runs a statement (it then
            # begins its own, on the driver's open transaction); `_give_back` ends both.
            if self._write:
                connection.begin()
            # BEGIN IMMEDIATE waits up to the busy timeout for the write lock; failing, it
            # raises SQLAlchemy's OperationalError like every other statement.
            if self._begin:
                connection.begin_on_driver("BEGIN IMMEDIATE" if self._write else "BEGIN")
        except BaseException:
            self._replica._give_back(connection)
            raise
        self.connection = connection
        return self

    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = Session(self.connection, expire_on_commit=False, join_transaction_mode="control_fully")
        return self._session

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            self._session.close()
        self._replica._give_back(self.connection)  # rolls back whatever was not committed

    def stored_time(self, moment: datetime | None) -> object:
        """A time as SQLAlchemy writes it to the file, for rows sent to the driver itself
        (`exec_driver_sql`: a bulk import's million rows, without SQLAlchemy's per-row work)."""
        if self._time_to_text is None:
            dialect = self.connection.dialect
            self._time_to_text = DateTime().dialect_impl(dialect).bind_processor(dialect) or (lambda value: value)
        return self._time_to_text(moment)

    def commit(self) -> None:
        if self._session is not None:
            self._session.commit()  # flushes, then commits the connection's transaction
        else:
            self.connection.commit()


class Replica:
    """The till's replica file: open it once per process, then one unit of work per action.

    `engine` is for tools and tests (its `begin()` issues SQLite's BEGIN); the units of work
    run on a second engine of their own, without connection events (see `make_engine`).
    A unit of work's connection is kept for the next one when it ends (taking one from
    SQLAlchemy's pool and giving it back cost more than a card lookup's SQL).
    """

    def __init__(self, path: Path, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.path = Path(path)
        self.clock = clock
        self.engine = make_engine(self.path)
        self._units = make_engine(self.path, begin_event=False)
        self._statements = Statements(self._units.dialect)
        #: Connections of units of work that ended, for the next ones (list.pop and
        #: list.append are atomic: units of work on other threads take their own).
        self._idle: list[UnitConnection] = []
        self._closed = False
        #: Loaded configurations by row id; a saved configuration never changes.
        self._config_cache: dict[int, object] = {}
        #: Whether the last card lookup read more than the card's one statement (its lots,
        #: say), so that the next begins in a snapshot at once (`services.cards.find`).
        self.lookups_read_more = False

    @classmethod
    def open(cls, data_dir: Path | str, *, clock: Callable[[], datetime] = utc_now) -> Replica:
        """Open (creating or upgrading as needed) the replica in `data_dir`."""
        path = folders.make(data_dir) / FILE_NAME
        migrate.upgrade(path)
        return cls(path, clock=clock)

    def reading(self) -> UnitOfWork:
        """A read-only unit of work: a consistent snapshot, no lock held against writers."""
        return UnitOfWork(self, write=False, now=self.clock(), config_cache=self._config_cache)

    def glancing(self) -> UnitOfWork:
        """A read-only unit of work without a transaction: each statement is its own
        snapshot, so it is for one statement, or for statements that need not agree (a
        card lookup's one SELECT: the BEGIN and ROLLBACK around it cost as much again)."""
        return UnitOfWork(self, write=False, now=self.clock(), config_cache=self._config_cache, begin=False)

    def writing(self) -> UnitOfWork:
        """A unit of work that holds the write lock from its start to its commit."""
        return UnitOfWork(self, write=True, now=self.clock(), config_cache=self._config_cache)

    def checkpoint(self) -> None:
        """Copy the write-ahead log into the file; call it when the till is idle.

        PASSIVE: it never waits for, nor blocks, a reader or writer of another process;
        whatever it cannot copy now waits for the next idle moment.
        """
        with self._units.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    def _take_connection(self) -> UnitConnection:
        try:
            return self._idle.pop()
        except IndexError:
            return UnitConnection(self._units, self._statements)

    def _give_back(self, connection: UnitConnection) -> None:
        """End what the unit of work left open and keep its connection for the next one."""
        try:
            if connection.in_transaction():
                connection.rollback()
            if connection._driver.in_transaction:  # begun without SQLAlchemy seeing it
                connection._driver.rollback()
        except BaseException:
            connection.invalidate()  # no longer known to be clean: never used again
            connection.close()
            raise
        if self._closed or connection.invalidated or connection.closed:
            connection.close()
        else:
            self._idle.append(connection)

    def close(self) -> None:
        self._closed = True
        while self._idle:
            self._idle.pop().close()
        self._units.dispose()
        self.engine.dispose()
