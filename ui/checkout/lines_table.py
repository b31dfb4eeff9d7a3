"""The bill's lines with the quote's working: Delete removes a line, Enter takes it back to edit."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from ui.style import figure

COLUMNS = ("Category", "Qty × price", "Amount", "Discount", "Pay")


class LinesTable(QTableWidget):
    remove_requested = Signal(int)
    edit_requested = Signal(int)

    def __init__(self) -> None:
        super().__init__(0, len(COLUMNS))
        self.setObjectName("linesTable")
        self.setHorizontalHeaderLabels(COLUMNS)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().setVisible(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.cellDoubleClicked.connect(lambda row, _column: self.edit_requested.emit(row))

    def show_lines(self, draft_lines: list[Any], quote_lines: list[dict[str, Any]] | None) -> None:
        self.setRowCount(len(draft_lines))
        for row, line in enumerate(draft_lines):
            worked = quote_lines[row] if quote_lines and row < len(quote_lines) else None
            units = f"{line.quantity} × {figure(line.unit_price)}" if line.quantity is not None else ""
            cells = [
                worked["categoryName"] if worked else str(line.category_id),
                units,
                figure(worked["gross"]) if worked else (figure(line.amount) if line.amount is not None else ""),
                figure(worked["categoryDiscount"]) if worked else "",
                figure(worked["paid"]) if worked else "",
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.setItem(row, column, item)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        row = self.currentRow()
        if row >= 0 and event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.remove_requested.emit(row)
            return
        if row >= 0 and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.edit_requested.emit(row)
            return
        super().keyPressEvent(event)
