"""One list of the loyalty configuration (categories, discounts or tiers) as an editable
table, with each problem the core finds shown on its cell. Used by `config_editor.py`."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemDelegate, QAbstractItemView, QApplication, QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableWidget, QTableWidgetItem,
    QVBoxLayout, QWidget,
)


PROBLEM_CELL = QColor("#ffcdd2")


def button(text: str, slot: Any, name: str = "") -> QPushButton:
    made = QPushButton(text, objectName=name)
    made.setAutoDefault(False)  # Enter in a field or a table cell must never save
    made.clicked.connect(slot)
    return made


def problem_label() -> QLabel:
    return QLabel(objectName="problem", wordWrap=True, visible=False)


class EntryTable(QWidget):
    """One list of the configuration (categories, discounts or tiers) as an editable table."""

    edited = Signal()

    def __init__(self, columns: tuple[tuple[str, str, str], ...], blank: dict[str, Any], note: str, *, ordered: bool = False) -> None:
        super().__init__()
        self.columns, self.blank = columns, blank
        self.table = QTableWidget(0, len(columns))
        self.table.setHorizontalHeaderLabels([header for _key, header, _kind in columns])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setTabKeyNavigation(False)  # arrows move between cells; Tab leaves the table
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.problem = problem_label()
        buttons = QHBoxLayout()
        buttons.addWidget(button("&Add a row", self.add_row))
        buttons.addWidget(button("&Remove this row", self.remove_row))
        if ordered:
            buttons.addWidget(button("Move &up", lambda: self.move(-1)))
            buttons.addWidget(button("Move &down", lambda: self.move(1)))
        buttons.addStretch()
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(note, objectName="hint", wordWrap=True))
        layout.addWidget(self.table)
        layout.addWidget(self.problem)
        layout.addLayout(buttons)
        self.table.itemChanged.connect(lambda _item: self.edited.emit())

    def load(self, entries: list[dict[str, Any]]) -> None:
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        for entry in entries:
            self._append(entry)
        self.table.blockSignals(False)

    def _append(self, entry: dict[str, Any]) -> int:
        row = self.table.rowCount()
        self.table.insertRow(row)
        for column, (key, _header, kind) in enumerate(self.columns):
            item = QTableWidgetItem()
            if kind == "check":
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if entry.get(key, True) else Qt.CheckState.Unchecked)
            else:
                item.setText("" if entry.get(key) is None else str(entry[key]))
            self.table.setItem(row, column, item)
        return row

    def add_row(self) -> None:
        self.table.blockSignals(True)
        row = self._append(self.blank)
        self.table.blockSignals(False)
        self.table.setFocus()
        self.table.setCurrentCell(row, 0)
        self.table.editItem(self.table.item(row, 0))
        self.edited.emit()

    def remove_row(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)
            self.edited.emit()

    def move(self, step: int) -> None:
        row, column = self.table.currentRow(), self.table.currentColumn()
        target = row + step
        if row < 0 or not 0 <= target < self.table.rowCount():
            return
        self.table.blockSignals(True)
        for col in range(self.table.columnCount()):
            here, there = self.table.takeItem(row, col), self.table.takeItem(target, col)
            self.table.setItem(target, col, here)
            self.table.setItem(row, col, there)
        self.table.blockSignals(False)
        self.table.setCurrentCell(target, max(column, 0))
        self.edited.emit()

    def entries(self) -> list[dict[str, Any]]:
        """The rows as the document's list, one entry per row (so row n is `key[n]`)."""
        listed = []
        for row in range(self.table.rowCount()):
            entry: dict[str, Any] = {}
            for column, (key, _header, kind) in enumerate(self.columns):
                item = self.table.item(row, column)
                text = item.text().strip()
                if kind == "check":
                    entry[key] = item.checkState() == Qt.CheckState.Checked
                elif kind == "id":
                    # The digits 0-9 only (str.isdigit takes '²' and '١٢'); a long run stays text:
                    # the core refuses what is not an id, naming the cell.
                    entry[key] = int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else text
                elif text or not kind.endswith("?"):
                    entry[key] = text
            listed.append(entry)
        return listed

    def show_problems(self, problems: list[tuple[int, str | None, str]]) -> None:
        """Colour each bad cell, its message as the tooltip, and list them under the table."""
        keys = [key for key, _header, _kind in self.columns]
        self.table.blockSignals(True)  # colouring a cell is not an edit
        for row in range(self.table.rowCount()):
            for column in range(self.table.columnCount()):
                self.table.item(row, column).setData(Qt.ItemDataRole.BackgroundRole, None)
                self.table.item(row, column).setToolTip("")
        lines = []
        for row, key, message in problems:
            column = keys.index(key) if key in keys else 0
            item = self.table.item(row, column)
            if item is not None:
                item.setBackground(PROBLEM_CELL)
                item.setToolTip(message)
            lines.append(f"Row {row + 1}, {self.columns[column][1]}: {message}")
        self.table.blockSignals(False)
        self.problem.setText("\n".join(lines))
        self.problem.setVisible(bool(lines))

    def commit_pending(self) -> None:
        """A cell still being typed in (Ctrl+S pressed inside it) counts as edited."""
        editor = QApplication.focusWidget()
        if self.table.state() == QAbstractItemView.State.EditingState and editor and self.table.isAncestorOf(editor):
            self.table.commitData(editor)
            self.table.closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)
