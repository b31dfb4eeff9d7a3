"""Turning on SQLite's write-ahead log, when another process may be opening the file too.

The journal mode is stored in the file, so only the first opening of a new file changes
it. Changing it needs a lock for which SQLite does not call the busy handler: a second
process opening a fresh file at the same moment gets "database is locked" at once
instead of waiting. `use_wal` waits its turn, as long as the busy timeout would.
"""

from __future__ import annotations

import sqlite3
import time


def use_wal(connection: sqlite3.Connection, timeout_s: float) -> None:
    """Put the file of `connection` in WAL mode, retrying while another opening holds it."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
                return
            connection.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
            time.sleep(0.005)
