"""What the central service refused from this till, and the flags it raised about this till's
changes (overdrafts, duplicate customers, rules that did not match): for the manager.

Each rejected change is said in words with the service's reason, and the manager deals
with it here: **Send again** (after the service was upgraded to take it) or **Settle**
(leave it unsent, with a note, and optionally put points right with an adjustment).
Both are recorded with the manager's name (`pos_loyalty/services/rejections.py`).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pos_loyalty.errors import LoyaltyError
from pos_loyalty.replica.db import Replica
from pos_loyalty.services import central_link, rejections
from ui import background


def _table(name: str, headings: tuple[str, ...], rows: list[tuple[str, ...]]) -> QTableWidget:
    table = QTableWidget(len(rows), len(headings), objectName=name)
    table.setHorizontalHeaderLabels(headings)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
    table.setWordWrap(True)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setSectionResizeMode(len(headings) - 1, QHeaderView.ResizeMode.Stretch)
    _fill(table, rows)
    return table


def _fill(table: QTableWidget, rows: list[tuple[str, ...]]) -> None:
    table.setRowCount(len(rows))
    for row, cells in enumerate(rows):
        for column, text in enumerate(cells):
            table.setItem(row, column, QTableWidgetItem(text))
    table.resizeRowsToContents()


class SettleDialog(QDialog):
    """The note (required) and, optionally, the points to put right on the change's card."""

    def __init__(self, change: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Settle change #{change['deviceSeq']}")
        self.note = QLineEdit(objectName="note", placeholderText="What was done about it (kept with the change)")
        self.points = QLineEdit(objectName="points", placeholderText="e.g. 12.50 or -5 (leave empty for none)")
        self.card = QLineEdit(change.get("cardNumber") or "", objectName="card")
        self.problem = QLabel(objectName="problem")
        self.problem.setStyleSheet("color: #c62828")
        form = QFormLayout(self)
        form.addRow(QLabel(change["what"]))
        form.addRow("&Note:", self.note)
        form.addRow("&Adjust points:", self.points)
        form.addRow("On &card:", self.card)
        form.addRow(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Settle")
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _check(self) -> None:
        if not self.note.text().strip():
            self.problem.setText("Say what was done about it: the note is kept with the change.")
            self.note.setFocus()
            return
        self.accept()


class SyncProblemsDialog(QDialog):
    def __init__(self, replica: Replica, parent: QWidget | None = None, *, operator: str | None = None) -> None:
        super().__init__(parent)
        self.replica = replica
        self.operator = operator
        self.setWindowTitle("Sync problems")
        self.resize(980, 600)
        self.waiting: list[dict[str, Any]] = []
        self.heading = QLabel(objectName="rejectedHeading")
        self.heading.setWordWrap(True)
        self.rejected = _table("rejected", ("#", "When", "What", "Why the central service refused it"), [])
        self.outcome = QLabel(objectName="outcome")
        self.outcome.setWordWrap(True)
        self.resend_button = QPushButton("Send &again", objectName="resend", clicked=self.resend)
        self.resend_button.setToolTip("Queue the change again (after the central service was upgraded to take it)")
        self.settle_button = QPushButton("&Settle…", objectName="settle", clicked=self.settle)
        self.settle_button.setToolTip("Leave it unsent, with a note, and optionally put the points right")
        actions = QHBoxLayout()
        actions.addWidget(self.resend_button)
        actions.addWidget(self.settle_button)
        actions.addStretch(1)
        self.flags = _table("flags", ("Flag", "Card", "Bill", "What"), [])
        self.flags_note = QLabel(objectName="hint")
        self.flags_note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.rejected)
        layout.addLayout(actions)
        layout.addWidget(self.outcome)
        layout.addWidget(QLabel("Flags the central service raised about this till's changes:"))
        layout.addWidget(self.flags)
        layout.addWidget(self.flags_note)
        layout.addWidget(buttons)
        self.rejected.itemSelectionChanged.connect(self._enable)
        self.refresh()
        central = central_link.central(replica)
        if central is None:
            self.flags_note.setText("This till is not connected to a central service.")
        else:
            self.flags_note.setText("Asking the central service…")
            background.run(
                lambda: _fetch_flags(central.url, central.token), self.show_flags, self.flags_unavailable, owner=self
            )

    # --- rejected changes -------------------------------------------------------------------

    def refresh(self) -> None:
        self.waiting = rejections.waiting(self.replica)
        _fill(
            self.rejected,
            [
                (str(r["deviceSeq"]), f"{r['createdAt']:%d %b %H:%M}", r["what"], f"{r['errorMessage']} ({r['errorCode']})")
                for r in self.waiting
            ],
        )
        count = len(self.waiting)
        self.heading.setText(
            f"The central service refused {count} change{'s' if count != 1 else ''} from this till. Each is kept "
            "here (the ones after it went through): send it again once the service takes it, or settle it."
            if count
            else "The central service has refused nothing from this till that waits for you."
        )
        if count:
            self.rejected.selectRow(0)
        self._enable()

    def _enable(self) -> None:
        chosen = self.chosen() is not None
        self.resend_button.setEnabled(chosen)
        self.settle_button.setEnabled(chosen)

    def chosen(self) -> dict[str, Any] | None:
        rows = self.rejected.selectionModel().selectedRows()
        return self.waiting[rows[0].row()] if rows and rows[0].row() < len(self.waiting) else None

    def resend(self) -> None:
        change = self.chosen()
        if change is None:
            return
        self._done(
            lambda: rejections.resend(self.replica, change["deviceSeq"], note="sent again from the counter", performed_by=self.operator),
            lambda done: f"Change #{change['deviceSeq']} is queued again (as #{done['resentAs']}); the next sync sends it.",
        )

    def settle(self) -> None:
        change = self.chosen()
        if change is None:
            return
        form = SettleDialog(change, self)
        if not form.exec():
            return
        self._done(
            lambda: rejections.settle(
                self.replica,
                change["deviceSeq"],
                note=form.note.text(),
                performed_by=self.operator,
                adjust=form.points.text().strip() or None,
                card_number=form.card.text().strip() or None,
            ),
            lambda done: f"Change #{change['deviceSeq']} is settled and stays unsent"
            + (f"; card {done['cardNumber']} now has {done['newBalance']} points." if "newBalance" in done else "."),
        )

    def _done(self, work, said) -> None:  # type: ignore[no-untyped-def]
        """Run the manager's choice off the UI thread (it may wait for the sync daemon)."""
        self.resend_button.setEnabled(False)
        self.settle_button.setEnabled(False)

        def succeeded(done: dict[str, Any]) -> None:
            self.outcome.setStyleSheet("")
            self.outcome.setText(said(done))
            self.refresh()

        def failed(error: Exception) -> None:
            if not isinstance(error, LoyaltyError):
                raise error
            self.outcome.setStyleSheet("color: #c62828")
            self.outcome.setText(error.message)
            self._enable()

        background.run(work, succeeded, failed, owner=self)

    # --- flags ------------------------------------------------------------------------------

    def show_flags(self, flags: list[dict[str, Any]]) -> None:
        _fill(self.flags, [(f["kind"], f.get("cardNumber") or "", f.get("billId") or "", f["message"]) for f in flags])
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

