"""Two cards of one customer made one (a manager's action): the card on the bill is kept.

The other card's number is scanned or typed; as soon as it is a whole card number the
dialog shows whose card it is (name, masked phone, balance) and what the kept card will
hold, so the manager sees it before pressing Enter. The core does the merge
(`card_lifecycle.merge`, off the UI thread) and has the last word: a refusal is said
here and nothing changes.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from devices.routing import route
from pos_loyalty import cardnumber
from pos_loyalty.amounts import points
from pos_loyalty.errors import InvalidInput, LoyaltyError
from pos_loyalty.phone import masked
from pos_loyalty.replica.db import Replica
from pos_loyalty.services import card_lifecycle, cards
from pos_loyalty.services.cards import CardView
from ui import background, messages
from ui.dialogs.replace_card import bold, make_room
from ui.style import figure


def _said(card: CardView) -> str:
    return f"{card.customer_name}, phone {masked(card.customer_phone)}, {figure(points(card.points_balance))} points"


class MergeCardsDialog(QDialog):
    def __init__(self, replica: Replica, keep: CardView, operator: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.replica, self.keep, self.operator = replica, keep, operator
        self.merged: CardView | None = None
        self.other_number: str | None = None  # the card merged in, once done
        self.previewed: str | None = None  # the number the preview shows, when it shows a card
        self.busy = False
        self.setWindowTitle(f"Merge two cards of {keep.customer_name}")
        self.setMinimumWidth(640)
        self.kept = QLabel(f"Card {keep.card_number}: {_said(keep)}", objectName="keptCard", wordWrap=True)
        self.other = QLineEdit(objectName="otherCardNumber", placeholderText="scan or type the customer's other card")
        self.other.setMaxLength(40)
        self.preview = QLabel(objectName="preview", wordWrap=True)
        self.warning = bold(QLabel(objectName="warning", wordWrap=True))
        self.problem = QLabel(objectName="problem", wordWrap=True)
        self.problem.hide()
        self.cancel_button = QPushButton("Cancel (Esc)", objectName="cancel", autoDefault=False)
        self.cancel_button.clicked.connect(self.reject)
        self.ok_button = QPushButton(f"Merge into card {keep.card_number} (Enter)", objectName="primary")
        self.ok_button.setDefault(True)  # Enter in the number field merges
        self.ok_button.clicked.connect(self.merge)
        buttons = QHBoxLayout()
        buttons.addStretch()
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.ok_button)
        form = QFormLayout(self)
        form.addRow("Card kept", self.kept)
        form.addRow("The other card", self.other)
        form.addRow(self.preview)
        form.addRow(self.warning)
        form.addRow(self.problem)
        form.addRow(buttons)
        self.other.textChanged.connect(self.show_preview)
        self.show_preview("")
        self.other.setFocus()

    # --- the preview ------------------------------------------------------------------------

    def show_preview(self, text: str) -> None:
        """Whose card the number is, and what the kept card will hold: shown once it is a
        whole card number (the merge itself checks everything again)."""
        self._preview(text)
        make_room(self)

    def _preview(self, text: str) -> None:
        self.previewed = None
        self._say("")
        keep = self.keep.card_number
        self.warning.setText(
            f"Everything on the other card (its points, totals and the customers it referred) moves to card {keep}; "
            "the other card stops working."
        )
        try:
            number = cardnumber.validate(text.strip())
        except InvalidInput:
            self.preview.setText("Scan the customer's other card, or type its whole number.")
            return
        try:
            kept = cards.find(self.replica, keep)  # as it is now
            other = cards.find(self.replica, number)
        except LoyaltyError as error:
            self.preview.setText(error.message)
            return
        if other.id == kept.id:
            self.preview.setText(f"Card {number} is the card on the bill: scan the customer's other card.")
            return
        if other.replaced_by_number is not None:
            self.preview.setText(
                f"Card {number} was already replaced by (or merged into) card {other.replaced_by_number}."
            )
            return
        after = figure(points(card_lifecycle.balance_after_merge(kept, other)))
        self.preview.setText(
            f"Card {other.card_number}: {_said(other)}.\nAfter the merge card {keep} has {after} points."
        )
        self.warning.setText(
            f"Everything on card {other.card_number} (its points, totals and the customers it referred) moves to "
            f"card {keep}; card {other.card_number} stops working."
        )
        self.previewed = other.card_number

    # --- a scanner ---------------------------------------------------------------------------

    def take_scan(self, code: str) -> None:
        """A card scanned while the dialog is open is the other card: into the field, its
        preview shown, to be confirmed with Enter (the main window routes scanners here)."""
        if self.busy or self.merged is not None:
            return
        found = route(code)
        if found.card_number is None:
            self._say(f"Scanned {code!r}: not a loyalty card. {found.reason}")
            return
        self.other.setText(found.card_number)
        self.other.setFocus()

    # --- merging ------------------------------------------------------------------------------

    def merge(self) -> None:
        if self.busy or self.merged is not None:
            return
        other = self.other.text().strip()
        if not other:
            self._say("Scan or type the customer's other card first.")
            self.other.setFocus()
            return
        self.busy = True
        self.ok_button.setEnabled(False)
        self._say("")
        keep = self.keep.card_number
        background.run(
            lambda: card_lifecycle.merge(self.replica, keep, other, performed_by=self.operator),
            lambda card: self._merged(card, other),
            self._refused,
            owner=self,
        )

    def _merged(self, card: CardView, other: str) -> None:
        self.busy = False
        self.merged = card
        self.other_number = cardnumber.validate(other)
        self.accept()

    def _refused(self, error: Exception) -> None:
        self.busy = False
        self.ok_button.setEnabled(True)
        self._say(messages.sentence(error))
        self.other.setFocus()
        self.other.selectAll()

    def _say(self, message: str) -> None:
        self.problem.setText(message)
        self.problem.setVisible(bool(message))
        make_room(self)

    def reject(self) -> None:
        if not self.busy:  # while the merge is being made, its answer is shown in a moment
            super().reject()
