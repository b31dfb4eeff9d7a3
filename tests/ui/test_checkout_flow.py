"""The counter app driven as a cashier drives it: keys into a real window, offscreen, on a real replica."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

from pos_loyalty import jsonio
from pos_loyalty.services import bills, cards, parked
from support import make_bill
from counter_keys import answer_dialog, press, ring_up, scan










def test_scan_ring_up_redeem_max_finalize(qtbot, window, replica, customer):
    scan(qtbot, window, customer)
    assert window.checkout.card_panel.name.text() == "Asha Rao"
    ring_up(qtbot, window, "1", "500.00")
    ring_up(qtbot, window, "gen", "2x250")
    totals = window.checkout.totals
    assert totals.payable.text() == "₹975.00"
    assert totals.earned.text().startswith("Earns 19.75 points (Medicines 4.75, General 15.00)")

    press(window, "F5")  # redeem the most this bill allows: 50 % of 975.00 = 487.50 = 4,875 points, capped by 1,000
    assert totals.redeem.text() == "1000.00"
    assert totals.payable.text() == "₹875.00"
    assert totals.finalize.isEnabled()

    receipts: list[str] = []
    answer_dialog(lambda receipt: (receipts.append(receipt.text), receipt.accept()))
    press(window, "F12")
    qtbot.waitUntil(lambda: not window.checkout.busy and not window.checkout.draft.lines, timeout=10_000)
    # The receipt says what was rung up per unit, under the line's category.
    lines = receipts[0].splitlines()
    general = next(i for i, line in enumerate(lines) if line.startswith("General"))
    assert lines[general].endswith("500.00") and lines[general + 1].strip() == "2 x 250.00"
    assert not any(" x " in line for line in lines[:general])  # the amount line says none

    with sqlite3.connect(replica.path) as connection:
        rows = connection.execute(
            "SELECT l.transaction_type, l.points FROM ledger l JOIN cards c ON c.id = l.card_id"
            " WHERE c.card_number = ? AND l.reference_type = 'BILL' ORDER BY l.id",
            (customer,),
        ).fetchall()
        kind, payload = connection.execute("SELECT kind, payload FROM outbox ORDER BY device_seq DESC LIMIT 1").fetchone()
    assert rows[0] == ("REDEEMED", -100000)
    assert [kind for kind, _ in rows[1:]] == ["EARNED", "EARNED"]
    assert kind == "bill.finalized" and jsonio.loads(payload)["cardNumber"] == customer
    assert window.checkout.card is None and window.checkout.scan.text() == ""  # a fresh bill


def test_the_receipt_can_be_saved_as_pdf_without_a_printer(qtbot, window, replica, customer, data_dir):
    scan(qtbot, window, customer)
    ring_up(qtbot, window, "2", "100")
    pdfs: list[Path] = []

    def print_then_close(receipt: QDialog) -> None:
        receipt.print_receipt()
        pdfs.append(receipt.path)
        receipt.accept()

    answer_dialog(print_then_close)
    press(window, "F12")
    qtbot.waitUntil(lambda: bool(pdfs), timeout=10_000)
    assert pdfs[0].read_bytes().startswith(b"%PDF")


def test_bad_scans_are_said_plainly_and_offer_a_card(qtbot, window, customer):
    panel = window.checkout.card_panel
    mistyped = customer[:-1] + str((int(customer[-1]) + 1) % 10)
    scan(qtbot, window, mistyped)
    assert "check digit" in panel.problem.text() and panel.issue.isVisibleTo(panel)
    scan(qtbot, window, "2999999999991")
    assert "No card 2999999999991" in panel.problem.text()
    scan(qtbot, window, "9999999999")  # a valid check digit, and a phone's length
    assert "No card and no customer's phone is 9999999999" in panel.problem.text()
    scan(qtbot, window, "9845099999")
    assert "No card for phone 9845099999" in panel.problem.text()
    assert window.checkout.card is None


def test_an_inactive_card_is_refused_at_the_counter(qtbot, window, replica, customer):
    with replica.writing() as uow:
        uow.connection.exec_driver_sql(f"UPDATE cards SET is_active = 0 WHERE card_number = '{customer}'")
        uow.commit()
    scan(qtbot, window, customer)
    panel = window.checkout.card_panel
    assert "is not active" in panel.problem.text() and panel.issue.isVisibleTo(panel)
    assert window.checkout.card is None  # the bill goes on without it


def test_over_the_cap_and_too_few_points_are_shown_next_to_the_field(qtbot, window, customer):
    scan(qtbot, window, customer)
    ring_up(qtbot, window, "2", "100")  # cap: 50 % of 100.00 = 50.00 = 500 points
    totals = window.checkout.totals
    qtbot.keyClicks(totals.redeem, "600")
    assert "At most 500.00 points" in totals.redeem_problem.text()
    assert not totals.finalize.isEnabled()
    totals.redeem.clear()
    qtbot.keyClicks(totals.redeem, "50")
    assert "At least 100.00 points" in totals.redeem_problem.text()
    totals.redeem.clear()
    qtbot.keyClicks(totals.redeem, "abc")
    assert "not a number" in totals.redeem_problem.text()
    totals.redeem.clear()
    qtbot.keyClicks(totals.redeem, "100")
    assert totals.redeem_problem.text() == "" and totals.finalize.isEnabled()
    assert totals.payable.text() == "₹90.00"


def test_lines_are_edited_and_removed_from_the_keyboard(qtbot, window, customer):
    scan(qtbot, window, customer)
    ring_up(qtbot, window, "2", "100")
    ring_up(qtbot, window, "4", "50")
    table = window.checkout.lines
    table.setCurrentCell(1, 0)
    qtbot.keyClick(table, Qt.Key.Key_Delete)
    assert len(window.checkout.draft.lines) == 1
    table.setCurrentCell(0, 0)
    qtbot.keyClick(table, Qt.Key.Key_Return)  # back into the entry, to change it
    assert window.checkout.draft.lines == [] and window.checkout.entry.amount.text() == "100.00"
    window.checkout.entry.amount.clear()
    qtbot.keyClicks(window.checkout.entry.amount, "120")
    qtbot.keyClick(window.checkout.entry.amount, Qt.Key.Key_Return)
    assert window.checkout.totals.payable.text() == "₹120.00"


def test_unknown_category_or_bad_amount_is_said_next_to_the_entry(qtbot, window):
    ring_up(qtbot, window, "42", "10")
    assert "no category 42" in window.checkout.entry.problem.text()
    window.checkout.entry.start()
    ring_up(qtbot, window, "1", "-5")
    assert "greater than zero" in window.checkout.entry.problem.text()
    assert window.checkout.draft.lines == []


def test_park_and_take_back(qtbot, window, replica, customer):
    scan(qtbot, window, customer)
    ring_up(qtbot, window, "1", "80")
    press(window, "F8")
    assert window.checkout.draft.lines == [] and [p.label for p in parked.parked(replica)] == ["Asha Rao"]
    answer_dialog(lambda dialog: dialog.resume())
    press(window, "Shift+F8")
    assert window.checkout.card.card_number == customer
    assert window.checkout.totals.payable.text() == "₹76.00"  # 80.00 less 5 % member discount
    assert parked.parked(replica) == []


def test_cancel_asks_first(qtbot, window):
    ring_up(qtbot, window, "2", "10")
    answer_dialog(lambda box: box.button(QMessageBox.StandardButton.No).click())
    press(window, "Ctrl+Del")
    assert len(window.checkout.draft.lines) == 1
    answer_dialog(lambda box: box.button(QMessageBox.StandardButton.Yes).click())
    press(window, "Ctrl+Del")
    assert window.checkout.draft.lines == []


def enter_pin(pin: str, again: str | None = None) -> Callable[[QWidget], None]:
    def respond(dialog: QWidget) -> None:
        dialog.pin.setText(pin)
        if again is not None:
            dialog.again.setText(again)
        dialog._check()
        if dialog.isVisible():  # refused: say so in the test by closing it
            dialog.reject()

    return respond


def test_reversal_needs_the_manager(qtbot, window, replica, customer):
    bills.finalize(replica, customer, make_bill((2, "1000.00")), bill_id="TO-REVERSE")
    from ui.dialogs.recent_bills import RecentBillsDialog

    asked: list[bool] = []
    dialog = RecentBillsDialog(replica, window.changes, "cashier-1", lambda: asked.append(True) or False, window)
    qtbot.addWidget(dialog)
    dialog.reverse_selected(confirm=False)
    assert asked == [True] and bills.recent(replica)[0]["status"] == "FINALIZED"  # no PIN, no reversal

    granted = RecentBillsDialog(replica, window.changes, "cashier-1", lambda: True, window)
    qtbot.addWidget(granted)
    granted.reverse_selected(confirm=False)
    assert bills.recent(replica)[0]["status"] == "REVERSED"
    assert "reversed" in granted.note.text()


def test_manager_pin_is_set_on_first_use_then_asked_for(qtbot, window, replica, customer):
    from pos_loyalty.services import manager
    from ui.dialogs import pin

    pin.lock()
    scan(qtbot, window, customer)
    answer_dialog(enter_pin("1357", again="1357"))  # first use: choose a PIN ...
    answer_dialog(lambda adjust: (adjust.amount.setText("25"), adjust.reason.setText("goodwill"), adjust.save()))
    press(window, "Ctrl+J")
    assert manager.has_pin(replica) and cards.find(replica, customer).points_balance == 102500

    pin.lock()
    answer_dialog(enter_pin("0000"))  # wrong PIN: nothing happens
    press(window, "Ctrl+J")
    assert cards.find(replica, customer).points_balance == 102500
    pin.lock()


def test_history_loads_off_the_ui_thread(qtbot, window, replica, customer):
    from ui.dialogs.history import HistoryDialog

    for number in range(30):
        bills.finalize(replica, customer, make_bill((2, f"{100 + number}.00")))
    dialog = HistoryDialog(replica, cards.find(replica, customer), window)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 31, timeout=10_000)
    assert "31 movements" in dialog.note.text()


def test_the_window_fits_a_1024_by_768_screen(window):
    assert window.minimumSizeHint().width() <= 1024 and window.minimumSizeHint().height() <= 768
    window.resize(1024, 768)
    assert window.width() <= 1024 and window.height() <= 768


def test_every_action_has_a_shortcut_listed_in_help(window):
    keys = {key for key, _text in window.shortcuts}
    assert {"F1", "F2", "F5", "F12", "F8", "F10", "Ctrl+I", "Ctrl+J", "Ctrl+K"} <= keys
    assert all(action.shortcut().toString() for action in window.actions())


def test_the_configuration_needs_the_manager(qtbot, window, replica):
    from pos_loyalty.services import manager
    from ui.dialogs import pin

    pin.lock()
    manager.set_pin(replica, "2468")
    seen: list[str] = []

    def wrong(dialog: QWidget) -> None:
        seen.append(type(dialog).__name__)
        enter_pin("0000")(dialog)

    answer_dialog(wrong)
    press(window, "Ctrl+K")
    assert seen == ["PinDialog"]  # refused: the editor never opened

    def right(dialog: QWidget) -> None:
        seen.append(type(dialog).__name__)
        answer_dialog(lambda editor: (seen.append(type(editor).__name__), editor.reject()))
        enter_pin("2468")(dialog)

    answer_dialog(right)
    press(window, "Ctrl+K")
    assert seen == ["PinDialog", "PinDialog", "ConfigEditor"]
    pin.lock()


@pytest.mark.parametrize("typed", ["1e999999999", "1e5", "١٠٠", "１００", "1_000", "NaN"])
def test_a_redemption_typed_in_another_form_is_named_next_to_the_field(qtbot, window, customer, typed):
    """Only the digits 0-9 (and a point) make a figure, as in the core: no exponent, no
    other script's digits; an exponent as large as 1e999999999 must not crash the quote."""
    scan(qtbot, window, customer)
    ring_up(qtbot, window, "2", "100")
    totals = window.checkout.totals
    totals.redeem.setText(typed)  # as an input method types it (QTest types Latin keys only)
    totals.redeem.textEdited.emit(typed)
    assert "is not a number (type it with the digits 0-9)" in totals.redeem_problem.text()
    assert not totals.finalize.isEnabled()
    totals.redeem.setText(" 100 ")
    totals.redeem.textEdited.emit(" 100 ")
    assert totals.redeem_problem.text() == "" and totals.payable.text() == "₹90.00"


@pytest.mark.parametrize("typed", ["²", "١", "9" * 40])
def test_a_category_typed_in_other_digits_or_too_long_is_said_not_a_crash(qtbot, window, customer, typed):
    scan(qtbot, window, customer)
    entry = window.checkout.entry
    entry.category.setText(typed)  # as an input method types it (QTest types Latin keys only)
    qtbot.keyClick(entry.category, Qt.Key.Key_Return)
    qtbot.keyClicks(entry.amount, "100")
    qtbot.keyClick(entry.amount, Qt.Key.Key_Return)
    assert "ategory" in entry.problem.text() and not window.checkout.draft.lines


def test_a_line_still_being_typed_stops_finalize(qtbot, window, replica, customer):
    scan(qtbot, window, customer)
    ring_up(qtbot, window, "2", "100")
    entry = window.checkout.entry
    qtbot.keyClicks(entry.category, "530")  # not a category here: the line cannot be added
    qtbot.keyClick(entry.category, Qt.Key.Key_Return)
    press(window, "F12")
    assert "still being typed" in window.checkout.notice.text()
    assert bills.recent(replica) == []
    entry.category.clear()
    entry.amount.clear()
    answer_dialog(lambda receipt: receipt.accept())
    with qtbot.waitSignal(window.checkout.finalized, timeout=5000):
        press(window, "F12")
    assert len(bills.recent(replica)) == 1
