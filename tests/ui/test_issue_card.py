"""Issuing a card at the counter, typed as a cashier types it, on a real replica."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtPrintSupport import QPrinterInfo
from PySide6.QtWidgets import QApplication, QDialog

from pos_loyalty import cardnumber
from pos_loyalty.errors import LoyaltyError
from pos_loyalty.services import cards
from ui.changes import CARDS
from ui.dialogs.issue_card import IssueCardDialog, print_card, starts_as

PREPRINTED = "400638133393" + cardnumber.check_digit("400638133393")


@pytest.fixture
def open_dialog(qtbot, replica, changes, data_dir: Path):
    def opened(start_from: str = "") -> IssueCardDialog:
        dialog = IssueCardDialog(replica, changes, "cashier-1", "Test Pharmacy", data_dir, start_from)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        dialog.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
        return dialog

    return opened


def type_then_enter(qtbot, *answers: str) -> None:
    """Into whichever field has the focus, as the cashier does: text, Enter, next field."""
    for text in answers:
        field = QApplication.focusWidget()
        qtbot.keyClicks(field, text)
        qtbot.keyClick(field, Qt.Key.Key_Return)


def cards_of(replica, phone: str) -> list[str]:
    try:
        return [card.card_number for card in cards.find_by_phone(replica, phone)]
    except LoyaltyError:
        return []


def test_issue_with_the_tills_next_number_and_show_its_barcode(qtbot, open_dialog, replica, changes):
    dialog = open_dialog()
    assert dialog.next_number.isChecked() and not dialog.number.isEnabled()
    with qtbot.waitSignal(changes.changed) as announced:
        type_then_enter(qtbot, "Asha Rao", "98450 12345", "", "")  # no email, no referrer: Enter issues
    assert announced.args == [CARDS]

    card = dialog.issued
    assert card is not None and card.customer_phone == "9845012345"
    assert cardnumber.has_valid_check_digit(card.card_number) and len(card.card_number) == 13
    assert cards.find(replica, card.card_number).customer_name == "Asha Rao"
    assert dialog.stack.currentIndex() == 1
    assert dialog.summary.text() == f"Card {card.card_number} issued to Asha Rao"
    assert not dialog.preview.pixmap().isNull() and dialog.preview.pixmap().width() == 506
    assert dialog.isVisible()  # the Enter that issued did not also press Done

    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)  # Done
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_issue_a_preprinted_card_by_scanning_its_number(qtbot, open_dialog, replica):
    dialog = open_dialog()
    type_then_enter(qtbot, "Bina Shah", "9000000001", "")
    qtbot.keyClick(dialog.referrer, Qt.Key.Key_Tab)  # to the card number choice
    assert dialog.next_number.hasFocus()
    qtbot.keyClick(dialog.next_number, Qt.Key.Key_Down)  # the other choice: pre-printed
    assert dialog.preprinted.isChecked() and dialog.number.isEnabled()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert dialog.number.hasFocus()
    type_then_enter(qtbot, PREPRINTED)  # the scanner types the number and Enter
    qtbot.waitUntil(lambda: dialog.issued is not None)
    assert dialog.issued.card_number == PREPRINTED
    assert cards_of(replica, "9000000001") == [PREPRINTED]


def test_a_scanner_read_while_the_dialog_is_open_fills_the_preprinted_number(qtbot, open_dialog, replica):
    dialog = open_dialog()
    type_then_enter(qtbot, "Chitra Iyer", "9000000002")
    dialog.take_scan(PREPRINTED)  # how the main window hands a scan to the dialog on top
    assert dialog.preprinted.isChecked() and dialog.number.text() == PREPRINTED and dialog.number.hasFocus()
    assert cards_of(replica, "9000000002") == []  # a scan fills the field; it issues nothing by itself
    qtbot.keyClick(dialog.number, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.issued is not None)
    assert cards_of(replica, "9000000002") == [PREPRINTED]
    dialog.take_scan("2900000000018")
    assert dialog.number.text() == PREPRINTED  # after issuing, a scan changes nothing


def test_a_mistyped_preprinted_number_is_named_next_to_it(qtbot, open_dialog, replica):
    dialog = open_dialog()
    type_then_enter(qtbot, "Bina Shah", "9000000001")
    qtbot.mouseClick(dialog.preprinted, Qt.MouseButton.LeftButton, pos=QPoint(8, dialog.preprinted.height() // 2))
    type_then_enter(qtbot, PREPRINTED[:-1] + str((int(PREPRINTED[-1]) + 1) % 10))
    qtbot.waitUntil(lambda: dialog.problems["cardNumber"].isVisible())
    assert "wrong check digit" in dialog.problems["cardNumber"].text()
    assert dialog.issued is None and cards_of(replica, "9000000001") == []


def test_a_phone_that_already_has_a_card_is_refused_next_to_the_phone(qtbot, open_dialog, replica, changes):
    holder = cards.issue(replica, name="Asha Rao", phone="9845012345").card_number
    dialog = open_dialog()
    with qtbot.assertNotEmitted(changes.changed):
        type_then_enter(qtbot, "Someone Else", "98450-12345", "", "")
        qtbot.waitUntil(lambda: dialog.problems["customerPhone"].isVisible())
    assert dialog.problems["customerPhone"].text() == f"Phone 9845012345 already has card {holder}"
    assert dialog.phone.hasFocus()
    assert dialog.issued is None and dialog.stack.currentIndex() == 0
    assert cards_of(replica, "9845012345") == [holder]


def test_referrer_and_email_problems_are_named_next_to_their_fields(qtbot, open_dialog, replica):
    unknown = "29000019" + "9999"
    unknown += cardnumber.check_digit(unknown)
    dialog = open_dialog()
    type_then_enter(qtbot, "Chitra", "9000000003", "", unknown)
    qtbot.waitUntil(lambda: dialog.problems["referrer"].isVisible())
    assert dialog.problems["referrer"].text() == f"No card {unknown} at this pharmacy"

    dialog.email.setFocus()
    type_then_enter(qtbot, "not-an-email")
    qtbot.mouseClick(dialog.issue_button, Qt.MouseButton.LeftButton)
    assert dialog.problems["customerEmail"].text() == "'not-an-email' is not an email address"
    assert not dialog.problems["referrer"].isVisible()  # one refusal at a time, the newest
    assert cards_of(replica, "9000000003") == []

    referrer = cards.issue(replica, name="Bina", phone="9000000001").card_number
    for field, text in ((dialog.email, ""), (dialog.referrer, referrer)):
        field.setFocus()
        qtbot.keyClick(field, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        qtbot.keyClick(field, Qt.Key.Key_Backspace)
        qtbot.keyClicks(field, text)
    qtbot.keyClick(dialog.referrer, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # Ctrl+Enter issues
    qtbot.waitUntil(lambda: dialog.issued is not None)
    assert dialog.issued.referrer_number == referrer


@pytest.mark.parametrize(
    ("scanned", "expected"),
    [
        ("9845012345", ("customerPhone", "9845012345")),
        ("+91 98450 12345", ("customerPhone", "+91 98450 12345")),
        ("919845012345", ("customerPhone", "919845012345")),  # 12 digits: a phone with its country
        (PREPRINTED, ("cardNumber", PREPRINTED)),
        ("card001", ("cardNumber", "CARD001")),  # an older billing system's card
        ("hello?", ("", "")),
    ],
)
def test_what_was_scanned_starts_the_form(scanned, expected):
    assert starts_as(scanned) == expected


def test_start_from_prefills_the_phone_or_the_preprinted_number(open_dialog):
    by_phone = open_dialog("9845012345")
    assert by_phone.phone.text() == "9845012345" and by_phone.next_number.isChecked()
    by_card = open_dialog(PREPRINTED)
    assert by_card.preprinted.isChecked() and by_card.number.text() == PREPRINTED and by_card.phone.text() == ""
    assert by_card.name.hasFocus()


@pytest.mark.skipif(bool(QPrinterInfo.availablePrinters()), reason="this machine has a printer: printing would ask")
def test_print_card_without_a_printer_saves_a_pdf(qtbot, open_dialog, replica, data_dir):
    card = cards.issue(replica, name="Asha Rao", phone="9845012345")
    said = print_card(card, "Test Pharmacy", data_dir, None)
    path = data_dir / "cards" / f"{card.card_number}.pdf"
    assert said == f"Saved the card as {path} (no printer here)"
    assert path.read_bytes().startswith(b"%PDF")

    dialog = open_dialog()
    type_then_enter(qtbot, "Bina Shah", "9000000001", "", "")
    qtbot.waitUntil(lambda: dialog.issued is not None)
    qtbot.mouseClick(dialog.print_button, Qt.MouseButton.LeftButton)
    assert dialog.note.text().startswith("Saved the card as ")
    assert (data_dir / "cards" / f"{dialog.issued.card_number}.pdf").read_bytes().startswith(b"%PDF")


def test_escape_before_issuing_cancels_and_after_it_is_done(qtbot, open_dialog, replica):
    first = open_dialog()
    qtbot.keyClick(first.name, Qt.Key.Key_Escape)
    assert first.result() == QDialog.DialogCode.Rejected and first.issued is None

    second = open_dialog()
    type_then_enter(qtbot, "Asha Rao", "9845012345", "", "")
    qtbot.waitUntil(lambda: second.issued is not None)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    assert second.result() == QDialog.DialogCode.Accepted
