"""The return screen in a real window, offscreen: pick a recent bill, type what comes back,
see the cash and points before confirming, confirm with the manager, get the slip."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from pos_loyalty.rules import bill_from_json
from pos_loyalty.services import bills, cards, returns
from ui.changes import Changes
from ui.dialogs.recent_bills import RecentBillsDialog
from ui.dialogs.return_bill import RETURN, ReturnDialog


@pytest.fixture
def sold(replica) -> str:
    bina = cards.issue(replica, name="Bina", phone="9000000011").card_number
    asha = cards.issue(replica, name="Asha Rao", phone="9845012399", referrer=bina).card_number
    cards.adjust(replica, asha, "1000", reason="opening")
    bill = bill_from_json(
        {"items": [{"categoryId": 1, "amount": "500.00"}, {"categoryId": 3, "quantity": "3", "unitPrice": "33.33"}], "redeemPoints": "200"}
    )
    bills.finalize(replica, asha, bill, bill_id="UI-RET-1")
    return asha


def type_into(qtbot, dialog: ReturnDialog, row: int, text: str) -> None:
    table = dialog.table
    qtbot.wait(1)  # the last editor is gone
    table.setCurrentCell(row, RETURN)
    table.editItem(table.item(row, RETURN))
    editors = table.findChildren(QLineEdit)
    editor = next(e for e in reversed(editors) if e.isVisible())
    editor.selectAll()
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key.Key_Tab)  # the cashier moves on: what was typed is taken


def test_the_screen_shows_the_figures_before_anything_is_written(qtbot, replica, sold, tmp_path: Path):
    dialog = ReturnDialog(replica, "UI-RET-1", Changes(), "manager-1", lambda: True, "Test Pharmacy", tmp_path)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.table.item(1, 2).text() == "3 x 33.33" and dialog.table.item(1, 3).text() == "3"
    assert not dialog.confirm_button.isEnabled()
    type_into(qtbot, dialog, 1, "1")
    expected = returns.preview(replica, "UI-RET-1", dialog.asks()).to_json()
    assert dialog.cash.text() == f"₹{expected['cashRefund']:,.2f}" and expected["cashRefund"] > 0  # money, with its sign
    assert dialog.points_back.text() == f"{expected['pointsRefunded']:,.2f}"
    assert cards.find(replica, sold).points_balance == 1000_00 - 200_00 + bills.recent(replica)[0]["pointsEarned"] * 100
    type_into(qtbot, dialog, 1, "4")  # more than is left: said, and cannot be confirmed
    assert "cannot come back that much" in dialog.note.text() and not dialog.confirm_button.isEnabled()
    type_into(qtbot, dialog, 0, "abc")
    assert "line 1" in dialog.note.text()


def test_confirming_needs_the_manager_then_writes_and_gives_a_slip(qtbot, replica, sold, tmp_path: Path):
    refused = ReturnDialog(replica, "UI-RET-1", Changes(), "cashier-1", lambda: False, "Test Pharmacy", tmp_path)
    qtbot.addWidget(refused)
    refused.show()
    type_into(qtbot, refused, 0, "100")
    refused.confirm(ask=False)
    assert refused.answer is None and returns.returnable(replica, "UI-RET-1").returns == []

    dialog = ReturnDialog(replica, "UI-RET-1", Changes(), "manager-1", lambda: True, "Test Pharmacy", tmp_path)
    qtbot.addWidget(dialog)
    assert dialog.all_button.shortcut().toString() == "Ctrl+A"  # offscreen windows take no shortcuts: click it
    dialog.all_button.click()  # all that is left
    assert dialog.table.item(0, RETURN).text() == "500.00" and dialog.table.item(1, RETURN).text() == "3"
    dialog.confirm(ask=False)
    assert dialog.answer is not None
    qtbot.addWidget(dialog.slip)
    assert "RETURN" in dialog.slip.text and "CASH BACK" in dialog.slip.text
    assert returns.returnable(replica, "UI-RET-1").kept.everything_back()
    assert cards.find(replica, sold).points_balance == 1000_00  # as before the bill


def test_recent_bills_opens_the_return_screen_of_the_chosen_bill(qtbot, replica, sold, tmp_path: Path):
    recent = RecentBillsDialog(replica, Changes(), "manager-1", lambda: True, pharmacy="Test Pharmacy", receipts=tmp_path)
    qtbot.addWidget(recent)
    opened = recent.return_selected()
    assert opened is not None and opened.bill_id == "UI-RET-1"
    qtbot.addWidget(opened)
    opened.everything_left()
    opened.confirm(ask=False)
    qtbot.addWidget(opened.slip)
    assert recent.table.item(0, 6).text() == "part returned"


def test_a_reward_product_comes_back_on_the_same_screen(qtbot, replica, tmp_path: Path):
    from pos_loyalty.services import configuration

    configuration.save(
        replica,
        {**configuration.export(replica), "rewards": [{"rewardId": "TOTE-BAG", "name": "Tote bag", "pointsPrice": 150}]},
        performed_by="manager",
    )
    number = cards.issue(replica, name="Dev", phone="9845012398").card_number
    cards.adjust(replica, number, "500", reason="opening")
    bills.finalize(
        replica,
        number,
        bill_from_json({"items": [{"categoryId": 2, "amount": "100.00"}], "rewards": [{"rewardId": "TOTE-BAG", "quantity": 2}]}),
        bill_id="UI-RET-2",
    )
    dialog = ReturnDialog(replica, "UI-RET-2", Changes(), "manager-1", lambda: True, "Test Pharmacy", tmp_path)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.table.rowCount() == 2 and dialog.table.item(1, 1).text().startswith("Reward TOTE-BAG")
    type_into(qtbot, dialog, 1, "1")
    assert (dialog.cash.text(), dialog.points_back.text()) == ("₹0.00", "150.00")
    type_into(qtbot, dialog, 1, "3")
    assert "cannot come back that much" in dialog.note.text()
    type_into(qtbot, dialog, 1, "2")
    dialog.confirm(ask=False)
    qtbot.addWidget(dialog.slip)
    assert "Reward TOTE-BAG" in dialog.slip.text
    assert cards.find(replica, number).points_balance == 500_00 - 300_00 + 300_00 + bills.recent(replica)[0]["pointsEarned"] * 100
