"""The bill's lines with the quote's working, then its reward products: Delete removes a row,
Enter takes a line back to edit. The last column says what is special about a row's points
(a promotion, a prescription points cannot pay for, a reward's points price)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from ui.style import figure

COLUMNS = ("Category", "Qty × price", "Amount", "Member discount", "Pay", "Points")
NOT_REDEEMABLE = QColor("#fff3e0")  # a line points cannot pay for
REWARD = QColor("#e8f5e9")


@dataclass(frozen=True)
class RewardRow:
    """A reward product on the bill as the table shows it."""

    label: str  # "Reward: Baby lotion 100 ml (LOTION-100)"
    quantity: str  # "2 × 250.00 points"
    points: str  # "500.00 points" (the quote's), or the price when there is no quote


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
        self.setWordWrap(True)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.cellDoubleClicked.connect(lambda row, _column: self.edit_requested.emit(row))

    def show_lines(
        self,
        draft_lines: list[Any],
        quote_lines: list[dict[str, Any]] | None,
        notes: list[str] | None = None,
        rewards: list[RewardRow] | tuple[RewardRow, ...] = (),
    ) -> None:
        self.setRowCount(len(draft_lines) + len(rewards))
        for row, line in enumerate(draft_lines):
            worked = quote_lines[row] if quote_lines and row < len(quote_lines) else None
            units = f"{line.quantity} × {figure(line.unit_price)}" if line.quantity is not None else ""
            cells = [
                worked["categoryName"] if worked else str(line.category_id),
                units,
                figure(worked["gross"]) if worked else (figure(line.amount) if line.amount is not None else ""),
                figure(worked["categoryDiscount"]) if worked else "",
                figure(worked["paid"]) if worked else "",
                notes[row] if notes and row < len(notes) else "",
            ]
            shade = NOT_REDEEMABLE if worked and not worked.get("isRedeemable", True) else None
            self._fill(row, cells, shade)
        for offset, reward in enumerate(rewards):
            self._fill(len(draft_lines) + offset, [reward.label, reward.quantity, "", "", "", reward.points], REWARD)
        self.resizeRowsToContents()  # a long note wraps onto a second line rather than being cut

    def _fill(self, row: int, cells: list[str], shade: QColor | None) -> None:
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            if 2 <= column < len(COLUMNS) - 1:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if shade is not None:
                item.setBackground(shade)
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
