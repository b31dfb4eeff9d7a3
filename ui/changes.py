"""One "something changed" signal for the whole app: screens listen instead of calling each other."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

BILL = "bill"  # a bill was finalized or reversed
CARDS = "cards"  # a card was issued, adjusted or changed
CONFIG = "config"  # the configuration was saved (or pulled)
SYNC = "sync"  # the sync daemon pushed or pulled


class Changes(QObject):
    changed = Signal(str)

    def announce(self, kind: str) -> None:
        self.changed.emit(kind)
