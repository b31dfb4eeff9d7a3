"""One sync at a time per till: an exclusive lock on `DATA_DIR/sync.lock`.

The sync daemon (`pos-loyalty sync`) and the counter app's background sync both take it;
whoever gets it syncs, the other leaves syncing to it. The operating system releases
the lock when its holder exits, even by SIGKILL or a power cut, so it never goes stale.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

if os.name == "nt":  # pragma: no cover (Windows)
    import msvcrt

    def _take(handle: IO) -> bool:
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

else:
    import fcntl

    def _take(handle: IO) -> bool:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True


SYNC = "sync.lock"
APP = "app.lock"


class SyncLock:
    """`SyncLock(data_dir)` is the sync's lock; `SyncLock(data_dir, APP)` the one the
    counter app holds while it is open (a restore waits for both to be free)."""

    def __init__(self, data_dir: Path, name: str = SYNC) -> None:
        self.path = Path(data_dir) / name
        self._handle: IO | None = None

    def acquire(self) -> bool:
        """True if this process now syncs this till; False if another one already does."""
        handle = self.path.open("a+")
        if not _take(handle):
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._handle = handle
        return True

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()  # closing the file releases the lock
            self._handle = None

    def holder(self) -> str | None:
        """The process id written by whoever holds the lock (for messages)."""
        try:
            return self.path.read_text().strip() or None
        except OSError:
            return None
