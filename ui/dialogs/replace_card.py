"""A lost card replaced (a manager's action): everything on it moves to a new card.

The new card is a pre-printed one (its number scanned or typed) or, with the field left
empty, the next number of this till's block. The core does the move
(`card_lifecycle.replace`, off the UI thread: it may wait for the sync daemon's write
lock); a refusal is said in the dialog and nothing changes. Once done, the dialog shows
the new card and offers to print it, as issuing a card does.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from devices.routing import route
from pos_loyalty.amounts import points
from pos_loyalty.phone import masked
from pos_loyalty.replica.db import Replica
from pos_loyalty.services import card_lifecycle
from pos_loyalty.services.cards import CardView
from ui import background, messages
from ui.dialogs.issue_card import CardPage, card_image, print_card
from ui.style import figure


def card_picture(card: CardView, pharmacy: str, width: int = 506) -> QPixmap:
    """The printable card (`issue_card.card_image`), scaled to show in a dialog."""
    return QPixmap.fromImage(card_image(card, pharmacy)).scaledToWidth(width, Qt.TransformationMode.SmoothTransformation)


def make_room(dialog: QDialog) -> None:
    """Grow the dialog to fit what its word-wrapped labels say now (a problem, a preview)."""
    layout = dialog.layout()
    layout.activate()
    width = dialog.width()
    needed = layout.heightForWidth(width) if layout.hasHeightForWidth() else layout.sizeHint().height()
    if needed > dialog.height():
        dialog.resize(width, needed)


def bold(label: QLabel) -> QLabel:
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


class ReplaceCardDialog(QDialog):
    def __init__(
        self,
        replica: Replica,
        card: CardView,
        operator: str,
        pharmacy: str,
        data_dir: Path,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.replica, self.card, self.operator = replica, card, operator
        self.pharmacy, self.data_dir = pharmacy, data_dir
        self.replaced: CardView | None = None
        self.busy = False
        self.setWindowTitle(f"Replace the lost card of {card.customer_name}")
        self.setMinimumWidth(640)
        self.stack = QStackedWidget()
        self.stack.addWidget(self._form_page())
        self.stack.addWidget(self._done_page())
        QVBoxLayout(self).addWidget(self.stack)
        self.number.setFocus()

    def _form_page(self) -> QWidget:
        card = self.card
        page = QWidget()
        self.old_card = QLabel(
            f"Card {card.card_number}: {card.customer_name}, phone {masked(card.customer_phone)}, "
            f"{figure(points(card.points_balance))} points",
            objectName="oldCard", wordWrap=True,
        )
        self.number = QLineEdit(objectName="newCardNumber", placeholderText="empty: this till's next number")
        self.number.setMaxLength(40)
        how = QLabel(
            "A pre-printed card: scan it, or type its number. Left empty, the till gives the card its next "
            "number, to print now.",
            objectName="hint", wordWrap=True,
        )
        self.warning = bold(QLabel(
            f"Everything on card {card.card_number} (its {figure(points(card.points_balance))} points, its totals "
            f"and tier, the customers it referred) moves to the new card; card {card.card_number} stops working.",
            objectName="warning", wordWrap=True,
        ))
        self.problem = QLabel(objectName="problem", wordWrap=True)
        self.problem.hide()
        self.cancel_button = QPushButton("Cancel (Esc)", objectName="cancel", autoDefault=False)
        self.cancel_button.clicked.connect(self.reject)
        self.ok_button = QPushButton("Replace the card (Enter)", objectName="primary")
        self.ok_button.setDefault(True)  # Enter in the number field replaces
        self.ok_button.clicked.connect(self.replace)
        buttons = QHBoxLayout()
        buttons.addStretch()
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.ok_button)
        form = QFormLayout(page)
        form.addRow(QLabel("The lost card"), self.old_card)
        form.addRow("New card number", self.number)
        form.addRow(how)
        form.addRow(self.warning)
        form.addRow(self.problem)
        form.addRow(buttons)
        self.number.textEdited.connect(lambda _text: self._say(""))
        return page

    def _done_page(self) -> QWidget:
        page = CardPage(self.print_new, self.accept)
        self.summary, self.preview, self.note = page.summary, page.preview, page.note
        self.print_button, self.done_button = page.print_button, page.done_button
        return page

    # --- a scanner ---------------------------------------------------------------------------

    def take_scan(self, code: str) -> None:
        """A card scanned while the dialog is open is the new card: into the field, to be
        confirmed with Enter (the main window routes scanners here)."""
        if self.stack.currentIndex() != 0 or self.busy:
            return
        found = route(code)
        if found.card_number is None:
            self._say(f"Scanned {code!r}: not a loyalty card. {found.reason}")
            return
        self.number.setText(found.card_number)
        self.number.setFocus()
        self._say("")

    # --- replacing ---------------------------------------------------------------------------

    def replace(self) -> None:
        if self.busy or self.replaced is not None:
            return
        self.busy = True
        self.ok_button.setEnabled(False)
        self._say("")
        number, new_number = self.card.card_number, self.number.text().strip() or None
        background.run(
            lambda: card_lifecycle.replace(self.replica, number, new_number=new_number, performed_by=self.operator),
            self._replaced,
            self._refused,
            owner=self,
        )

    def _replaced(self, card: CardView) -> None:
        self.busy = False
        self.replaced = card
        old = self.card.card_number
        self.summary.setText(
            f"Card {card.card_number} replaces card {old}: {figure(points(card.points_balance))} points"
        )
        self.preview.setPixmap(card_picture(card, self.pharmacy))
        given = self.number.text().strip()
        first = f"Give the customer the pre-printed card {card.card_number}." if given else "Print the new card for the customer."
        self.note.setText(f"{first} Card {old} no longer works. Print it now, or later from the Customer menu (Ctrl+R).")
        self.stack.setCurrentIndex(1)
        make_room(self)  # the card's picture, whole
        self.ok_button.setDefault(False)
        self.done_button.setDefault(True)
        self.done_button.setFocus()

    def _refused(self, error: Exception) -> None:
        self.busy = False
        self.ok_button.setEnabled(True)
        self._say(messages.sentence(error))  # a LoyaltyError's own sentence; a locked disk's too
        self.number.setFocus()
        self.number.selectAll()

    def _say(self, message: str) -> None:
        self.problem.setText(message)
        self.problem.setVisible(bool(message))
        make_room(self)

    def print_new(self) -> None:
        if self.replaced is None:
            return
        try:
            self.note.setText(print_card(self.replaced, self.pharmacy, self.data_dir, self))
        except Exception as error:
            self.note.setText(messages.sentence(error))

    def reject(self) -> None:
        """Esc: cancel before; once replaced, it closes as Done (the new card exists either way)."""
        if self.busy:
            return  # the move is being made: its answer is shown in a moment
        if self.replaced is not None:
            self.accept()
        else:
            super().reject()
