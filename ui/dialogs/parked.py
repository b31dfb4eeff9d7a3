"""Parked bills: take one back to the counter, or throw it away.

Each parked bill shows who it is for, what it comes to (To pay, with the currency sign in the
pharmacy's locale) and when it was parked (local time), so the cashier picks the right one
when two customers wait. The amount is the core's quote of the bill as parked, as the
checkout will show it when it is taken back; a bill whose points can no longer be redeemed
shows its amount without them, marked so.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QDialog, QDialogButtonBox, QHeaderView, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from pos_loyalty.errors import LoyaltyError
from pos_loyalty.replica.db import Replica
from pos_loyalty.services import bills, parked
from ui import style
from ui.bill_draft import BillDraft

COLUMNS = ("Customer", "To pay", "Parked")
NO_AMOUNT = "not known: take it back to see"
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def to_pay(replica: Replica, document: dict[str, Any], currency: str) -> str:
    """What the parked bill comes to now: '₹1,250.00', '₹1,350.00 (before points)', or NO_AMOUNT."""
    try:
        draft = BillDraft.from_document(document)
        asked = [(draft, "")]
        if draft.redeem_points:  # too many points for the card now: the amount without them
            asked.append((dataclasses.replace(draft, redeem_points=None), " (before points)"))
        for bill, note in asked:
            try:
                quote = bills.quote(replica, bill.card_number, bill.request())
            except LoyaltyError:
                continue
            return style.local().money(quote.to_json()["payable"], currency) + note
    except (LoyaltyError, KeyError, TypeError, ValueError):  # a document this version cannot read
        pass
    return NO_AMOUNT


class ParkedDialog(QDialog):
    def __init__(self, replica: Replica, parent: QWidget | None = None, *, currency: str = "₹") -> None:
        super().__init__(parent)
        self.replica, self.currency = replica, currency
        self.chosen: dict[str, Any] | None = None
        self.ids: list[int] = []
        self.setWindowTitle("Parked bills")
        self.table = QTableWidget(0, len(COLUMNS), objectName="parkedList")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.resume_button = buttons.addButton("Take back (Enter)", QDialogButtonBox.ButtonRole.AcceptRole)
        self.discard_button = buttons.addButton("Throw away (Del)", QDialogButtonBox.ButtonRole.DestructiveRole)
        self.discard_button.setShortcut("Del")
        self.resume_button.clicked.connect(self.resume)
        self.discard_button.clicked.connect(self.discard)
        self.table.itemActivated.connect(lambda _item: self.resume())
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(640, 360)
        self.load()

    def load(self) -> None:
        shown = parked.parked(self.replica)
        self.ids = [bill.id for bill in shown]
        self.table.setRowCount(len(shown))
        for row, bill in enumerate(shown):
            cells = (bill.label, to_pay(self.replica, bill.document, self.currency), style.when(bill.created_at))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 1:
                    item.setTextAlignment(RIGHT)
                self.table.setItem(row, column, item)
        if shown:
            self.table.selectRow(0)
        self.table.setFocus()

    def row_text(self, row: int) -> list[str]:
        """What the list says of parked bill `row` (customer, to pay, parked)."""
        return [self.table.item(row, column).text() for column in range(len(COLUMNS))]

    def _current(self) -> int | None:
        row = self.table.currentRow()
        return self.ids[row] if 0 <= row < len(self.ids) else None

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
