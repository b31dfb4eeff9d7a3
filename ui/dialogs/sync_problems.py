"""What the central service refused from this till, and the flags it raised about this till's
changes (overdrafts, duplicate customers, rules that did not match): for the manager."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from pos_loyalty.replica.db import Replica
from pos_loyalty.services import replication, status
from ui import background


def _table(name: str, headings: tuple[str, ...], rows: list[tuple[str, ...]]) -> QTableWidget:
    table = QTableWidget(len(rows), len(headings), objectName=name)
    table.setHorizontalHeaderLabels(headings)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(len(headings) - 1, QHeaderView.ResizeMode.Stretch)
    for row, cells in enumerate(rows):
        for column, text in enumerate(cells):
            table.setItem(row, column, QTableWidgetItem(text))
    return table


class SyncProblemsDialog(QDialog):
    def __init__(self, replica: Replica, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sync problems")
        self.resize(900, 560)
        rejected = status.rejected(replica)
        self.rejected = _table(
            "rejected",
            ("#", "Change", "When", "Why"),
            [
                (str(r["deviceSeq"]), r["kind"], f"{r['createdAt']:%Y-%m-%d %H:%M}", f"{r['errorCode']}: {r['errorMessage']}")
                for r in rejected
            ],
        )
        self.flags = _table("flags", ("Flag", "Card", "Bill", "What"), [])
        self.flags_note = QLabel(objectName="hint")
        self.flags_note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Changes the central service refused (kept here; later ones went through):" if rejected else "The central service refused nothing from this till."))
        layout.addWidget(self.rejected)
        layout.addWidget(QLabel("Flags the central service raised about this till's changes:"))
        layout.addWidget(self.flags)
        layout.addWidget(self.flags_note)
        layout.addWidget(buttons)
        central = replication.central(replica)
        if central is None:
            self.flags_note.setText("This till is not connected to a central service.")
        else:
            self.flags_note.setText("Asking the central service…")
            background.run(
                lambda: _fetch_flags(central.url, central.token), self.show_flags, self.flags_unavailable, owner=self
            )

    def show_flags(self, flags: list[dict[str, Any]]) -> None:
        self.flags.setRowCount(len(flags))
        for row, flag in enumerate(flags):
            cells = (flag["kind"], flag.get("cardNumber") or "", flag.get("billId") or "", flag["message"])
            for column, text in enumerate(cells):
                self.flags.setItem(row, column, QTableWidgetItem(text))
        self.flags_note.setText("" if flags else "No flags.")

    def flags_unavailable(self, error: Exception) -> None:
        self.flags_note.setText(f"The central service's flags could not be read now ({error}).")


def _fetch_flags(url: str, token: str) -> list[dict[str, Any]]:
    from sync.transport import CentralService

    central = CentralService(url, token)
    try:
        answer = central.flags()
    finally:
        central.close()
    if answer.status != 200 or not isinstance(answer.body, dict):
        raise RuntimeError(answer.error_message)
    return answer.body["content"]
