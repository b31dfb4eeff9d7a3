"""Parked bills: take one back to the counter, or throw it away."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from pos_loyalty.replica.db import Replica
from pos_loyalty.services import parked


class ParkedDialog(QDialog):
    def __init__(self, replica: Replica, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.replica = replica
        self.chosen: dict[str, Any] | None = None
        self.setWindowTitle("Parked bills")
        self.list = QListWidget(objectName="parkedList")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.resume_button = buttons.addButton("Take back (Enter)", QDialogButtonBox.ButtonRole.AcceptRole)
        self.discard_button = buttons.addButton("Throw away (Del)", QDialogButtonBox.ButtonRole.DestructiveRole)
        self.discard_button.setShortcut("Del")
        self.resume_button.clicked.connect(self.resume)
        self.discard_button.clicked.connect(self.discard)
        self.list.itemActivated.connect(lambda _item: self.resume())
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addWidget(buttons)
        self.load()

    def load(self) -> None:
        self.list.clear()
        for bill in parked.parked(self.replica):
            item = QListWidgetItem(f"{bill.label}   (parked {bill.created_at:%H:%M})")
            item.setData(256, bill.id)
            self.list.addItem(item)
        self.list.setCurrentRow(0)

    def _current(self) -> int | None:
        item = self.list.currentItem()
        return item.data(256) if item is not None else None

    def resume(self) -> None:
        chosen = self._current()
        if chosen is not None:
            self.chosen = parked.resume(self.replica, chosen)
            self.accept()

    def discard(self) -> None:
        chosen = self._current()
        if chosen is not None:
            parked.discard(self.replica, chosen)
            self.load()
