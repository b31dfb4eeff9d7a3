"""One list of the loyalty configuration (categories, discounts, tiers, promotions, rewards)
as an editable table, with each problem the core finds shown on its cell. Used by
`config_editor.py`.

A column's kind says how its text becomes the document's value: "id" a whole number,
"name"/"number"/"date" text the core checks ("…?": left out when blank), "code" text in
capitals, "check" a tick box, "days" a list of weekdays ("1,2,3" or "Mon,Tue"), "ids" a
list of whole numbers ("1,3"); both lists are left out when blank. What cannot be read as
a list is a problem of its cell (`typed`), found before the core sees the document.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemDelegate, QAbstractItemView, QApplication, QCalendarWidget, QDialog, QHBoxLayout, QHeaderView, QLabel, QPushButton,
    QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)


PROBLEM_CELL = QColor("#ffcdd2")
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_SEPARATORS = re.compile(r"[\s,;]+")


def weekdays(text: str) -> list[int]:
    """'1,2,3', 'Mon, Tue' or 'monday sunday' as ISO weekdays (1 = Monday); ValueError names
    the word that is not a day."""
    days = []
    for word in filter(None, _SEPARATORS.split(text)):
        lowered = word.lower()
        if word.isascii() and word.isdigit() and len(word) == 1 and 1 <= int(word) <= 7:
            days.append(int(word))
        elif len(lowered) >= 3 and any(full.startswith(lowered) for full in _FULL_DAYS):
            days.append(next(index for index, full in enumerate(_FULL_DAYS, 1) if full.startswith(lowered)))
        else:
            raise ValueError(f"{word[:20]!r} is not a day: write Mon, Tue ... Sun, or 1 (Monday) to 7 (Sunday)")
    return days


def whole_numbers(text: str) -> list[int]:
    numbers = []
    for word in filter(None, _SEPARATORS.split(text)):
        if not (word.isascii() and word.isdigit() and len(word) <= 10):
            raise ValueError(f"{word[:20]!r} is not a category's number: write them like 1,3")
        numbers.append(int(word))
    return numbers


def _shown(kind: str, value: Any) -> str:
    if value is None:
        return ""
    if kind == "days" and isinstance(value, list):
        return ",".join(DAY_NAMES[day - 1] if isinstance(day, int) and 1 <= day <= 7 else str(day) for day in value)
    if kind == "ids" and isinstance(value, list):
        return ",".join(str(number) for number in value)
    return str(value)


def button(text: str, slot: Any, name: str = "") -> QPushButton:
    made = QPushButton(text, objectName=name)
    made.setAutoDefault(False)  # Enter in a field or a table cell must never save
    made.clicked.connect(slot)
    return made


def problem_label() -> QLabel:
    return QLabel(objectName="problem", wordWrap=True, visible=False)


class EntryTable(QWidget):
    """One list of the configuration as an editable table."""

    edited = Signal()

    def __init__(
        self, columns: tuple[tuple[str, str, str], ...], blank: dict[str, Any], note: str, *, ordered: bool = False, stretch: str = ""
    ) -> None:
        """`stretch`: the one column that takes the spare width (the others fit their text);
        none named: every column shares it."""
        super().__init__()
        self.columns, self.blank = columns, blank
        self.typed: list[tuple[int, str, str]] = []  # (row, key, message): text no list can be made of
        self.table = QTableWidget(0, len(columns))
        self.table.setHorizontalHeaderLabels([header for _key, header, _kind in columns])
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents if stretch else QHeaderView.ResizeMode.Stretch)
        for index, (key, _header, _kind) in enumerate(columns):
            if key == stretch:
                header.setSectionResizeMode(index, QHeaderView.ResizeMode.Stretch)
        self.table.setTabKeyNavigation(False)  # arrows move between cells; Tab leaves the table
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.problem = problem_label()
        buttons = QHBoxLayout()
        buttons.addWidget(button("&Add a row", self.add_row))
        buttons.addWidget(button("&Remove this row", self.remove_row))
        if ordered:
            buttons.addWidget(button("Move &up", lambda: self.move(-1)))
            buttons.addWidget(button("Move &down", lambda: self.move(1)))
        if any(kind.startswith("date") for _key, _header, kind in columns):
            buttons.addWidget(button("&Pick a date", self.pick_date))
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
                item.setText(_shown(kind, entry.get(key)))
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
        listed, self.typed = [], []
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
                elif kind in ("days", "ids"):
                    if text:
                        try:
                            entry[key] = weekdays(text) if kind == "days" else whole_numbers(text)
                        except ValueError as error:
                            self.typed.append((row, key, str(error)))
                elif kind == "code":
                    entry[key] = text.upper()
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

    def pick_date(self) -> None:
        """A calendar for the current date cell (the row's first date cell when another is
        current); Enter or a double click takes the day. Typing YYYY-MM-DD works as well."""
        row = self.table.currentRow()
        if row < 0:
            return
        dates = [index for index, (_key, _header, kind) in enumerate(self.columns) if kind.startswith("date")]
        column = self.table.currentColumn() if self.table.currentColumn() in dates else dates[0]
        picker = DatePicker(self.table.item(row, column).text(), self)
        if picker.exec() == QDialog.DialogCode.Accepted:
            self.table.item(row, column).setText(picker.chosen())
            self.table.setCurrentCell(row, column)
        self.table.setFocus()


class DatePicker(QDialog):
    """A month's calendar: arrows move a day, Page Up/Down a month, Enter takes the day."""

    def __init__(self, shown: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Pick a date")
        self.calendar = QCalendarWidget()
        self.calendar.setFirstDayOfWeek(Qt.DayOfWeek.Monday)
        self.calendar.setGridVisible(True)
        try:
            start = date.fromisoformat(shown.strip())
            self.calendar.setSelectedDate(QDate(start.year, start.month, start.day))
        except ValueError:
            pass  # not a date yet: today
        self.calendar.activated.connect(lambda _day: self.accept())
        layout = QVBoxLayout(self)
        layout.addWidget(self.calendar)
        layout.addWidget(QLabel("Enter: this day    Esc: keep the cell as it is", objectName="hint"))
        self.calendar.setFocus()

    def chosen(self) -> str:
        return self.calendar.selectedDate().toString("yyyy-MM-dd")
