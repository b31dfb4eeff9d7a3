"""What the central service refused from this till, kept for the manager to look at."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from pos_loyalty.replica.db import Replica
from pos_loyalty.services import status

COLUMNS = ("#", "Change", "When", "Why")


class SyncProblemsDialog(QDialog):
    def __init__(self, replica: Replica, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Changes the central service refused")
        self.resize(900, 420)
        rejected = status.rejected(replica)
        table = QTableWidget(len(rejected), len(COLUMNS), objectName="rejected")
        table.setHorizontalHeaderLabels(COLUMNS)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.verticalHeader().setVisible(False)
        table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        for row, item in enumerate(rejected):
            cells = (str(item["deviceSeq"]), item["kind"], f"{item['createdAt']:%Y-%m-%d %H:%M}", f"{item['errorCode']}: {item['errorMessage']}")
            for column, text in enumerate(cells):
                table.setItem(row, column, QTableWidgetItem(text))
        note = QLabel(
            "These changes were kept here; later ones went through. Flags the central service raised "
            "(overdrafts, duplicate customers) are listed for admins at /api/v1/flags."
            if rejected
            else "Nothing was refused.",
            objectName="hint",
        )
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addWidget(note)
        layout.addWidget(buttons)
