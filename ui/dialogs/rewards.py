"""The pharmacy's reward products (F7), to add one to the bill: type to narrow the list,
arrows to choose, a quantity, Enter. Each shows its points price."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QDialog, QDialogButtonBox, QFormLayout, QHeaderView, QLabel, QLineEdit, QSpinBox, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget,
)

from pos_loyalty.amounts import points
from pos_loyalty.rules.programme import Reward
from ui.style import figure


class RewardPicker(QDialog):
    def __init__(self, rewards: tuple[Reward, ...], available: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add a reward product (bought with points)")
        self.rewards = [reward for reward in rewards if reward.is_active]
        self.chosen: tuple[str, int] | None = None
        self.filter = QLineEdit(objectName="rewardFilter", placeholderText="Type the code or part of the name")
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(("Code", "Reward", "Points price"))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumSize(560, 220)
        self.quantity = QSpinBox(objectName="rewardQuantity", minimum=1, maximum=99)
        form = QFormLayout()
        form.addRow("Quantity", self.quantity)
        note = "The customer's card pays: " + (f"{available} points available" if available else "scan the card first")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Add (Enter)")
        buttons.accepted.connect(self.take)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter)
        layout.addWidget(self.table)
        layout.addLayout(form)
        layout.addWidget(QLabel(note if self.rewards else "This pharmacy has no reward products (the manager adds them: Ctrl+K)",
                                objectName="hint", wordWrap=True))
        layout.addWidget(buttons)
        self.filter.textChanged.connect(self._narrow)
        self.filter.returnPressed.connect(self.take)
        self.table.cellDoubleClicked.connect(lambda _row, _column: self.take())
        self._narrow("")
        self.filter.setFocus()

    def _narrow(self, text: str) -> None:
        wanted = text.strip().lower()
        shown = [r for r in self.rewards if wanted in r.reward_id.lower() or wanted in r.name.lower()]
        self.table.setRowCount(len(shown))
        for row, reward in enumerate(shown):
            price = QTableWidgetItem(f"{figure(points(reward.points_price))} points")
            price.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            for column, item in enumerate((QTableWidgetItem(reward.reward_id), QTableWidgetItem(reward.name), price)):
                self.table.setItem(row, column, item)
        if shown:
            self.table.selectRow(0)

    def keyPressEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802 (Qt's name)
        """Up and down in the filter move in the list (the hands stay on the keys)."""
        if event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down) and self.table.rowCount():
            step = -1 if event.key() == Qt.Key.Key_Up else 1
            self.table.selectRow(max(0, min(self.table.rowCount() - 1, self.table.currentRow() + step)))
            return
        super().keyPressEvent(event)

    def take(self) -> None:
        row = self.table.currentRow()
        if row < 0:
            return
        self.chosen = (self.table.item(row, 0).text(), self.quantity.value())
        self.accept()
