"""Render the counter app's main screens as PNGs (for the README), on a virtual screen.

    xvfb-run -a -s "-screen 0 1280x900x24" .venv/bin/python scripts/screenshots.py [docs/screenshots]

It opens the demo pharmacy in a temporary data folder, puts each screen in a telling
state (a customer with lines and points, a refusal, a receipt, the manager's dialogs)
and saves what Qt draws, at the till's own size (1024x768).
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QWidget

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pos_loyalty.services import bills, demo, open_replica, settings  # noqa: E402
from ui.bill_draft import Line  # noqa: E402
from ui.dialogs import pin  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402
from ui.style import STYLE_SHEET  # noqa: E402


def settle(app: QApplication, milliseconds: int = 300) -> None:
    """Let Qt lay out and paint (and background work finish) before a grab."""
    loop = QEventLoop()
    QTimer.singleShot(milliseconds, loop.quit)
    loop.exec()


def save(app: QApplication, widget: QWidget, folder: Path, name: str) -> None:
    settle(app)
    widget.grab().save(str(folder / f"{name}.png"))
    print(f"wrote {folder / name}.png")


def main() -> int:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    app.setStyleSheet(STYLE_SHEET)
    data = Path(tempfile.mkdtemp(prefix="pos-loyalty-screens-"))
    replica = open_replica(data)
    demo.fill(replica)
    window = MainWindow(replica, data, "asha", pharmacy=settings.read(replica)[settings.PHARMACY_NAME])
    window.resize(1024, 768)
    window.show()
    screen = window.checkout

    screen.find_card("9845012345")
    screen.add_line(Line(1, Decimal("500.00")))
    screen.add_line(Line(3, None, Decimal("2"), Decimal("125.00")))
    screen.redeem_max()
    save(app, window, folder, "checkout")
    _customer_display(app, window, folder)

    screen.totals.set_redeem("5000")
    screen._redeem_typed("5000")
    screen.find_card("2800000000008")
    save(app, window, folder, "checkout-problems")

    from ui.dialogs.receipt import ReceiptDialog

    asha = screen.card
    screen.new_bill()
    done = bills.finalize(replica, asha.card_number, _bill_for_the_receipt(), performed_by="asha")
    receipt = ReceiptDialog(done.result, asha.customer_name, "Asha Pharmacy (demo)", "₹", data / "receipts", window)
    receipt.show()
    save(app, receipt, folder, "receipt")
    receipt.close()
    _return(app, window, folder, done.result["billId"])

    dialogs: list[tuple[str, Callable[[], QWidget]]] = [
        ("recent-bills", lambda: _recent(window)),
        ("history", lambda: _history(window)),
        ("configuration", lambda: _configuration(window)),
        ("issue-card", lambda: _issued_card(window)),
        ("help", lambda: _help(window)),
    ]
    pin._unlocked_until = float("inf")
    for name, make in dialogs:
        dialog = make()
        dialog.show()
        save(app, dialog, folder, name)
        dialog.close()
    _replaced_card(app, window, folder)
    _day_report(app, window, folder)
    _devanagari_card(folder)
    window.close()
    replica.close()
    return 0


def _customer_display(app: QApplication, window: MainWindow, folder: Path) -> None:
    """The customer's screen following that bill: the card, the lines, the points and the
    redemption, at a small customer display's size (1024x600)."""
    display = window.customer_display
    display.resize(1024, 600)
    display.show()
    save(app, display, folder, "customer-display")
    display.hide()


def _replaced_card(app: QApplication, window: MainWindow, folder: Path) -> None:
    """The replace dialog over the checkout (a pre-printed card scanned into it), then the
    checkout after the customer's old card is scanned."""
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QColor, QPainter

    from pos_loyalty import cardnumber
    from pos_loyalty.services import card_lifecycle
    from ui.dialogs.replace_card import ReplaceCardDialog

    screen = window.checkout
    screen.new_bill()
    screen.find_card("9845012345")
    screen.add_line(Line(1, Decimal("500.00")))
    card = screen.card
    dialog = ReplaceCardDialog(window.replica, card, "asha", window.pharmacy, window.data_dir, window)
    dialog.show()
    preprinted = "270000000001" + cardnumber.check_digit("270000000001")
    dialog.take_scan(preprinted)
    settle(app)
    behind = window.grab()
    painter = QPainter(behind)
    painter.fillRect(behind.rect(), QColor(0, 0, 0, 70))  # the window behind a modal dialog, dimmed
    front = dialog.grab()
    painter.drawPixmap(QPoint((behind.width() - front.width()) // 2, (behind.height() - front.height()) // 3), front)
    painter.end()
    behind.save(str(folder / "replace-card.png"))
    print(f"wrote {folder / 'replace-card'}.png")
    dialog.close()

    screen.new_bill()
    card_lifecycle.replace(window.replica, card.card_number, new_number=preprinted, performed_by="asha")
    screen.find_card(card.card_number)
    screen.add_line(Line(1, Decimal("500.00")))
    screen.add_line(Line(3, None, Decimal("2"), Decimal("125.00")))
    save(app, window, folder, "replaced-card-scanned")


def _devanagari_card(folder: Path) -> Path:
    """The printable card of a customer named in Devanagari (Pillow draws it: no Qt, no window)."""
    from devices import card_sheet
    from pos_loyalty import cardnumber

    number = cardnumber.from_block("29", 1, 42)
    path = card_sheet.write_card_sheet(number, "अनन्या शर्मा", "Asha Pharmacy (demo)", folder / "card-devanagari.png")
    print(f"wrote {path}")
    return path


def _day_report(app: QApplication, window: MainWindow, folder: Path) -> None:
    """Today's end-of-day report (Ctrl+D) after a busy morning: two cashiers and the manager."""
    from pos_loyalty.rules import bill_from_json
    from pos_loyalty.rules.returns import ReturnLineAsk
    from pos_loyalty.services import cards, returns
    from ui.dialogs.day_report import DayReportDialog

    replica = window.replica

    def sell(who: str, phone: str | None, items: list, **more: object) -> str:
        card = cards.lookup(replica, phone).card_number if phone else None
        doc = {"items": [{"categoryId": c, "amount": Decimal(a)} for c, a in items], **more}
        return bills.finalize(replica, card, bill_from_json(doc), performed_by=who).result["billId"]

    sell("asha", "9845023456", [(2, "340.00"), (4, "120.00")])
    divyas = sell("ravi", "9845045678", [(1, "1450.00"), (3, "600.00")], redeemPoints=Decimal("300"),
                  rewards=[{"rewardId": "BP-CHECK", "quantity": 1}])
    sell("ravi", None, [(2, "85.00")])
    sell("ravi", "9845056789", [(1, "210.00")])
    returns.return_lines(replica, divyas, [ReturnLineAsk(1)], performed_by="ravi")
    cards.issue(replica, name="Kavya Nair", phone="9845099999", performed_by="asha")
    cards.adjust(replica, cards.lookup(replica, "9845067890").card_number, "50", reason="Goodwill", performed_by="manager")
    dialog = DayReportDialog(replica, window.data_dir, window)
    dialog.resize(1000, 1060)  # every row at once, for the picture (the till scrolls)
    dialog.show()
    while dialog.report is None:
        settle(app, 50)
    save(app, dialog, folder, "day-report")
    dialog.close()


def _return(app: QApplication, window: MainWindow, folder: Path, bill_id: str) -> None:
    """Part of the receipt's bill coming back (200.00 of its medicines), then its slip."""
    from ui.dialogs.return_bill import RETURN, ReturnDialog

    dialog = ReturnDialog(window.replica, bill_id, window.changes, "asha", lambda: True, window.pharmacy,
                          window.data_dir / "receipts", window)
    dialog.show()
    dialog.table.item(0, RETURN).setText("200.00")
    save(app, dialog, folder, "return")
    dialog.confirm(ask=False)
    dialog.slip.show()
    save(app, dialog.slip, folder, "return-slip")
    dialog.slip.close()


def _bill_for_the_receipt():  # type: ignore[no-untyped-def]
    from pos_loyalty.rules import bill_from_json

    items = [{"categoryId": 1, "amount": "640.00"}, {"categoryId": 3, "amount": "185.50"}]
    return bill_from_json({"items": items, "redeemPoints": "200", "flatDiscount": "25.50"})


def _recent(window: MainWindow) -> QWidget:
    from ui.dialogs.recent_bills import RecentBillsDialog

    return RecentBillsDialog(window.replica, window.changes, "asha", lambda: True, window)


def _history(window: MainWindow) -> QWidget:
    from pos_loyalty.services import cards
    from ui.dialogs.history import HistoryDialog

    return HistoryDialog(window.replica, cards.lookup(window.replica, "9845045678"), window)


def _configuration(window: MainWindow) -> QWidget:
    from ui.dialogs.config_editor import ConfigEditor

    editor = ConfigEditor(window.replica, "asha", window)
    editor.resize(1000, 720)
    return editor


def _issued_card(window: MainWindow) -> QWidget:
    from ui.dialogs.issue_card import IssueCardDialog

    dialog = IssueCardDialog(window.replica, window.changes, "asha", window.pharmacy, window.data_dir, "9845077777", window)
    dialog.name.setText("Harini Raman")
    dialog.issue()
    return dialog


def _help(window: MainWindow) -> QWidget:
    from ui.dialogs.help import HelpDialog

    return HelpDialog(window.shortcuts, window)


if __name__ == "__main__":
    sys.exit(main())
