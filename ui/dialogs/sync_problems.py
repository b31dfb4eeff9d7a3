"""What the central service refused from this till, and the flags it raised about this till's
changes (overdrafts, duplicate customers, rules that did not match): for the manager.

Each rejected change is said in words with the service's reason, and the manager deals
with it here: **Send again** (after the service was upgraded to take it) or **Settle**
(leave it unsent, with a note, and optionally put points right with an adjustment).
Both are recorded with the manager's name (`pos_loyalty/services/rejections.py`).

A bill is named by its short number at this till ("T1-000123, Asha Rao, ₹1,234.50"), a flag
by what it means; ids and codes are in the tooltips. The columns fit the dialog as it opens:
the short ones as wide as what they hold, the sentences share the rest and wrap.
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
from pos_loyalty.services import bill_names, central_link, rejections, settings
from ui import background, style

#: The central service's flags (`central/store/flags.py`) as a manager says them.
FLAG_WORDS = {
    "OVERDRAFT": "Overdraft",
    "RULES_MISMATCH": "Rules did not match",
    "DUPLICATE_CUSTOMER": "Same customer twice",
    "REFERRER_UNKNOWN": "Unknown referrer",
    "CONFIG_CONFLICT": "Configuration conflict",
    "MUTATION_REJECTED": "Change refused",
}


def _table(name: str, headings: tuple[str, ...], rows: list[tuple[str, ...]], sentences: int = 1) -> QTableWidget:
    """The last `sentences` columns share the width left and wrap; the others fit what they hold."""
    table = QTableWidget(len(rows), len(headings), objectName=name)
    table.setHorizontalHeaderLabels(headings)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
    table.setWordWrap(True)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    for column in range(len(headings) - sentences, len(headings)):
        table.horizontalHeader().setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
    _fill(table, rows)
    return table


def _fill(table: QTableWidget, rows: list[tuple[str, ...]], tips: list[str] | None = None) -> None:
    table.setRowCount(len(rows))
    for row, cells in enumerate(rows):
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if tips and tips[row]:
                item.setToolTip(tips[row])
            table.setItem(row, column, item)
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
        self.rejected = _table("rejected", ("#", "When", "What", "Why the central service refused it"), [], sentences=2)
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
        self.currency = settings.read(replica)[settings.CURRENCY]
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
                lambda: _named(replica, _fetch_flags(central.url, central.token)),
                self.show_flags,
                self.flags_unavailable,
                owner=self,
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

    def show_flags(self, named: tuple[list[dict[str, Any]], dict[str, bill_names.BillName]]) -> None:
        flags, bills = named
        _fill(
            self.flags,
            [(FLAG_WORDS.get(f["kind"], f["kind"]), f.get("cardNumber") or "", self._bill(f, bills), f["message"]) for f in flags],
            [f"{f['kind']}" + (f", bill id {f['billId']}" if f.get("billId") else "") for f in flags],
        )
        self.flags_note.setText("" if flags else "No flags.")

    def _bill(self, flag: dict[str, Any], bills: dict[str, bill_names.BillName]) -> str:
        """The flag's bill: "T1-000123, Asha Rao, ₹1,234.50", or the start of another till's bill's id."""
        bill_id = flag.get("billId")
        if not bill_id:
            return ""
        known = bills.get(bill_id)
        return known.said(style.local(), self.currency) if known else (bill_id if len(bill_id) <= 12 else bill_id[:8] + "…")

    def flags_unavailable(self, error: Exception) -> None:
        self.flags_note.setText(f"The central service's flags could not be read now ({error}).")


def _named(replica: Replica, flags: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, bill_names.BillName]]:
    """The flags, and the names of this till's bills they are about."""
    return flags, bill_names.named(replica, [f["billId"] for f in flags if isinstance(f.get("billId"), str)])


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

