"""Whose turn it is to write to the central SQLite file: writers queue, they do not spin.

SQLite lets one write transaction run at a time. A second `BEGIN IMMEDIATE` gets
SQLITE_BUSY and its busy handler sleeps and tries again (1, 2, 5, 10 ... 100 ms), so
under load writers sleep through turns that were free and a few wait for seconds (the
1.8 s tail of issue 18 with eight tills earning at once). Instead, a write unit of work
first takes its turn here:

- in the process, a lock: the waiting threads are woken one by one as the writer ahead
  of them commits;
- between processes (the workers of `central serve --workers N`, the process that runs
  expiry and webhook deliveries, the CLI), an exclusive `flock` on a file beside the
  database, which the kernel hands on to the next waiter when it is released.

Only then does the unit of work begin its transaction, which therefore finds the file
free. A program that writes to the file without this (sqlite3 by hand) is still safe:
its transactions and ours meet in SQLite's own lock and busy handler as before.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from types import TracebackType

from sqlalchemy.exc import OperationalError

try:
    import fcntl
except ImportError:  # Windows: the in-process lock alone; other processes meet in SQLite's busy handler
    fcntl = None  # type: ignore[assignment]

#: How long a writer waits for its turn in the process before it fails as SQLite would
#: (`database is locked`), the service's busy timeout.
WAIT_SECONDS = 30.0


class WriterTurn:
    """`with turn:` around one write transaction on the SQLite file at `path` (None: a
    database in memory, which only this process sees)."""

    def __init__(self, path: str | None) -> None:
        self._lock = threading.Lock()
        self._path = None if path is None or fcntl is None else Path(f"{path}.writer-lock")
        self._file = None
        self._pid = os.getpid()

    def __enter__(self) -> None:
        if not self._lock.acquire(timeout=WAIT_SECONDS):
            raise OperationalError("BEGIN IMMEDIATE", None, Exception("database is locked (waited for the writer ahead)"))
        if self._path is None:
            return
        try:
            if self._file is None or self._pid != os.getpid():  # a forked child locks on its own
                self._file = open(self._path, "a+b")  # noqa: SIM115 (kept open for the process's life)
                self._pid = os.getpid()
        except OSError:  # a folder we may not write to: other processes meet in SQLite's busy handler
            self._path = self._file = None
            return
        try:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX)
        except BaseException:
            self._lock.release()
            raise

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        try:
            if self._file is not None:
                fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
        finally:
            self._lock.release()

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
