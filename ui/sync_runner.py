"""Sync inside the counter app, when no separate `pos-loyalty sync` daemon is running.

It runs the same daemon (`sync.daemon.Syncer`) on a thread of its own with a replica
connection of its own, and tells the app after each round. If another process holds
the till's sync lock, the app leaves syncing to it and only shows its state.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal

from pos_loyalty.replica.db import Replica
from pos_loyalty.services import central_link
from sync.lock import SyncLock

log = logging.getLogger("pos_loyalty.ui")


class _Worker(QThread):
    round_done = Signal()

    def __init__(self, path: Path, url: str, token: str, stop: threading.Event) -> None:
        super().__init__()
        self.path, self.url, self.token, self.stop = path, url, token, stop

    def run(self) -> None:
        from sync.daemon import Syncer, SyncStopped
        from sync.transport import CentralService

        replica = Replica(self.path)
        central = CentralService(self.url, self.token)
        try:
            Syncer(replica, central).run(self.stop, on_round=lambda _report: self.round_done.emit())
        except SyncStopped as stopped:
            log.warning("background sync stopped: %s", stopped)
        except Exception:
            log.exception("background sync failed")
        finally:
            central.close()
            replica.close()


class SyncRunner(QObject):
    synced = Signal()

    def __init__(self, replica: Replica, data_dir: Path) -> None:
        super().__init__()
        self.replica, self.lock = replica, SyncLock(data_dir)
        self._stop = threading.Event()
        self._worker: _Worker | None = None

    def start(self) -> str:
        """Start syncing if this till is connected and nobody else syncs it; says what happened."""
        central = central_link.central(self.replica)
        if central is None:
            return "not connected"
        if not self.lock.acquire():
            return "synced by another process"
        self._worker = _Worker(self.replica.path, central.url, central.token, self._stop)
        self._worker.round_done.connect(self.synced)
        self._worker.start()
        return "syncing"

    def stop(self) -> None:
        self._stop.set()
        if self._worker is not None:
            self._worker.wait(15_000)
        self.lock.release()
