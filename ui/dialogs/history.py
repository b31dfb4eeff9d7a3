"""A customer's points movements, newest first, each in words with who did it
(`history_words.describe`, a bill by its short number "T1-000123"): loaded off the UI thread
(a long history never freezes the till). What a movement refers to by id (a bill's UUID)
is only in its tooltip: the columns a cashier reads fit the dialog as it opens."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from pos_loyalty.history_words import describe
from pos_loyalty.replica.db import Replica
from pos_loyalty.services import cards
from pos_loyalty.services.cards import CardView
from ui import background, messages
from ui.style import figure

COLUMNS = ("When", "What", "Points", "Balance")
SHOWN = 500


class HistoryDialog(QDialog):
    def __init__(self, replica: Replica, card: CardView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"History of {card.customer_name} ({card.card_number})")
        self.resize(1000, 560)
        self.table = QTableWidget(0, len(COLUMNS), objectName="history")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)  # the sentence takes the room left,
        self.table.setWordWrap(True)  # and wraps rather than losing its end (who did it)
        self.table.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.note = QLabel("Loading…", objectName="hint")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        background.run(
            lambda: cards.history(replica, card.card_number, limit=SHOWN), self.show_rows, self.failed, owner=self
        )

    def show_rows(self, rows: list[dict]) -> None:
        self.table.setRowCount(len(rows))
        for index, row in enumerate(rows):
            cells = (
                f"{row['createdAt']:%Y-%m-%d %H:%M}",
                describe(row),  # in words, with who did it
                figure(row["points"]),
                figure(row["balanceAfter"]),
            )
            reference = f" (bill id {row['referenceId']})" if row.get("billNumber") else ""
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 1:
                    item.setToolTip(text + reference)  # the whole sentence, and the bill's id
                if column in (2, 3):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(index, column, item)
        self.note.setText(
            f"{len(rows)} movement{'' if len(rows) == 1 else 's'} at this till"
            + (f" (the newest {SHOWN})" if len(rows) == SHOWN else "")
        )

    def failed(self, error: Exception) -> None:
        self.note.setText(messages.sentence(error))
