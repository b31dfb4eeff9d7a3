"""A manager's adjustment of a card's balance, with the reason for it."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QWidget

from pos_loyalty.amounts import points
from pos_loyalty.errors import LoyaltyError
from pos_loyalty.replica.db import Replica
from pos_loyalty.services import cards
from pos_loyalty.services.cards import CardView
from ui.style import figure


class AdjustDialog(QDialog):
    def __init__(self, replica: Replica, card: CardView, operator: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.replica, self.card, self.operator = replica, card, operator
        self.result: CardView | None = None
        self.setWindowTitle(f"Adjust the balance of {card.customer_name}")
        self.amount = QLineEdit(objectName="adjustPoints", placeholderText="e.g. 50 or -20")
        self.reason = QLineEdit(objectName="adjustReason", placeholderText="why (shown in the card's history)")
        self.problem = QLabel(objectName="problem")
        form = QFormLayout(self)
        form.addRow(QLabel(f"Card {card.card_number}: {figure(points(card.points_balance))} points now"))
        form.addRow("Points to add (or take away)", self.amount)
        form.addRow("Reason", self.reason)
        form.addRow(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def save(self) -> None:
        try:
            self.result = cards.adjust(
                self.replica, self.card.card_number, self.amount.text().strip(), reason=self.reason.text(), performed_by=self.operator
            )
        except LoyaltyError as error:
            self.problem.setText(error.message)
            return
        self.accept()
