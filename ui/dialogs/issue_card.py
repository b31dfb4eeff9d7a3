"""Issuing a loyalty card at the counter: the customer's details, then the card to print.

The core checks everything (`cards.issue`); a refusal is shown next to the field it
names and nothing is issued. Once issued, the dialog shows the card with its barcode
and offers to print it; a till without a printer saves it as a card-sized PDF.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QImage, QKeySequence, QPainter, QPixmap, QShortcut
from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrinterInfo
from PySide6.QtWidgets import (
    QDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QRadioButton, QStackedWidget, QVBoxLayout,
    QWidget,
)

from devices import card_sheet
from pos_loyalty import cardnumber, errors
from pos_loyalty.errors import InvalidInput, LoyaltyError
from pos_loyalty.phone import looks_like_phone
from pos_loyalty.replica.db import Replica
from pos_loyalty.services import cards
from pos_loyalty.services.cards import CardView
from ui import messages
from ui.changes import CARDS, Changes

CARD_MM = (85.6, 54.0)
PREVIEW_WIDTH = 506  # pixels: the card at about its real size on a counter's screen
TITLE_BAR_PX = 40  # room kept for the window's title bar


def card_image(card: CardView, pharmacy: str) -> QImage:
    """The card as devices.card_sheet draws it (the same picture the CLI and the PDF use)."""
    buffer = io.BytesIO()
    card_sheet.card_image(card.card_number, card.customer_name, pharmacy).save(buffer, "PNG")
    return QImage.fromData(buffer.getvalue(), "PNG")


def print_card(card: CardView, pharmacy: str, data_dir: Path, parent: QWidget | None) -> str:
    """Print the card at its real size, or save `cards/<number>.pdf` where there is no printer."""
    if not QPrinterInfo.availablePrinters():
        path = card_sheet.write_card_sheet(
            card.card_number, card.customer_name, pharmacy, Path(data_dir) / "cards" / f"{card.card_number}.pdf"
        )
        return f"Saved the card as {path} (no printer here)"
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    if QPrintDialog(printer, parent).exec() != QDialog.DialogCode.Accepted:
        return "The card was not printed."
    dots = printer.resolution() / 25.4
    painter = QPainter(printer)
    try:
        painter.drawImage(QRectF(0, 0, CARD_MM[0] * dots, CARD_MM[1] * dots), card_image(card, pharmacy))
    finally:
        painter.end()
    return f"Card {card.card_number} sent to the printer."


def starts_as(text: str) -> tuple[str, str]:
    """What the cashier scanned that was not found: ('cardNumber', number), ('customerPhone', phone) or ('', '').

    A 13-digit or longer number with a good check digit (or a letters-and-digits number) is a
    pre-printed card; digits that could be a phone are a phone; a shorter number that passes
    both checks is taken as the phone (one number in ten passes a check digit by chance).
    """
    text = (text or "").strip()
    try:
        number = cardnumber.validate(text)
    except InvalidInput:
        number = ""
    if number and (not looks_like_phone(text) or len(number) >= 13):
        return "cardNumber", number
    if looks_like_phone(text):
        return "customerPhone", text
    return "", ""


class CardPage(QWidget):
    """A card just made: who it is for, its picture, a note, Print (Ctrl+P) and Done (Enter)."""

    def __init__(self, on_print: Callable[[], None], on_done: Callable[[], None]) -> None:
        super().__init__()
        self.summary = QLabel(objectName="cardName", wordWrap=True)
        self.preview = QLabel(objectName="cardPreview", alignment=Qt.AlignmentFlag.AlignCenter)
        self.note = QLabel(objectName="hint", wordWrap=True)
        self.print_button = QPushButton("Print the card (Ctrl+P)", objectName="print", autoDefault=False)
        self.print_button.setShortcut("Ctrl+P")
        self.print_button.clicked.connect(on_print)
        self.done_button = QPushButton("Done (Enter)", objectName="done", autoDefault=False)
        self.done_button.setDefault(True)
        self.done_button.clicked.connect(on_done)
        buttons = QHBoxLayout()
        buttons.addStretch()
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.done_button)
        layout = QVBoxLayout(self)
        for widget in (self.summary, self.preview, self.note):
            layout.addWidget(widget)
        layout.addLayout(buttons)


class IssueCardDialog(QDialog):
    def __init__(
        self,
        replica: Replica,
        changes: Changes,
        operator: str,
        pharmacy: str,
        data_dir: Path,
        start_from: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.replica, self.changes, self.operator = replica, changes, operator
        self.pharmacy, self.data_dir = pharmacy, data_dir
        self.issued: CardView | None = None
        self.setWindowTitle("Issue a loyalty card")
        self.name = QLineEdit(objectName="customerName")
        self.phone = QLineEdit(objectName="customerPhone", placeholderText="e.g. 98450 12345")
        self.email = QLineEdit(objectName="customerEmail", placeholderText="optional")
        self.referrer = QLineEdit(objectName="referrer", placeholderText="optional: scan or type the referrer's card")
        self.next_number = QRadioButton("Next number from this till", checked=True)
        self.preprinted = QRadioButton("Pre-printed card: scan its number")
        self.number = QLineEdit(objectName="cardNumber", enabled=False, placeholderText="scan the card")
        self.fields = {
            "customerName": self.name,
            "customerPhone": self.phone,
            "customerEmail": self.email,
            "referrer": self.referrer,
            "cardNumber": self.number,
        }
        self.problems = {key: self._problem() for key in (*self.fields, "")}  # "": not about one field
        self.issue_button = self._button("Issue the card (Ctrl+Enter)", self.issue, "primary")
        self.stack = QStackedWidget()
        self.stack.addWidget(self._form_page())
        self.stack.addWidget(self._card_page())
        layout = QVBoxLayout(self)
        layout.addWidget(self.stack)
        self.setMinimumWidth(620)

        self.preprinted.toggled.connect(self._number_chosen)
        for field, following in ((self.name, self.phone), (self.phone, self.email), (self.email, self.referrer)):
            field.returnPressed.connect(following.setFocus)
        self.referrer.returnPressed.connect(lambda: self.number.setFocus() if self.preprinted.isChecked() else self._issue_soon())
        self.number.returnPressed.connect(self._issue_soon)  # a scanner ends with Enter
        QShortcut(QKeySequence("Ctrl+Return"), self, activated=self.issue)
        self._start_from(start_from)

    def take_scan(self, code: str) -> None:
        """A card scanned while the dialog is open (the main window routes scanners here):
        the referrer's card when that field has the focus, else the pre-printed card being
        issued. It fills the field; Enter (or Ctrl+Enter) still issues."""
        if self.stack.currentIndex() != 0:
            return
        if self.referrer.hasFocus():
            self.referrer.setText(code.strip())
            return
        self.preprinted.setChecked(True)
        self.number.setText(code.strip())  # checked, and any problem named, when it is issued
        self.number.setFocus()

    def _problem(self) -> QLabel:
        label = QLabel(objectName="problem", wordWrap=True)
        label.hide()
        return label

    def _button(self, text: str, slot, name: str = "") -> QPushButton:
        button = QPushButton(text, objectName=name)
        button.setAutoDefault(False)  # Enter moves between fields; it never issues by surprise
        button.clicked.connect(slot)
        return button

    def _form_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        for label, key in (("Name", "customerName"), ("Phone", "customerPhone"), ("Email", "customerEmail"), ("Referred by", "referrer")):
            form.addRow(label, self._with_problem(self.fields[key], key))
        choice = QVBoxLayout()
        for widget in (self.next_number, self.preprinted, self._with_problem(self.number, "cardNumber")):
            choice.addWidget(widget)
        form.addRow("Card number", choice)
        form.addRow(self.problems[""])
        buttons = QHBoxLayout()
        buttons.addStretch()
        buttons.addWidget(self._button("Cancel (Esc)", self.reject))
        buttons.addWidget(self.issue_button)
        form.addRow(buttons)
        return page

    def _with_problem(self, field: QWidget, key: str) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(field)
        column.addWidget(self.problems[key])
        return box

    def _card_page(self) -> QWidget:
        page = CardPage(self.print_issued, self.accept)
        self.summary, self.preview, self.note = page.summary, page.preview, page.note
        self.print_button, self.done_button = page.print_button, page.done_button
        return page

    def _start_from(self, text: str) -> None:
        kind, value = starts_as(text)
        if kind == "cardNumber":
            self.preprinted.setChecked(True)
            self.number.setText(value)
        elif kind == "customerPhone":
            self.phone.setText(value)
        self.name.setFocus()

    def _number_chosen(self, preprinted: bool) -> None:
        self.number.setEnabled(preprinted)
        if preprinted:
            self.number.setFocus()
        self._show_problem("cardNumber", "")

    def _show_problem(self, key: str, message: str) -> None:
        self.problems[key].setText(message)
        self.problems[key].setVisible(bool(message))
        if message:
            self.resize(self.width(), max(self.height(), self.sizeHint().height()))  # room for it

    # --- issuing ----------------------------------------------------------------------------

    def _issue_soon(self) -> None:
        """Issue once the Enter that asked for it is handled (else it would also press Done)."""
        QTimer.singleShot(0, self.issue)

    def issue(self) -> None:
        if self.issued is not None or self.stack.currentIndex() != 0:
            return
        for key in self.problems:
            self._show_problem(key, "")
        try:
            card = cards.issue(
                self.replica,
                name=self.name.text(),
                phone=self.phone.text(),
                email=self.email.text() or None,
                referrer=self.referrer.text() or None,
                number=self.number.text() if self.preprinted.isChecked() else None,
                performed_by=self.operator,
            )
        except LoyaltyError as error:
            self._refused(error)
            return
        except Exception as error:  # a locked or full disk: one sentence, nothing issued
            self._show_problem("", messages.sentence(error))
            return
        self.issued = card
        self.changes.announce(CARDS)
        self._show_card(card)

    def _refused(self, error: LoyaltyError) -> None:
        key = error.details.get("field", "")
        if error.code == errors.CARD_NOT_FOUND and self.referrer.text().strip():
            key = "referrer"  # the only card issue() looks up is the referrer's
        if key not in self.fields:
            key = ""
        self._show_problem(key, error.message)
        self.fields.get(key, self.name).setFocus()

    def _show_card(self, card: CardView) -> None:
        self.summary.setText(f"Card {card.card_number} issued to {card.customer_name}")
        self.note.setText("Print it now, or later from the Customer menu (Ctrl+R).")
        self.stack.setCurrentIndex(1)
        self._show_picture(QPixmap.fromImage(card_image(card, self.pharmacy)))
        self.done_button.setFocus()

    def _show_picture(self, picture: QPixmap) -> None:
        """The whole card in view: the preview never smaller than its picture, and the dialog
        as tall as the page needs (a wrapped name takes two lines) within its screen; on a
        screen too low for that, the picture is made smaller instead."""
        screen = (self.screen() or QGuiApplication.primaryScreen()).availableGeometry()
        width = PREVIEW_WIDTH
        while True:
            shown = picture.scaledToWidth(width, Qt.TransformationMode.SmoothTransformation)
            self.preview.setPixmap(shown)
            self.preview.setMinimumSize(shown.size())
            self.stack.currentWidget().layout().activate()
            self.stack.updateGeometry()  # a page's new needs do not reach the dialog's layout by themselves
            self.layout().activate()
            needed = max(self.heightForWidth(self.width()), self.minimumSizeHint().height())
            if needed <= screen.height() - TITLE_BAR_PX or width <= PREVIEW_WIDTH // 2:
                break
            width -= 40
        self.resize(self.width(), needed)

    def print_issued(self) -> None:
        if self.issued is None:
            return
        try:
            self.note.setText(print_card(self.issued, self.pharmacy, self.data_dir, self))
        except Exception as error:
            self.note.setText(messages.sentence(error))

    def reject(self) -> None:
        """Esc after the card was issued closes as Done: the card exists either way."""
        if self.issued is not None:
            self.accept()
        else:
            super().reject()
