"""The dialogs that show bills name them as a cashier does ("T1-000001, Asha Rao, ₹1,372.77"),
never by UUID, and the columns a cashier needs are all in view at the size the dialog opens."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox, QTableWidget

from pos_loyalty import jsonio
from pos_loyalty.replica.db import FILE_NAME
from pos_loyalty.services import bills, cards
from support import make_bill
from ui.changes import Changes
from ui.dialogs.history import HistoryDialog
from ui.dialogs.recent_bills import RecentBillsDialog
from ui.dialogs.return_bill import ReturnDialog

UUID = "81624eb9-4c2e-4a55-9f3e-0c8a1f2d3e4b"
NAMED = "T1-000001, Asha Rao, ₹1,372.77"


@pytest.fixture
def sold(replica) -> str:
    """Asha's bill T1-000001 (id a UUID): ₹1,372.77 to pay; then a bill without a card."""
    asha = cards.issue(replica, name="Asha Rao", phone="9845012345").card_number
    cards.adjust(replica, asha, "1000", reason="opening")
    bills.finalize(replica, asha, make_bill((1, "1234.50"), (2, "200.00")), bill_id=UUID)
    bills.finalize(replica, None, make_bill((2, "10.00")))
    return asha


def shown(qtbot, dialog):  # type: ignore[no-untyped-def]
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def cells(table: QTableWidget) -> list[list[str]]:
    return [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]


def assert_all_in_view(table: QTableWidget, *, wrapped: tuple[int, ...] = ()) -> None:
    """No sideways scrolling; every column inside the table's width; each cell's text fits
    its column whole (a wrapped column shows its sentence over more lines instead)."""
    assert table.horizontalScrollBar().maximum() == 0
    header, width = table.horizontalHeader(), table.viewport().width()
    for column in range(table.columnCount()):
        assert header.sectionViewportPosition(column) + header.sectionSize(column) <= width, column
        if column in wrapped:
            continue
        for row in range(table.rowCount()):
            text = table.item(row, column).text()
            assert table.fontMetrics().horizontalAdvance(text) <= header.sectionSize(column), (row, column, text)


def test_recent_bills_show_number_card_customer_amount_points_and_state_without_uuids(qtbot, replica, sold):
    dialog = shown(qtbot, RecentBillsDialog(replica, Changes(), "cashier-1", lambda: True))
    table = dialog.table
    headings = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert headings == ["When", "Bill", "Card", "Customer", "To pay", "Points", "State"]
    rows = cells(table)
    assert [row[1:5] for row in rows] == [["T1-000002", "(no card)", "", "10.00"], ["T1-000001", sold, "Asha Rao", "1,372.77"]]
    assert all(UUID not in text for row in rows for text in row)
    assert UUID in table.item(1, 1).toolTip()  # the id, for whoever needs it
    assert_all_in_view(table)


def test_the_reverse_confirmation_names_the_bill_its_customer_and_amount(qtbot, replica, sold, monkeypatch):
    asked: list[str] = []

    def question(_parent, _title, text, *args):  # type: ignore[no-untyped-def]
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", question)
    dialog = shown(qtbot, RecentBillsDialog(replica, Changes(), "manager-1", lambda: True))
    dialog.table.selectRow(1)
    dialog.reverse_selected()
    assert asked == [f"Reverse bill {NAMED}? Every point it earned or redeemed is put back; this cannot be undone."]
    assert dialog.note.text() == f"Bill {NAMED} reversed: every point it earned or redeemed is put back."
    assert bills.recent(replica)[1]["status"] == bills.REVERSED


def test_the_return_screen_names_the_bill_in_its_title_confirmation_and_slip(qtbot, replica, sold, monkeypatch, tmp_path: Path):
    asked: list[str] = []

    def question(_parent, _title, text, *args):  # type: ignore[no-untyped-def]
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", question)
    dialog = shown(qtbot, ReturnDialog(replica, UUID, Changes(), "manager-1", lambda: True, "Test Pharmacy", tmp_path))
    assert dialog.windowTitle() == f"Return part of bill {NAMED}"
    dialog.everything_left()
    dialog.confirm()
    assert len(asked) == 1 and asked[0].startswith(f"Return part of bill {NAMED}: give back 1,372.77 in cash")
    qtbot.addWidget(dialog.slip)
    assert dialog.slip.windowTitle() == "Return slip: bill T1-000001"
    assert "Bill T1-000001" in dialog.slip.text and UUID[:8] not in dialog.slip.text
    cash_back = next(line for line in dialog.slip.text.splitlines() if line.startswith("CASH BACK"))
    assert cash_back.endswith("₹1,372.77")  # in the pharmacy's currency, as on the receipt
    assert dialog.slip.path.name.startswith("return-T1-000001-")


def test_the_receipt_is_named_by_the_bill_number_on_screen_and_as_a_pdf(qtbot, replica, sold, tmp_path: Path):
    from ui.dialogs.receipt import ReceiptDialog

    result = bills.show(replica, "T1-000001")  # the result the customer saw, with its number
    dialog = shown(qtbot, ReceiptDialog(result, "Asha Rao", "Test Pharmacy", "₹", tmp_path))
    assert dialog.windowTitle() == "Receipt: bill T1-000001"
    assert dialog.path == tmp_path / "T1-000001.pdf"
    assert "Bill T1-000001" in dialog.text and UUID[:8] not in dialog.text


def test_history_names_bills_by_number_and_keeps_its_columns_in_view(qtbot, replica, sold):
    dialog = shown(qtbot, HistoryDialog(replica, cards.find(replica, sold)))
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 3, timeout=10_000)  # the opening, and the bill's two
    table = dialog.table
    assert [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())] == ["When", "What", "Points", "Balance"]
    rows = cells(table)
    assert all(UUID not in text for row in rows for text in row)
    assert [row[1] for row in rows[:2]] == [
        "Earned 6.00 points on General at 3.00 %, bill T1-000001",
        "Earned 11.72 points on Medicines at 1.00 %, bill T1-000001",
    ]
    assert UUID in table.item(0, 1).toolTip()
    assert_all_in_view(table, wrapped=(1,))


def test_sync_problems_name_the_refused_bill_by_its_number(qtbot, sqlite_central, tmp_path: Path):
    from central.store.tenants import add_device, create_tenant
    from pos_loyalty.services import central_link, open_replica
    from sync.daemon import Syncer
    from sync.transport import CentralService
    from ui.dialogs.sync_problems import SyncProblemsDialog

    server, store = sqlite_central
    tenant = create_tenant(store, "Named Bills Pharmacy", sample_config=True)
    replica = open_replica(tmp_path / "till")
    central_link.remember(replica, server.base, add_device(store, tenant.tenant_id, "Counter 1").token)
    card = cards.issue(replica, name="Bina Das", phone="9000000771").card_number
    bills.finalize(replica, card, make_bill((3, "500.00")), bill_id=UUID)
    with sqlite3.connect(tmp_path / "till" / FILE_NAME) as db:  # as an older till wrote it: refused
        (seq, payload), = db.execute("SELECT device_seq, payload FROM outbox WHERE kind = 'bill.finalized'").fetchall()
        doc = jsonio.loads(payload)
        doc["items"][0].update(quantity=Decimal("2"), unitPrice=Decimal("250.00"), amount=Decimal("501.00"))
        db.execute("UPDATE outbox SET payload = ? WHERE device_seq = ?", (jsonio.dumps(doc), seq))
    central = central_link.central(replica)
    Syncer(replica, CentralService(central.url, central.token)).round()

    dialog = shown(qtbot, SyncProblemsDialog(replica))
    assert dialog.rejected.rowCount() == 1
    assert dialog.rejected.item(0, 2).text().startswith(f"Bill T1-000001, card {card}")
    qtbot.waitUntil(lambda: dialog.flags.rowCount() >= 1, timeout=10_000)
    flags = cells(dialog.flags)
    refused = next(row for row in flags if row[0] == "Change refused")
    assert refused[2] == f"T1-000001, Bina Das, ₹{bills.recent(replica)[0]['payable']:,}"
    assert all(UUID not in text for table in (dialog.rejected, dialog.flags) for row in cells(table) for text in row)
    assert_all_in_view(dialog.rejected, wrapped=(2, 3))
    assert_all_in_view(dialog.flags, wrapped=(3,))
    replica.close()


def test_a_bills_receipt_again_from_recent_bills_is_marked_a_copy(qtbot, replica, sold, tmp_path: Path):
    dialog = shown(qtbot, RecentBillsDialog(replica, Changes(), "cashier-1", lambda: True, pharmacy="Test Pharmacy",
                                            receipts=tmp_path))
    dialog.table.selectRow(1)
    again = dialog.receipt_again()
    qtbot.addWidget(again)
    assert again.windowTitle() == "Receipt: bill T1-000001 (copy)"
    lines = again.text.splitlines()
    assert lines[0].strip() == "TEST PHARMACY" and lines[1].strip() == "COPY" and lines[2].strip() == "Bill T1-000001"
    assert next(line for line in lines if line.startswith("TO PAY")).endswith("1,372.77")  # as the customer paid
    assert again.path == tmp_path / "T1-000001-copy.pdf"
    again.accept()

    dialog.reverse_selected(confirm=False)
    dialog.table.selectRow(1)
    reversed_copy = dialog.receipt_again()
    qtbot.addWidget(reversed_copy)
    assert reversed_copy.text.splitlines()[1].strip() == "COPY: BILL REVERSED"


def test_a_receipt_again_says_the_quantity_and_unit_price_of_a_line_priced_per_unit(qtbot, replica, tmp_path: Path):
    from pos_loyalty.rules import bill_from_json

    bill = {"items": [{"categoryId": 1, "amount": "40.00"}, {"categoryId": 2, "quantity": "1.5", "unitPrice": "33.33"}]}
    bills.finalize(replica, None, bill_from_json(bill))
    dialog = shown(qtbot, RecentBillsDialog(replica, Changes(), "cashier-1", lambda: True, pharmacy="Test Pharmacy",
                                            receipts=tmp_path))
    dialog.table.selectRow(0)
    again = dialog.receipt_again()
    qtbot.addWidget(again)
    lines = again.text.splitlines()
    priced = next(i for i, line in enumerate(lines) if line.rstrip().endswith("50.00"))  # 1.5 x 33.33 = 49.995
    assert lines[priced + 1].strip() == "1.5 x 33.33"
    assert sum(" x " in line for line in lines) == 1  # the 40.00 line was an amount


def test_enter_on_a_recent_bill_shows_its_receipt_and_never_reverses_it(qtbot, replica, sold, tmp_path: Path):
    from PySide6.QtCore import Qt

    dialog = shown(qtbot, RecentBillsDialog(replica, Changes(), "manager-1", lambda: True, pharmacy="Test Pharmacy",
                                            receipts=tmp_path))
    dialog.table.setFocus()
    opened: list[str] = []
    dialog.receipt_button.clicked.connect(lambda: opened.append("receipt"))
    dialog.reverse_button.clicked.connect(lambda: opened.append("reverse"))
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    assert opened == ["receipt"] and bills.recent(replica)[1]["status"] == bills.FINALIZED
