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

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from pos_loyalty.replica import migrate

FILE_NAME = "replica.sqlite3"
BUSY_TIMEOUT_MS = 10_000


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def make_engine(path: Path, *, foreign_keys: bool = True) -> Engine:
    """An engine whose connections have the replica's pragmas and explicit BEGINs."""
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


class UnitOfWork:
    """One cashier or manager action: commits only when `commit()` is called."""

    def __init__(
        self, session_factory: sessionmaker[Session], now: datetime, config_cache: dict
    ) -> None:
        self._session_factory = session_factory
        self.now = now
        #: The replica's loaded configurations by row id (see services.configuration).
        self.config_cache = config_cache
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        self.session = self._session_factory()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        self.session.commit()


class Replica:
    """The till's replica file: open it once per process, then one unit of work per action."""

    def __init__(self, path: Path, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.path = Path(path)
        self.clock = clock
        self.engine = make_engine(self.path)
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(
            self.engine.execution_options(sqlite_begin="IMMEDIATE"), expire_on_commit=False
        )
        #: Loaded configurations by row id; a saved configuration never changes.
        self._config_cache: dict[int, object] = {}

    @classmethod
    def open(cls, data_dir: Path | str, *, clock: Callable[[], datetime] = utc_now) -> Replica:
        """Open (creating or upgrading as needed) the replica in `data_dir`."""
        directory = Path(data_dir)
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / FILE_NAME
        migrate.upgrade(path)
        return cls(path, clock=clock)

    def reading(self) -> UnitOfWork:
        """A read-only unit of work: a consistent snapshot, no lock held against writers."""
        return UnitOfWork(self._read, self.clock(), self._config_cache)

    def writing(self) -> UnitOfWork:
        """A unit of work that holds the write lock from its first statement to its commit."""
        return UnitOfWork(self._write, self.clock(), self._config_cache)

    def close(self) -> None:
        self.engine.dispose()
