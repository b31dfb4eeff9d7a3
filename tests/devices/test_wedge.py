"""The keyboard-wedge filter, fed key streams as a USB scanner and as a person type them.

A scanner types its code a few milliseconds a key and ends with Enter; a person types
tens of milliseconds a key. The filter is on the whole application, as in the app.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication, QLineEdit, QVBoxLayout, QWidget  # noqa: E402

from devices.wedge import WedgeFilter  # noqa: E402
from pos_loyalty import cardnumber  # noqa: E402

CARD = cardnumber.from_block("29", 1, 1)
PRODUCT = "4006381333931"  # an EAN-13 on a box of tablets: not a card
PERSON_MS = 90  # between a person's keys


class Form(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.scan, self.amount = QLineEdit(objectName="scan"), QLineEdit(objectName="amount")
        self.entered: list[str] = []
        self.amount.returnPressed.connect(lambda: self.entered.append(self.amount.text()))
        layout = QVBoxLayout(self)
        layout.addWidget(self.scan)
        layout.addWidget(self.amount)


@pytest.fixture
def form(qtbot):
    shown = Form()
    qtbot.addWidget(shown)
    shown.show()
    qtbot.waitExposed(shown)
    shown.amount.setFocus()
    return shown


@pytest.fixture
def wedge(qtbot):
    installed = WedgeFilter()
    scans: list[str] = []
    installed.scanned.connect(scans.append)
    installed.scans = scans  # type: ignore[attr-defined]
    QApplication.instance().installEventFilter(installed)
    yield installed
    QApplication.instance().removeEventFilter(installed)


def scanner_types(qtbot, widget: QWidget, code: str) -> None:
    """A scanner's burst: every key at once, then Enter."""
    for char in code:
        qtbot.keyClick(widget, char)
    qtbot.keyClick(widget, Qt.Key.Key_Return)


def person_types(qtbot, widget: QWidget, text: str, *, then_enter: bool = True) -> None:
    for char in text:
        qtbot.keyClick(widget, char)
        qtbot.wait(PERSON_MS)
    if then_enter:
        qtbot.keyClick(widget, Qt.Key.Key_Return)


def test_a_scanned_card_is_taken_from_whatever_field_has_the_focus(qtbot, form, wedge):
    form.amount.setText("12")
    scanner_types(qtbot, form.amount, CARD)
    assert wedge.scans == [CARD]
    qtbot.wait(3 * wedge.fast_ms)  # nothing held back turns up later either
    assert form.amount.text() == "12" and form.entered == []  # the Enter was the scanner's


def test_a_person_typing_the_same_number_types_it(qtbot, form, wedge):
    person_types(qtbot, form.amount, CARD)
    assert form.entered == [CARD] and wedge.scans == []


def test_normal_typing_is_delayed_a_moment_never_eaten(qtbot, form, wedge):
    person_types(qtbot, form.amount, "150.50", then_enter=False)
    qtbot.waitUntil(lambda: form.amount.text() == "150.50", timeout=1000)
    assert wedge.scans == []


def test_a_fast_code_that_is_no_card_is_typed_where_it_was_going(qtbot, form, wedge):
    scanner_types(qtbot, form.amount, PRODUCT)
    assert wedge.scans == []
    assert form.entered == [PRODUCT]  # every key, in order, and then the Enter


def test_a_fast_burst_of_wrong_check_digit_is_not_a_card(qtbot, form, wedge):
    misread = CARD[:-1] + str((int(CARD[-1]) + 1) % 10)
    scanner_types(qtbot, form.scan, misread)
    assert wedge.scans == [] and form.scan.text() == misread


def test_held_keys_come_before_the_key_that_released_them(qtbot, form, wedge):
    form.amount.setText("9")
    for char in "123":
        qtbot.keyClick(form.amount, char)
    qtbot.keyClick(form.amount, Qt.Key.Key_Backspace)  # not printable: lets the held keys go first
    assert form.amount.text() == "912"


def test_shortcuts_with_modifiers_pass_straight_through(qtbot, form, wedge):
    form.amount.setText("250")
    qtbot.keyClick(form.amount, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert form.amount.selectedText() == "250"
    qtbot.keyClick(form.amount, Qt.Key.Key_X, Qt.KeyboardModifier.ControlModifier)
    assert form.amount.text() == ""


def test_two_scans_back_to_back_are_two_scans(qtbot, form, wedge):
    other = cardnumber.from_block("28", 3, 77)
    scanner_types(qtbot, form.scan, CARD)
    scanner_types(qtbot, form.scan, other)
    assert wedge.scans == [CARD, other] and form.scan.text() == ""


def test_a_short_fast_run_is_typing_not_a_scan(qtbot, form, wedge):
    scanner_types(qtbot, form.amount, "99")  # e.g. a person's quick "99" and Enter
    assert form.entered == ["99"] and wedge.scans == []
