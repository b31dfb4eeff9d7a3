"""The counter shows what expires: the card panel says how many points expire and when, and
that expired points cannot be redeemed; the receipt says it too."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from sqlalchemy import text

from pos_loyalty.services import bills, cards, configuration
from support import make_bill
from ui.main_window import MainWindow
from ui.receipt_text import receipt_text

DAYS = 30


def aged_card(replica) -> str:
    configuration.save(replica, {**configuration.export(replica), "pointsExpiryDays": DAYS}, performed_by="manager")
    number = cards.issue(replica, name="Chitra", phone="9000000961").card_number
    cards.adjust(replica, number, "150", reason="long ago")
    with replica.writing() as uow:
        uow.connection.execute(text("UPDATE ledger SET created_at = :then"), {"then": datetime.utcnow() - timedelta(days=DAYS + 1)})
        uow.commit()
    cards.adjust(replica, number, "120", reason="recently")
    return number


def test_the_card_panel_says_what_expires_and_what_has_expired(qtbot, replica, data_dir: Path):
    number = aged_card(replica)
    window = MainWindow(replica, data_dir, "cashier-1", pharmacy="Test Pharmacy")
    qtbot.addWidget(window)
    window.show()
    qtbot.keyClicks(window.checkout.scan, number)
    qtbot.keyClick(window.checkout.scan, Qt.Key.Key_Return)
    said = window.checkout.card_panel.expiry.text()
    due = (datetime.utcnow() + timedelta(days=DAYS)).strftime("%d %b")
    assert said.startswith(f"120.00 points expire on {due}"), said
    assert "150.00 points have expired and cannot be redeemed" in said


def test_the_receipt_says_what_expires(replica):
    number = aged_card(replica)
    done = bills.finalize(replica, number, make_bill((2, "100.00")))
    assert "120.00 points expire on" in receipt_text(done.result, "Chitra", "Test Pharmacy")
