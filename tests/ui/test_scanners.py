"""Scanners at the counter: a card scanned by either kind of scanner opens at checkout,
whatever field has the focus, and the serial scanner's state is in the status bar."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from devices.qt_scanner import Scanners
from devices.serial_scanner import CONNECTED, UNPLUGGED, PortSettings
from pos_loyalty.services import cards
from ui.main_window import MainWindow


@pytest.fixture
def customer(replica) -> str:
    return cards.issue(replica, name="Asha Rao", phone="9845012345").card_number


@pytest.fixture
def window(qtbot, replica, data_dir: Path, pty_scanner):
    scanners = Scanners(PortSettings(str(pty_scanner.link)))
    shown = MainWindow(replica, data_dir, "cashier-1", pharmacy="Test Pharmacy", scanners=scanners)
    qtbot.addWidget(shown)
    scanners.start()
    shown.show()
    qtbot.waitExposed(shown)
    yield shown
    scanners.stop()


def status_text(window: MainWindow) -> str:
    return window.scanner_state.text()


def test_a_wedge_scan_opens_the_card_while_the_cashier_is_typing_an_amount(qtbot, window, customer):
    amount = window.checkout.entry.amount
    amount.setFocus()
    for char in customer:  # the scanner types fast, then Enter
        qtbot.keyClick(amount, char)
    qtbot.keyClick(amount, Qt.Key.Key_Return)
    assert window.checkout.card is not None and window.checkout.card.card_number == customer
    assert window.checkout.card_panel.name.text() == "Asha Rao"
    assert amount.text() == "" and window.checkout.draft.lines == []  # nothing typed into the bill


def test_a_serial_scan_opens_the_card_and_unplugging_shows_in_the_status_bar(qtbot, window, pty_scanner, customer):
    qtbot.waitUntil(lambda: status_text(window) == f"Scanner: {CONNECTED}", timeout=5000)
    pty_scanner.send(f"]E0{customer}\r\n".encode())
    qtbot.waitUntil(lambda: window.checkout.card is not None, timeout=3000)
    assert window.checkout.card_panel.name.text() == "Asha Rao"

    pty_scanner.unplug()
    qtbot.waitUntil(lambda: status_text(window) == f"Scanner: {UNPLUGGED}", timeout=5000)
    pty_scanner.plug()
    qtbot.waitUntil(lambda: status_text(window) == f"Scanner: {CONNECTED}", timeout=5000)


def test_a_product_barcode_is_reported_as_not_a_card(qtbot, window, pty_scanner):
    qtbot.waitUntil(lambda: status_text(window) == f"Scanner: {CONNECTED}", timeout=5000)
    pty_scanner.send(b"4006381333931\r")
    panel = window.checkout.card_panel
    qtbot.waitUntil(lambda: "not a loyalty card" in panel.problem.text(), timeout=3000)
    assert "product's barcode" in panel.problem.text() and window.checkout.card is None
