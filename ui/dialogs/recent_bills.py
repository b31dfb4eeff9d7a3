"""The newest bills at this till, and reversing one (with the manager's PIN, and a confirmation).

A bill is named by its short number at this till, its customer and amount ("T1-000123, Asha
Rao, ₹1,234.50"); its id (a UUID) is only in the Bill cell's tooltip. The columns fit the
dialog as it opens: each is as wide as what it holds, the customer's name takes the rest."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pos_loyalty.errors import LoyaltyError
from pos_loyalty.replica.db import Replica
from pos_loyalty.services import bill_names, bills, configuration, settings
from ui import messages
from ui.changes import BILL, Changes
from ui.dialogs.return_bill import ReturnDialog
from ui import style
from ui.style import figure, keyed_button
from ui.sync_status import ago

COLUMNS = ("When", "Bill", "Card", "Customer", "To pay", "Points", "State")
CUSTOMER, MONEY_AND_POINTS = 3, (4, 5)


class RecentBillsDialog(QDialog):
    def __init__(
        self,
        replica: Replica,
        changes: Changes,
        operator: str,
        manager_ok: Callable[[], bool],
        parent: QWidget | None = None,
        *,
        pharmacy: str = "",
        receipts: Path | None = None,
        printer: object = None,
    ) -> None:
        super().__init__(parent)
        self.replica, self.changes, self.operator, self.manager_ok = replica, changes, operator, manager_ok
        self.pharmacy, self.receipts = pharmacy, receipts or Path("receipts")
        self.printer = printer  # ui.receipt_printer.ReceiptPrinter, for the return slip
        self.setWindowTitle("Recent bills")
        self.resize(900, 520)
        self.table = QTableWidget(0, len(COLUMNS), objectName="recentBills")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(CUSTOMER, QHeaderView.ResizeMode.Stretch)
        self.currency = settings.read(replica)[settings.CURRENCY]
        self.note = QLabel(objectName="hint")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.reverse_button = keyed_button(buttons, "Reverse bill", "Ctrl+Z", self.reverse_selected)
        self.return_button = keyed_button(buttons, "Return part", "Ctrl+R", self.return_selected)
        self.receipt_button = keyed_button(buttons, "Receipt again", "Ctrl+P", self.receipt_again)
        for button in buttons.buttons():  # Enter on a bill shows its receipt; it never reverses it
            button.setAutoDefault(False)
        self.receipt_button.setDefault(True)
        buttons.rejected.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        self.rows: list[dict] = []
        self.load()

    def load(self) -> None:
        from datetime import datetime, timezone

        now = datetime.now(timezone.utc).replace(tzinfo=None)
        self.rows = bills.recent(self.replica, limit=50)
        self.table.setRowCount(len(self.rows))
        for row, bill in enumerate(self.rows):
            earned = figure(bill["pointsEarned"])
            redeemed = figure(bill["pointsRedeemed"])
            cells = (
                ago(bill["finalizedAt"], now),
                bill["billNumber"],
                bill["cardNumber"] or "(no card)",
                bill["customerName"] or "",
                figure(bill["payable"]),
                f"+{earned} / -{redeemed}",
                "reversed" if bill["status"] == bills.REVERSED else ("part returned" if bill.get("returned") else ""),
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(f"{self.said(bill)} (bill id {bill['billId']})")
                if column in MONEY_AND_POINTS:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        if self.rows:
            self.table.selectRow(0)

    def said(self, bill: dict) -> str:
        """The bill as the cashier names it: "T1-000123, Asha Rao, ₹1,234.50"."""
        return bill_names.say(bill["billNumber"], bill["customerName"], bill["payable"], style.local(), self.currency)

    def return_selected(self) -> ReturnDialog | None:
        """Open the return screen of the chosen bill (the manager's PIN is asked on confirming)."""
        row = self.table.currentRow()
        if not 0 <= row < len(self.rows):
            return None
        try:
            dialog = ReturnDialog(
                self.replica, self.rows[row]["billId"], self.changes, self.operator, self.manager_ok,
                self.pharmacy, self.receipts, self, printer=self.printer,
            )
        except LoyaltyError as error:
            self.note.setText(error.message)
            return None
        dialog.finished.connect(lambda _result: self.load())
        dialog.open()
        return dialog

    def receipt_again(self) -> QDialog | None:
        """The chosen bill's receipt as the customer had it (its figures when it was
        finalized), to show, print or save again; a reversed bill's says so on top."""
        from ui.checkout import bill_notes
        from ui.dialogs.receipt import ReceiptDialog

        row = self.table.currentRow()
        if not 0 <= row < len(self.rows):
            return None
        shown = bills.show(self.replica, self.rows[row]["billId"])
        dialog = ReceiptDialog(
            shown, shown["customerName"], self.pharmacy, self.currency, self.receipts, self,
            promotions=bill_notes.promotion_names(configuration.in_use(self.replica)), printer=self.printer,
            marked="COPY: BILL REVERSED" if shown["status"] == bills.REVERSED else "COPY",
        )
        dialog.open()
        return dialog

    def reverse_selected(self, *, confirm: bool = True) -> None:
        row = self.table.currentRow()
        if not 0 <= row < len(self.rows):
            return
        bill = self.rows[row]
        if confirm:
            asked = QMessageBox.question(
                self,
                "Reverse this bill?",
                f"Reverse bill {self.said(bill)}? Every point it earned or redeemed is put back; this cannot be undone.",
            )
            if asked != QMessageBox.StandardButton.Yes:
                return
        if not self.manager_ok():
            return
        try:
            bills.reverse(self.replica, bill["billId"], performed_by=self.operator)
        except LoyaltyError as error:
            self.note.setText(error.message)
            return
        except Exception as error:
            messages.show(self, error)
            return
        self.note.setText(f"Bill {self.said(bill)} reversed: every point it earned or redeemed is put back.")
        self.changes.announce(BILL)
        self.load()
