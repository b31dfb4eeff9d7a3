"""The receipt and the new card on a 1366x768 till, with the app's style sheet: the receipt
opens showing all of itself down to "Thank you" (a long one fits the screen and scrolls),
and the card's whole picture is in view. Its own process: the offscreen screen is 1366x768
there (the suite's is 800x800)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SCREEN = {"screens": [{"name": "TILL", "x": 0, "y": 0, "width": 1366, "height": 768, "logicalDpi": 96, "dpr": 1}]}

ON_THE_TILL = r"""
import json, sys
from decimal import Decimal
from pathlib import Path
from PySide6.QtWidgets import QApplication, QPlainTextEdit
from pos_loyalty.rules import bill_from_json
from pos_loyalty.services import bills, cards, open_replica
from ui.changes import Changes
from ui.dialogs.issue_card import IssueCardDialog
from ui.dialogs.receipt import ReceiptDialog
from ui.style import STYLE_SHEET

app = QApplication([])
app.setStyleSheet(STYLE_SHEET)
data_dir = Path(sys.argv[1])
replica = open_replica(data_dir)
card = cards.issue(replica, name="Asha Rao", phone="9845012345").card_number
cards.adjust(replica, card, "1000", reason="opening")
seen = {"screen": app.primaryScreen().availableGeometry().getRect()}

def receipt(lines):
    items = [{"categoryId": 1 + i % 3, "amount": Decimal("125.50")} for i in range(lines)]
    done = bills.finalize(replica, card, bill_from_json({"items": items, "redeemPoints": "100"}))
    dialog = ReceiptDialog(done.result, "Asha Rao", "Sri Venkateswara Medicals", "₹", data_dir / "receipts")
    dialog.show()
    app.processEvents()
    view = dialog.findChild(QPlainTextEdit)
    last = view.document().lastBlock()
    bottom = view.blockBoundingGeometry(last).translated(view.contentOffset()).bottom()
    close = dialog.findChildren(type(dialog.print_button))[-1]
    said = {
        "last": last.text().strip(), "lastBottom": bottom, "viewport": view.viewport().height(),
        "scrolls": view.verticalScrollBar().maximum() > 0, "height": dialog.frameGeometry().height(),
        "closeBottom": close.mapToGlobal(close.rect().bottomLeft()).y(),
        "clipped": view.horizontalScrollBar().maximum(),
    }
    dialog.close()
    return said

seen["short"], seen["long"] = receipt(6), receipt(40)

issue = IssueCardDialog(replica, Changes(), "cashier-1", "Sri Venkateswara Medical and General Stores", data_dir)
issue.show()
app.processEvents()
issue.name.setText("Asha Rao Venkataraman Subramaniam")
issue.phone.setText("9845012346")
issue.issue()
app.processEvents()
preview, note = issue.preview, issue.note
seen["card"] = {
    "picture": [preview.pixmap().width(), preview.pixmap().height()],
    "preview": [preview.contentsRect().width(), preview.contentsRect().height()],
    "previewBottom": preview.mapTo(issue, preview.rect().bottomLeft()).y(),
    "noteTop": note.mapTo(issue, note.rect().topLeft()).y(),
    "summaryBottom": issue.summary.mapTo(issue, issue.summary.rect().bottomLeft()).y(),
    "previewTop": preview.mapTo(issue, preview.rect().topLeft()).y(),
    "dialog": issue.frameGeometry().height(),
}
print(json.dumps(seen))
replica.close()
"""


def test_on_a_1366x768_till_the_receipt_and_the_card_are_seen_whole(tmp_path):
    screens = tmp_path / "screen.json"
    screens.write_text(json.dumps(SCREEN))
    done = subprocess.run(
        [sys.executable, "-c", ON_THE_TILL, str(tmp_path / "till")],
        env={**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={screens}"},
        cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.splitlines()[-1])
    assert seen["screen"] == [0, 0, 1366, 768]

    short = seen["short"]  # a bill of six lines, member discounts and points: 31 lines of receipt
    assert not short["scrolls"] and short["last"] == "Thank you"
    assert short["lastBottom"] <= short["viewport"]  # "Thank you" is in view, no scrolling
    assert short["clipped"] == 0 and short["height"] <= 768

    long = seen["long"]  # forty lines: more than a screen, so it scrolls, and Close is on the screen
    assert long["scrolls"] and long["height"] <= 768 and long["closeBottom"] < 768

    card = seen["card"]  # a name long enough to wrap the line above the picture
    assert card["preview"][0] >= card["picture"][0] and card["preview"][1] >= card["picture"][1]
    assert card["summaryBottom"] < card["previewTop"] and card["previewBottom"] < card["noteTop"]
    assert card["picture"][0] == 506 and card["dialog"] <= 768
