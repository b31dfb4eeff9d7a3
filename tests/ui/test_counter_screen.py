"""The counter screen where a new user tripped (issue 16 part 5): keys typed fast land in the
field they were meant for, the totals panel stays put as lines are added, "To pay" always has
its currency sign, and the parked list says each bill's amount, customer and time. A real
window offscreen on a real replica; keys are posted in one burst to the window, as a keyboard
(or a keyboard-wedge scanner) delivers them, not typed with waits between them."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from PySide6.QtCore import QEvent, QPoint, QRect, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget

from counter_keys import answer_dialog, press, ring_up, scan, shown_window
from pos_loyalty.rules.programme import local_date
from pos_loyalty.services import cards, configuration, demo, parked, settings
from ui.dialogs.parked import ParkedDialog
from ui.style import STYLE_SHEET

SPECIAL = {"\t": Qt.Key.Key_Tab, "\r": Qt.Key.Key_Return}


def burst(window, typed: str) -> None:  # type: ignore[no-untyped-def]
    """`typed` as key events posted to the window all at once (Qt hands each to whatever
    has the focus when it gets to it): Tab is "\\t", Enter "\\r"."""
    target = window.windowHandle()
    for char in typed:
        key = SPECIAL.get(char) or Qt.Key(ord(char.upper()))
        text = "" if char in SPECIAL else char
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.postEvent(target, QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, text))


def delivered(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Every posted key handled, and whatever the window system queued because of them."""
    qtbot.wait(250)


def lines_of(window) -> list[tuple[int, Decimal | None, Decimal | None, Decimal | None]]:  # type: ignore[no-untyped-def]
    return [(line.category_id, line.amount, line.quantity, line.unit_price) for line in window.checkout.draft.lines]


@pytest.fixture
def active(qtbot, window):  # type: ignore[no-untyped-def]
    """The till's window as at the counter: the active window (a pop-up would take that from it)."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    return window


def test_a_fast_typists_lines_land_in_the_right_fields(qtbot, active, customer):
    window = active
    burst(window, customer + "\r" + "med\t2x125\r")  # the card, then a line by the start of its name
    delivered(qtbot)
    assert window.checkout.card is not None and window.checkout.card.card_number == customer
    assert lines_of(window) == [(1, None, Decimal("2"), Decimal("125.00"))]
    assert QApplication.focusWidget() is window.checkout.entry.category  # the next key goes there

    burst(window, "3\t250\r" + "gen\t99.50\r" + "2\t2x125\r")  # three more, as fast as a scanner types
    delivered(qtbot)
    assert lines_of(window) == [
        (1, None, Decimal("2"), Decimal("125.00")),
        (3, Decimal("250.00"), None, None),
        (2, Decimal("99.50"), None, None),
        (2, None, Decimal("2"), Decimal("125.00")),
    ]
    entry = window.checkout.entry
    assert entry.category.text() == entry.amount.text() == entry.problem.text() == ""
    assert QApplication.focusWidget() is entry.category

    burst(window, "\r" + "500\r")  # Enter on an empty category: on to the points to redeem
    delivered(qtbot)
    assert window.checkout.totals.redeem.text() == "500"
    assert QApplication.focusWidget() is window.checkout.totals.redeem


def test_what_a_typed_category_stands_for_is_said_beside_it(qtbot, window):
    entry = window.checkout.entry
    qtbot.keyClicks(entry.category, "med")
    assert entry.match.text() == "1 Medicines"
    entry.category.clear()
    qtbot.keyClicks(entry.category, "e")  # Medicines, General, Baby Care, Cosmetics
    assert entry.match.text() == "1 Medicines, 2 General, 3 Baby Care, 4 Cosmetics"
    qtbot.keyClicks(entry.category, "d")  # "ed": Medicines only
    assert entry.match.text() == "1 Medicines"
    entry.category.setText("42")
    assert entry.match.text() == ""
    assert QApplication.activePopupWidget() is None  # nothing opens over the field


def at(widget: QWidget, window: QWidget) -> QRect:
    """The widget's place in the window."""
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def test_the_totals_panel_keeps_its_place_as_lines_are_added(qtbot, replica, data_dir, customer):
    configuration.save(replica, demo.sample_config(local_date(replica.clock(), demo.TIME_ZONE)))  # a promotion today
    window = shown_window(qtbot, replica, data_dir)
    window.setStyleSheet(STYLE_SHEET)  # the app's type sizes
    totals = window.checkout.totals
    scan(qtbot, window, customer)
    qtbot.wait(20)  # the style sheet's sizes laid out
    panel, to_pay = at(totals, window), at(totals.payable, window)
    for category, amount in (("1", "100"), ("5", "2x1250.50"), ("3", "12345678"), ("2", "99999.99"), ("3", "7")):
        ring_up(qtbot, window, category, amount)
        qtbot.wait(20)  # the layout settled
        assert at(totals, window) == panel, f"the panel moved when {category}: {amount} was added"
        assert at(totals.payable, window) == to_pay
    assert totals.promotion.text() != ""  # the promotion's line wrapped inside the panel
    press(window, "F5")  # the most points: the redemption's figure appears
    qtbot.wait(20)
    assert at(totals, window) == panel and totals.payable.text().startswith("₹")
    assert len(window.checkout.draft.lines) == 5
    # Max (F5) keeps its whole text beside the redemption's figure (it was squeezed to "Max (F5").
    assert totals.max_button.width() >= totals.max_button.sizeHint().width()


def test_to_pay_always_has_the_currency_sign_in_the_pharmacys_locale(qtbot, replica, data_dir):
    window = shown_window(qtbot, replica, data_dir)
    assert window.checkout.totals.payable.text() == "₹0.00"  # a new bill, no card yet
    ring_up(qtbot, window, "2", "1234.5")
    assert window.checkout.totals.payable.text() == "₹1,234.50"  # walk-in
    window.checkout.new_bill()
    assert window.checkout.totals.payable.text() == "₹0.00"

    settings.write(replica, **{settings.LOCALE: "de_DE"})  # a locale that writes the sign after
    german = shown_window(qtbot, replica, data_dir)
    assert german.checkout.totals.payable.text() == "0,00\xa0₹"
    ring_up(qtbot, german, "2", "1234.5")
    assert german.checkout.totals.payable.text() == "1.234,50\xa0₹"


def test_the_parked_list_says_each_bills_amount_customer_and_time(qtbot, window, replica, customer):
    scan(qtbot, window, customer)
    ring_up(qtbot, window, "1", "80")  # 80.00 less 5 % member discount: 76.00
    qtbot.keyClicks(window.checkout.totals.redeem, "100")  # 100 points: 10.00 off
    press(window, "F8")
    ring_up(qtbot, window, "2", "1234.5")
    press(window, "F8")  # a walk-in's
    assert [bill.label for bill in parked.parked(replica)] == ["Asha Rao", "Walk-in customer"]

    seen: list[list[str]] = []

    def read(dialog) -> None:  # type: ignore[no-untyped-def]
        seen.extend(dialog.row_text(row) for row in range(dialog.table.rowCount()))
        dialog.reject()

    answer_dialog(read)
    press(window, "Shift+F8")
    (asha, amount, when), walk_in = seen
    assert (asha, amount) == ("Asha Rao", "₹66.00")
    assert walk_in[:2] == ["Walk-in customer", "₹1,234.50"]
    assert re.fullmatch(r"\d\d [A-Z][a-z]{2} \d{4}, \d\d:\d\d UTC", when)  # the pharmacy's time, its zone said

    cards.adjust(replica, customer, "-950", reason="test: most of the points spent at another till")
    again = ParkedDialog(replica, window, currency="₹")
    qtbot.addWidget(again)
    assert again.row_text(0)[1] == "₹76.00 (before points)"  # 50 points left: the 100 no longer go
