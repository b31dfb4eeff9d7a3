"""The sync state, always in the status bar: online or offline, what is waiting, the last sync."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QWidget, QHBoxLayout

from pos_loyalty.replica.db import Replica
from pos_loyalty.services import status
from ui import background

REFRESH_MS = 3000


def ago(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    seconds = int((now - moment).total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return moment.strftime("%d %b %H:%M")


class SyncStatus(QWidget):
    problems_requested = Signal()

    def __init__(self, replica: Replica) -> None:
        super().__init__()
        self.replica = replica
        self.state = QLabel(objectName="syncState")
        self.queue = QLabel(objectName="syncQueue")
        self.last = QLabel(objectName="syncLast")
        self.rejected = QPushButton(objectName="syncRejected")
        self.rejected.setFlat(True)
        self.rejected.clicked.connect(self.problems_requested)
        self.rejected.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.state, self.queue, self.last, self.rejected):
            layout.addWidget(widget)
        self.timer = QTimer(self, interval=REFRESH_MS, timeout=self.refresh)
        self.timer.start()
        self._reading = False
        self.refresh()

    def refresh(self) -> None:
        if self._reading:
            return
        self._reading = True
        background.run(lambda: status.status(self.replica), self._show, self._unreadable, owner=self)

    def _show(self, state: dict[str, Any]) -> None:
        self._reading = False
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        if not state["centralUrl"]:
            self.state.setText("● Not connected (this till works on its own)")
            self.state.setStyleSheet("color: #555555")
        elif state.get("tokenMissing"):  # restored on another PC: backups never hold the token
            self.state.setText("● Not syncing: no device token here (pos-loyalty connect URL --token TOKEN)")
            self.state.setStyleSheet("color: #c62828; font-weight: bold")
        elif state["stoppedReason"]:
            self.state.setText("● Sync stopped: the token was refused")
            self.state.setStyleSheet("color: #c62828; font-weight: bold")
        elif state["rejectedMutations"]:
            count = state["rejectedMutations"]
            where = "online" if state["online"] else "offline"
            self.state.setText(f"● Not up to date: {count} change{'s' if count != 1 else ''} rejected ({where})")
            self.state.setStyleSheet("color: #c62828; font-weight: bold")
        elif state["online"]:
            self.state.setText("● Online")
            self.state.setStyleSheet("color: #2e7d32; font-weight: bold")
        else:
            limited = " (redemption limited)" if state["redemptionLimited"] else ""
            self.state.setText(f"● Offline{limited}")
            self.state.setStyleSheet("color: #e65100; font-weight: bold")
        self.queue.setText(f"{state['pendingMutations']} waiting to sync" if state["centralUrl"] else "")
        self.last.setText(f"last sync {ago(state['lastSuccessAt'], now)}" if state["centralUrl"] else "")
        self.rejected.setVisible(bool(state["rejectedMutations"]))
        self.rejected.setText("Deal with them (Ctrl+Y)")

    def _unreadable(self, _error: Exception) -> None:
        self._reading = False
        self.state.setText("● Sync state unavailable")
