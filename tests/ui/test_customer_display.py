"""The customer display (issue 16): a second window that follows the checkout, driven with
keys on a real window and replica, and where it goes with the screens there are."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QMessageBox

from cli.main import build_parser
from counter_keys import answer_dialog, press, ring_up, scan, shown_window
from pos_loyalty.amounts import points
from pos_loyalty.rules.programme import local_date
from pos_loyalty.services import cards, configuration, demo, settings
from ui.customer_display import AUTO, OFF, ON, other_screen, place
from ui.customer_display_text import WELCOME_LINE
from ui.main_window import MainWindow
from ui.style import figure

PHONE = "9845012345"


@pytest.fixture
def window(qtbot, replica, data_dir: Path) -> MainWindow:
    """The demo pharmacy's configuration (tiers; double points on Baby Care, 3, today)."""
    configuration.save(replica, demo.sample_config(local_date(replica.clock(), demo.TIME_ZONE)))
    return shown_window(qtbot, replica, data_dir)


@pytest.fixture
def customer(replica) -> str:
    number = cards.issue(replica, name="Asha Rao", phone=PHONE).card_number
    cards.adjust(replica, number, "1000", reason="opening")
    return number


def nothing_private(window: MainWindow, number: str) -> None:
    """Neither the card's number nor the phone, whole or in part (4 digits and more), nor the surname."""
    said = " ".join(window.customer_display.texts())
    digits = "".join(ch for ch in said if ch.isdigit() or ch == " ")
    for secret in (number, PHONE):
        assert secret not in said and secret not in digits.replace(" ", "")
        assert secret[-4:] not in said
    assert "Rao" not in said


def test_it_follows_the_bill_card_lines_redemption_and_finalize(qtbot, window, replica, customer):
    display = window.customer_display
    display.thanks_ms = 1500
    assert display.page() == "welcome" and display.welcome_title.text() == "Welcome to Test Pharmacy"
    assert display.welcome_line.text() == WELCOME_LINE

    scan(qtbot, window, customer)
    assert display.page() == "bill"
    assert display.greeting.text() == "Welcome, Asha"
    assert display.balance.text() == f"Your balance: {figure('1000.00')} points"
    assert display.tier.text() == f"{window.checkout.card.tier} member"

    ring_up(qtbot, window, "3", "500.00")
    ring_up(qtbot, window, "1", "2x125")
    quote = window.checkout.quote
    assert display.payable.text() == window.checkout.totals.payable.text() == f"₹{figure(quote['payable'])}"
    assert display.earn.text() == f"You earn {figure(quote['pointsEarned'])} points on this bill"
    assert display.promotion.text() == "Double points on Baby Care today"
    what, amount, _discount = (cell.text() for cell in display.line_cells[1])
    assert what == "Medicines  2 × 125.00" and amount == figure(quote["lines"][1]["gross"])

    window.checkout.totals.redeem.setFocus()
    qtbot.keyClicks(window.checkout.totals.redeem, "100")
    quote = window.checkout.quote
    assert quote["pointsRedeemed"] == Decimal("100.00")
    assert display.redemption.text() == f"Paying 100.00 points = ₹{figure(quote['amountDeducted'])}" == "Paying 100.00 points = ₹10.00"
    assert display.payable.text() == window.checkout.totals.payable.text()
    assert ("Paid with points", "-10.00") in [(n.text(), v.text()) for n, v in display.total_cells]
    nothing_private(window, customer)

    answer_dialog(lambda receipt: receipt.accept())
    press(window, "F12")
    qtbot.waitUntil(lambda: display.page() == "thanks", timeout=10_000)
    balance = figure(points(cards.find(replica, customer).points_balance))
    assert display.thanks_title.text() == "Thank you, Asha!"
    assert display.thanks_detail.text().endswith(f"New balance {balance} points")
    assert display.greeting.text() == display.payable.text() == ""  # the bill's page holds nothing now
    nothing_private(window, customer)

    qtbot.waitUntil(lambda: display.page() == "welcome", timeout=5_000)
    assert "Asha" not in " ".join(display.texts())


def test_taking_the_card_off_leaves_no_customer_on_the_display(qtbot, window, customer):
    display = window.customer_display
    scan(qtbot, window, customer)
    ring_up(qtbot, window, "2", "200.00")
    press(window, "F9")
    assert display.page() == "bill" and display.greeting.text() == "Welcome"
    assert display.balance.text() == display.tier.text() == display.promotion.text() == ""
    assert display.earn.text() == "Ask us for a loyalty card: earn points on every bill"
    assert display.payable.text() == window.checkout.totals.payable.text() == "₹200.00"
    assert "Asha" not in " ".join(display.texts())
    nothing_private(window, customer)

    answer_dialog(lambda box: box.button(QMessageBox.StandardButton.Yes).click())
    press(window, "Ctrl+Del")  # the bill cancelled: the welcome again
    assert display.page() == "welcome"


def test_the_next_customer_does_not_wait_for_the_thank_you(qtbot, window, replica, customer):
    display = window.customer_display
    display.thanks_ms = 60_000
    scan(qtbot, window, customer)
    ring_up(qtbot, window, "2", "100.00")
    answer_dialog(lambda receipt: receipt.accept())
    press(window, "F12")
    qtbot.waitUntil(lambda: display.page() == "thanks" and not window.checkout.busy, timeout=10_000)
    window.synced()  # the checkout refreshes with no bill open: the thank-you stays
    assert display.page() == "thanks"

    other = cards.issue(replica, name="Bina", phone="9000000002").card_number
    scan(qtbot, window, other)
    assert display.page() == "bill" and display.greeting.text() == "Welcome, Bina"
    assert display.thanks_title.text() == ""


def test_a_walk_in_is_thanked_without_points(qtbot, window):
    display = window.customer_display
    ring_up(qtbot, window, "2", "100.00")
    answer_dialog(lambda receipt: receipt.accept())
    press(window, "F12")
    qtbot.waitUntil(lambda: display.page() == "thanks", timeout=10_000)
    assert (display.thanks_title.text(), display.thanks_detail.text()) == ("Thank you!", "Please come again")


def test_shown_and_hidden_with_ctrl_shift_d_and_remembered(qtbot, window, replica):
    display = window.customer_display
    assert ("Ctrl+Shift+D", "Customer display: show or hide") in window.shortcuts  # so F1 lists it
    window.place_customer_display()  # the default, AUTO: offscreen has one screen, so not shown
    assert settings.read(replica).get(settings.CUSTOMER_DISPLAY, AUTO) == AUTO and not display.isVisible()

    press(window, "Ctrl+Shift+D")
    assert display.isVisible() and not display.isFullScreen()  # one screen: an ordinary window
    assert settings.read(replica)[settings.CUSTOMER_DISPLAY] == ON
    assert display.windowFlags() & Qt.WindowType.WindowDoesNotAcceptFocus  # the cashier's keys stay at the till

    press(window, "Ctrl+Shift+D")
    assert not display.isVisible() and settings.read(replica)[settings.CUSTOMER_DISPLAY] == OFF

    press(window, "Ctrl+Shift+D")
    window.close()
    assert not display.isVisible()  # it goes with the till's window


def test_placed_as_the_setting_says_with_the_screens_qt_reports(qtbot, window):
    display = window.customer_display
    assert place(display, window, OFF) == "Customer display off (Ctrl+Shift+D shows it)" and not display.isVisible()
    assert place(display, window, AUTO) == "" and not display.isVisible()  # one screen offscreen
    assert place(display, window, ON).startswith("Customer display in a window") and display.isVisible()


def test_the_other_screen_is_the_one_the_till_is_not_on():
    left, right = QRect(0, 0, 1920, 1080), QRect(1920, 0, 1024, 768)
    till = QRect(100, 100, 1024, 768)
    assert other_screen(till, [left]) is None
    assert other_screen(till, []) is None
    assert other_screen(till, [left, right]) == 1
    assert other_screen(till.translated(1920, 0), [left, right]) == 0  # the till on the second screen
    assert other_screen(QRect(1000, 0, 1024, 768), [left, right]) == 1  # mostly on the first
    assert other_screen(QRect(1800, 0, 1024, 768), [left, right]) == 0  # mostly on the second
    assert other_screen(QRect(5000, 5000, 10, 10), [left, right]) == 1  # on none: the first is the till's
    assert other_screen(till, [left, QRect(0, 0, 1920, 1080)]) is None  # mirrored: never over the till
    above = QRect(0, -768, 1024, 768)
    assert other_screen(till, [left, QRect(0, 0, 1024, 768), above]) == 2  # overlapping screens skipped


#: A till with two screens, as Qt's offscreen platform can pretend (its `configfile` option).
TWO_SCREENS = {
    "screens": [
        {"name": "TILL", "x": 0, "y": 0, "width": 1280, "height": 900, "logicalDpi": 96, "dpr": 1},
        {"name": "CUSTOMER", "x": 1280, "y": 0, "width": 1024, "height": 768, "logicalDpi": 96, "dpr": 1},
    ]
}
ON_TWO_SCREENS = """
import json, sys
from pathlib import Path
from PySide6.QtWidgets import QApplication
from pos_loyalty.services import open_replica
from ui.main_window import MainWindow

app = QApplication([])
replica = open_replica(Path(sys.argv[1]))
window = MainWindow(replica, Path(sys.argv[1]), "cashier-1", pharmacy="Test Pharmacy")
window.show()
display, seen = window.customer_display, []

def look():
    app.processEvents()
    seen.append([display.isVisible(), display.isFullScreen(), display.screen().name(), display.geometry().getRect(),
                 window.screen().name(), window.statusBar().currentMessage()])

window.place_customer_display()  # the default: on the other screen
look()
window.toggle_customer_display()  # hidden, and remembered
look()
window.place_customer_display()  # next start
look()
window.toggle_customer_display()
look()
print(json.dumps(seen))
replica.close()
"""


def test_on_a_till_with_two_screens_it_fills_the_other_one(tmp_path):
    screens = tmp_path / "screens.json"
    screens.write_text(json.dumps(TWO_SCREENS))
    environment = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={screens}"}
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", ON_TWO_SCREENS, str(tmp_path / "till")],
        env=environment, cwd=root, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    shown, hidden, still_hidden, again = json.loads(done.stdout.splitlines()[-1])
    full_screen = [True, True, "CUSTOMER", [1280, 0, 1024, 768], "TILL", "Customer display on screen CUSTOMER"]
    assert shown == again == full_screen
    assert hidden[0] is still_hidden[0] is False
    assert hidden[-1] == still_hidden[-1] == "Customer display off (Ctrl+Shift+D shows it)"


def test_the_till_command_takes_customer_display():
    assert build_parser().parse_args(["till", "--customer-display"]).customer_display is True
    assert build_parser().parse_args(["till"]).customer_display is False


def test_the_display_uses_big_type_for_its_screen(qtbot, window):
    display = window.customer_display
    place(display, window, ON)
    for width, height, to_pay in ((1920, 1080, 114), (1024, 600, 63)):  # 3 units of a 28th of the height
        display.resize(width, height)
        qtbot.waitUntil(lambda: display.height() == height)
        display.payable.ensurePolished()
        assert display.payable.font().pixelSize() == to_pay
        display.balance.ensurePolished()
        assert display.balance.font().pixelSize() >= 30
    assert display.focusPolicy() == Qt.FocusPolicy.NoFocus
