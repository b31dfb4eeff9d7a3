"""The central database: SQLite by default, PostgreSQL for a chain; one unit of work per request.

- SQLite: one writer at a time (`BEGIN IMMEDIATE`), WAL, `synchronous=FULL`, foreign keys;
  writers wait for their turn in a queue (`sqlite_writer.py`), not in SQLite's busy handler.
- PostgreSQL: READ COMMITTED writes that lock the rows they change (`FOR UPDATE`, in id
  order), REPEATABLE READ read-only snapshots for pulls; a deadlock or serialization
  failure reruns the whole unit of work (`Store.run`).

A writing unit of work remembers which cards and configuration versions it changed and,
just before it commits, stamps them with its change number (`change_number`), which is
what lets a pull cursor never skip a change (`store/pull.py`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    Table,
    Text,
    bindparam,
    cast,
    create_engine,
    event,
    func,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError

from central.store.group_commit import GROUP_SECONDS, GroupCommit
from central.store.models import Card, ConfigVersion, Tenant
from central.store.pg_prepared import prepare_pg
from central.store.sqlite_writer import WriterTurn
from pos_loyalty.replica.db import UnitConnection
from pos_loyalty.replica.prepared import Statements
from pos_loyalty.sqlite_wal import use_wal

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_SQLITE_FILE = "central.sqlite3"
RETRIES = 5


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def database_url(value: str | os.PathLike | None) -> str:
    """A URL from `--db`: a postgresql:// URL (psycopg 3), a sqlite:/// URL, or a file path."""
    if value is None:
        value = os.environ.get("POS_LOYALTY_CENTRAL_DB") or DEFAULT_SQLITE_FILE
    text = str(value)
    if text.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


#: Connections kept open by the pool: the request thread pool's size (anyio's default).
POOL_SIZE = 40


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        # As many pooled connections as the request threads that may hold one at once
        # (anyio's 40): with SQLAlchemy's default of 5, every read past the fifth opened a
        # new connection (its pragmas, its WAL check, its prepared statements) and closed
        # it again: by-number with 16 clients spent a third of its time there (issue 18).
        # (An in-memory database keeps SQLAlchemy's one connection per thread.)
        in_memory = parsed.database in (None, "", ":memory:") or "mode=memory" in (parsed.database or "")
        pool = {} if in_memory else {"pool_size": POOL_SIZE, "max_overflow": 10}
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **pool)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            dbapi_connection.isolation_level = None
            dbapi_connection.execute("PRAGMA busy_timeout = 30000")
            use_wal(dbapi_connection, 30)
            for pragma in (
                "synchronous = FULL",
                "foreign_keys = ON",
            ):
                dbapi_connection.execute(f"PRAGMA {pragma}")

        return engine
    # As many kept connections as request threads (POOL_SIZE): with 20 and an
    # overflow of 20, 32 clients had the pool open and close a connection (a PostgreSQL
    # backend started and ended) every few requests. The same 40 at most, plus a few for
    # the push appliers and the webhook deliverer.
    engine = create_engine(url, pool_size=POOL_SIZE, max_overflow=10)
    _ping_when_idle(engine)
    return engine


#: A pooled connection unused for longer than this is checked (a round trip) before use.
IDLE_PING_SECONDS = 10.0


def _ping_when_idle(engine: Engine) -> None:
    """SQLAlchemy's `pool_pre_ping`, but only for a connection that has sat idle: a server
    restart or a dropped connection is still found before a request uses it, and a busy
    service does not pay one more round trip on every unit of work (issue 18)."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record) -> None:  # type: ignore[no-untyped-def]
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy) -> None:  # type: ignore[no-untyped-def]
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
            return
        try:
            dbapi_connection.execute("SELECT 1")
            dbapi_connection.rollback()
        except Exception as error:  # the pool throws this connection away and opens another
            raise DisconnectionError(f"the pooled connection is gone: {error}") from error


class Unit:
    """One request's work on the database, in one transaction."""

    def __init__(
        self, connection: Connection, now: datetime, tenant_id: int | None, config_cache: dict
    ) -> None:
        self.connection = connection
        self.now = now
        self.tenant_id = tenant_id
        #: Loaded configurations by row id (rows never change; see store/config.py).
        self.config_cache = config_cache
        self.changed_cards: set[int] = set()
        self.changed_configs: set[int] = set()
        #: Cards whose change number was already written with their other columns.
        self.stamped_cards: set[int] = set()
        #: The tenant's webhooks by the events they want, read once (`store/webhooks.py`).
        self.webhooks: dict[str, list[int]] | None = None
        self._number: Any = None

    @property
    def tenant(self) -> int:
        if self.tenant_id is None:
            raise RuntimeError("this unit of work belongs to no tenant")
        return self.tenant_id

    def card_changed(self, card_id: int) -> None:
        self.changed_cards.add(card_id)

    def config_changed(self, config_id: int) -> None:
        self.changed_configs.add(config_id)

    def change_number(self) -> Any:
        """This transaction's change number, to write with the rows it changes (see below)."""
        if self._number is None:
            self._number = change_number(self)
        return self._number

    def stamp_changes(self) -> None:
        """Give what this unit changed its change number, unless already written; call last.

        Writing it with the change itself (as `Postings.flush` does) spares PostgreSQL a
        second update of the row, which would re-check the card's foreign keys and
        share-lock its referrer.
        """
        cards = self.changed_cards - self.stamped_cards
        if not (cards or self.changed_configs):
            return
        number = self.change_number()
        if cards:
            self.connection.execute(
                update(Card).where(Card.id.in_(sorted(cards))).values(change_seq=number)
            )
        if self.changed_configs:
            self.connection.execute(
                update(ConfigVersion)
                .where(ConfigVersion.id.in_(sorted(self.changed_configs)))
                .values(change_seq=number)
            )


def change_number(unit: Unit) -> Any:
    """The number that orders this transaction's changes in the pull feed.

    PostgreSQL: the transaction's own id (`pg_current_xact_id()`), taken without any lock;
    a pull returns only changes of transactions older than its snapshot's xmin, all of
    which have finished, so a change that commits later can never fall behind a cursor.
    SQLite runs one writer at a time, so the tenant's counter, bumped here, is already in
    commit order.
    """
    if unit.connection.dialect.name == "postgresql":
        return PG_CHANGE_NUMBER
    return unit.connection.execute(_NEXT_CHANGE, {"tenant": unit.tenant}).scalar_one()


#: PostgreSQL's change number, one expression for every statement (built once, so that the
#: statements it goes into are built once too: `ledger.Postings.flush`).
PG_CHANGE_NUMBER = cast(cast(func.pg_current_xact_id(), Text), BigInteger)


_NEXT_CHANGE = (
    update(Tenant)
    .where(Tenant.id == bindparam("tenant"))
    .values(change_seq=Tenant.change_seq + 1)
    .returning(Tenant.change_seq)
)


def advisory_lock(unit: Unit, key: str) -> None:
    """Make the transactions that name the same `key` take turns: on PostgreSQL a
    transaction-scoped advisory lock; SQLite needs nothing, its write transactions are exclusive."""
    if unit.connection.dialect.name != "postgresql":
        return
    digest = hashlib.sha256(key.encode()).digest()
    unit.connection.execute(select(func.pg_advisory_xact_lock(int.from_bytes(digest[:8], "big", signed=True))))


def bulk_insert(unit: Unit, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows at once: PostgreSQL's COPY (a few µs a row), SQLite's executemany.

    Every row carries the same columns (those of the first row); the table's others are
    left to their defaults (NULL for the optional ones).
    """
    if not rows:
        return
    connection = unit.connection
    if connection.dialect.name != "postgresql":
        connection.execute(table.insert(), rows)
        return
    columns = [column.name for column in table.columns if column.name != "id" and column.name in rows[0]]
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[name] for name in columns])


class Store:
    """The central database: open once per process; `run` one unit of work per request."""

    def __init__(self, url: str | os.PathLike | None = None, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.url = database_url(url)
        self.clock = clock
        self.engine = make_engine(self.url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._config_cache: dict = {}
        #: SQLite: write units of work take turns here rather than in SQLite's busy handler,
        #: and those that queue up meanwhile share the next transaction (`group_commit.py`).
        self.writer = WriterTurn(_sqlite_file(self.url)) if self.is_sqlite else None
        self._group = GroupCommit(self._group_transaction) if self.is_sqlite else None
        #: The module-level statements of the hot routes, compiled once and run on the driver
        #: (`pos_loyalty/replica/prepared.py`, as at the till; on PostgreSQL prepared for
        #: psycopg, `pg_prepared.py`): SQLAlchemy's cache key, execution context and result
        #: metadata cost more than SQLite's work, and a quarter of a PostgreSQL route's CPU.
        self._statements = Statements(self.engine.dialect, prepare=None if self.is_sqlite else prepare_pg)

    def run(
        self,
        work: Callable[[Unit], T],
        *,
        write: bool,
        tenant_id: int | None = None,
        snapshot: bool = False,
    ) -> T:
        """Run `work` in one transaction; commit if it returns, roll back if it raises.

        A deadlock or serialization failure (two requests locking the same cards in
        different orders) runs it again from the start, a few times, with a short pause.
        """
        for attempt in range(RETRIES):
            try:
                return self._once(work, write=write, tenant_id=tenant_id, snapshot=snapshot)
            except (OperationalError, DBAPIError) as error:
                if attempt == RETRIES - 1 or not _is_retryable(error):
                    raise
                log.info("retrying a unit of work after %s", type(error.orig).__name__)
                time.sleep(0.005 * (2**attempt))
        raise AssertionError("unreachable")

    def _once(self, work: Callable[[Unit], T], *, write: bool, tenant_id: int | None, snapshot: bool) -> T:
        if write and self._group is not None:
            return self._group.run(work, tenant_id)
        return self._transaction(work, write=write, tenant_id=tenant_id, snapshot=snapshot)

    def _group_transaction(self, units: list[tuple[Callable[[Unit], Any], int | None]]) -> list[tuple[str, Any]]:
        """SQLite: `units` in one write transaction, each after the first in a savepoint of its
        own (see `group_commit.py`), until the group has run GROUP_SECONDS; one commit."""
        assert self.writer is not None
        outcomes: list[tuple[str, Any]] = []
        with self.writer, self._connect() as connection:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            began = time.monotonic()
            for work, tenant_id in units:
                if outcomes and time.monotonic() - began > GROUP_SECONDS:
                    break
                unit = Unit(connection, self.clock(), tenant_id, self._config_cache)
                if len(units) == 1:  # alone: its error rolls the transaction back
                    outcomes.append(("ok", work(unit)))
                    unit.stamp_changes()
                    continue
                savepoint = connection.begin_nested()
                try:
                    result = work(unit)
                    unit.stamp_changes()
                except Exception as error:
                    savepoint.rollback()  # if even this fails, the group is run again unit by unit
                    outcomes.append(("failed", error))
                else:
                    savepoint.commit()
                    outcomes.append(("ok", result))
            connection.commit()
        return outcomes

    def _connect(self) -> Connection:
        return UnitConnection(self.engine, self._statements)

    def _transaction(self, work: Callable[[Unit], T], *, write: bool, tenant_id: int | None, snapshot: bool) -> T:
        with self._connect() as connection:
            if self.is_sqlite:
                # pysqlite leaves transactions to us (see make_engine); the driver call
                # also starts SQLAlchemy's own bookkeeping of the transaction.
                connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
            else:
                if snapshot:
                    connection = connection.execution_options(
                        isolation_level="REPEATABLE READ", postgresql_readonly=True
                    )
                connection.begin()
            unit = Unit(connection, self.clock(), tenant_id, self._config_cache)
            result = work(unit)
            if write:
                unit.stamp_changes()
            connection.commit()
            return result

    def dispose(self) -> None:
        self.engine.dispose()
        if self.writer is not None:
            self.writer.close()


def _is_retryable(error: DBAPIError) -> bool:
    code = getattr(getattr(error, "orig", None), "sqlstate", None)
    return code in {"40001", "40P01"}  # serialization_failure, deadlock_detected


def _sqlite_file(url: str) -> str | None:
    """The SQLite URL's file, or None for a database in memory."""
    database = make_url(url).database
    return None if not database or database == ":memory:" or database.startswith("file:") else database
