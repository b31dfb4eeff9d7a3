"""The receipt printer at the counter: Print sends the receipt and the return slip (and the
day report's Print on receipt printer, the day report) to the thermal printer when one is set up, its state is in the status bar, and when it cannot print
the slip is saved as a PDF and the cashier is told why. Real windows, a real replica, a real
printer socket on 127.0.0.1; the UI thread never waits on the printer."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import QTimer

from counter_keys import answer_dialog, press, ring_up, scan, shown_window
from day_reports import assert_every_figure_printed, busy_day, printed_figures
from devices.printer_settings import NETWORK, chosen
from escpos_bytes import decode
from pos_loyalty.services import bills, cards, day_report
from receipt_printers import NONE, closed_port
from support import make_bill
from ui.changes import Changes
from ui.dialogs.day_report import DayReportDialog
from ui.dialogs.receipt import SlipDialog
from ui.dialogs.return_bill import ReturnDialog
from ui.receipt_printer import NO_PAPER, READY, UNREACHABLE, ReceiptPrinter


def printer_on(address: str) -> ReceiptPrinter:
    return ReceiptPrinter(chosen(NETWORK, address))


def window_with(qtbot, replica, data_dir, printer: ReceiptPrinter):  # type: ignore[no-untyped-def]
    shown = shown_window(qtbot, replica, data_dir, printer=printer)
    printer.start()
    return shown


def print_then_close(notes: list[str]):  # type: ignore[no-untyped-def]
    """Press Print on the slip dialog; when it has said how it went, note it and close."""

    def respond(slip: SlipDialog) -> None:
        slip.print_receipt()

        def said() -> None:
            if slip.note.text().startswith("Printing"):
                QTimer.singleShot(20, said)
            else:
                notes.append(slip.note.text())
                slip.accept()

        said()

    return respond


def printed_jobs(tcp_printer) -> list[bytes]:  # type: ignore[no-untyped-def]
    return [job for job in tcp_printer.jobs if b"\x1dV" in job]  # the checks send only a question


def finalize_with_print(qtbot, window, customer: str) -> str:  # type: ignore[no-untyped-def]
    scan(qtbot, window, customer)
    ring_up(qtbot, window, "2", "100")
    notes: list[str] = []
    answer_dialog(print_then_close(notes))
    press(window, "F12")
    qtbot.waitUntil(lambda: bool(notes), timeout=10_000)
    return notes[0]


def test_print_sends_the_receipt_to_the_receipt_printer(qtbot, replica, data_dir, customer, tcp_printer):
    window = window_with(qtbot, replica, data_dir, printer_on(tcp_printer.address))
    qtbot.waitUntil(lambda: window.printer_state.text() == READY, timeout=5000)
    assert window.printer_state.isVisible()

    assert finalize_with_print(qtbot, window, customer) == "Printed on the receipt printer."
    [job] = printed_jobs(tcp_printer)
    out = decode(job)
    newest = bills.recent(replica, limit=1)[0]
    assert "TEST PHARMACY" in out.bold[0]
    assert any(line.startswith("Points earned") and line.endswith("3.00") for line in out.lines)  # General 3 %
    balance = Decimal(cards.find(replica, customer).points_balance) / 100
    assert any(line.startswith("Points balance now") and line.endswith(f"{balance:,.2f}") for line in out.lines)
    assert f"Bill {newest['billNumber']}" in out.text and newest["billNumber"] == "T1-000001"  # not its UUID
    assert out.barcodes == [("EAN13", customer)] and out.cuts == [0]


def test_a_printer_not_reachable_is_in_the_status_bar_and_the_receipt_goes_to_pdf(qtbot, replica, data_dir, customer):
    window = window_with(qtbot, replica, data_dir, printer_on(f"127.0.0.1:{closed_port()}"))
    qtbot.waitUntil(lambda: window.printer_state.text() == UNREACHABLE, timeout=5000)
    assert "is not reachable (connection refused)" in window.printer_state.toolTip()

    note = finalize_with_print(qtbot, window, customer)
    assert "is not reachable (connection refused): is it switched on and on the network?" in note
    saved = Path(note.rsplit("Saved as ", 1)[1].removesuffix(" instead."))
    assert saved.parent == data_dir / "receipts" and saved.read_bytes().startswith(b"%PDF")


def test_out_of_paper_the_receipt_goes_to_pdf_and_the_status_bar_says_so(qtbot, replica, data_dir, customer, tcp_printer):
    window = window_with(qtbot, replica, data_dir, printer_on(tcp_printer.address))
    qtbot.waitUntil(lambda: window.printer_state.text() == READY, timeout=5000)
    tcp_printer.paper = NONE
    note = finalize_with_print(qtbot, window, customer)
    assert note.startswith(f"The receipt printer at {tcp_printer.address} is out of paper: put in a new roll. Saved as ")
    assert window.printer_state.text() == NO_PAPER and printed_jobs(tcp_printer) == []
    tcp_printer.paper = 0x12  # a new roll: the next check says so
    window.receipt_printer.check()
    qtbot.waitUntil(lambda: window.printer_state.text() == READY, timeout=5000)


def test_the_check_does_not_hold_up_the_counter(qtbot, replica, data_dir, tcp_printer):
    tcp_printer.answers = False  # the printer takes its time (no answer to the paper question)
    printer = printer_on(tcp_printer.address)
    window = shown_window(qtbot, replica, data_dir, printer=printer)
    started = time.monotonic()
    printer.start()
    assert time.monotonic() - started < 0.2 and window.printer_state.text() == ""
    qtbot.waitUntil(lambda: window.printer_state.text() == READY, timeout=5000)


def test_without_a_receipt_printer_the_status_bar_says_nothing_of_one(qtbot, window):
    window.receipt_printer.start()
    assert not window.printer_state.isVisible() and window.receipt_printer.printer is None


def test_the_return_slip_prints_on_the_receipt_printer(qtbot, replica, customer, tmp_path: Path, tcp_printer):
    bills.finalize(replica, customer, make_bill((1, "500.00")), bill_id="UI-PRN-1")
    dialog = ReturnDialog(replica, "UI-PRN-1", Changes(), "manager-1", lambda: True, "Test Pharmacy", tmp_path,
                          printer=printer_on(tcp_printer.address))
    qtbot.addWidget(dialog)
    dialog.everything_left()
    dialog.confirm(ask=False)
    qtbot.addWidget(dialog.slip)
    dialog.slip.print_receipt()
    qtbot.waitUntil(lambda: dialog.slip.note.text() == "Printed on the receipt printer.", timeout=5000)
    out = decode(printed_jobs(tcp_printer)[0])
    assert "RETURN" in out.bold[1]
    assert any(line.startswith("CASH BACK") and line.endswith(f"{dialog.answer['cashRefund']:,.2f}") for line in out.lines)
    assert out.barcodes == [("EAN13", customer)] and out.cuts == [0]


def test_a_receipt_closed_while_it_prints_is_still_saved_when_the_printer_fails(
    qtbot, replica, data_dir, customer, tcp_printer
):
    """The cashier presses Print and closes the receipt at once; the printer then says it
    is out of paper. The dialog is gone, but the receipt is saved as a PDF."""
    import shiboken6

    from receipt_printers import PAPER_QUESTION

    def slow_and_empty(chunk: bytes, reply) -> None:  # type: ignore[no-untyped-def]
        if PAPER_QUESTION in chunk:
            # After the dialog has closed, well within the 0.5 s a printer has to answer (an
            # answer after it counts as paper, so 0.3 s lost this test on a loaded CI machine).
            time.sleep(0.1)
            reply(bytes([NONE]))

    window = window_with(qtbot, replica, data_dir, printer_on(tcp_printer.address))
    qtbot.waitUntil(lambda: window.printer_state.text() == READY, timeout=5000)
    tcp_printer._answer = slow_and_empty
    closed: list[SlipDialog] = []

    def print_and_close(slip: SlipDialog) -> None:
        slip.print_receipt()
        closed.append(slip)
        slip.accept()
        slip.deleteLater()  # as Qt may delete a closed dialog before the printer answers

    scan(qtbot, window, customer)
    ring_up(qtbot, window, "2", "100")
    answer_dialog(print_and_close)
    press(window, "F12")
    saved = data_dir / "receipts" / "T1-000001.pdf"
    qtbot.waitUntil(saved.exists, timeout=10_000)
    assert saved.read_bytes().startswith(b"%PDF") and not shiboken6.isValid(closed[0])
    qtbot.waitUntil(lambda: window.printer_state.text() == NO_PAPER, timeout=5000)


def test_ctrl_d_prints_the_day_report_on_the_receipt_printer(qtbot, replica, data_dir, tcp_printer, manager_unlocked):
    busy_day(replica)
    window = window_with(qtbot, replica, data_dir, printer_on(tcp_printer.address))
    qtbot.waitUntil(lambda: window.printer_state.text() == READY, timeout=5000)
    notes: list[str] = []

    def respond(dialog) -> None:  # type: ignore[no-untyped-def]
        def ready() -> None:
            if dialog.report is None:
                QTimer.singleShot(20, ready)
                return
            assert dialog.slip_button.isVisible() and dialog.slip_button.text() == "Print on receipt printer (Ctrl+T)"
            dialog.slip_button.click()
            said()

        def said() -> None:
            if dialog.note.text().startswith("Printing"):
                QTimer.singleShot(20, said)
            else:
                notes.append(dialog.note.text())
                dialog.accept()

        ready()

    answer_dialog(respond)
    press(window, "Ctrl+D")
    qtbot.waitUntil(lambda: bool(notes), timeout=10_000)
    report = day_report.report(replica)
    assert notes == [f"The report of {report.day} was printed on the receipt printer."]
    [job] = printed_jobs(tcp_printer)
    out = decode(job)
    assert out.lines[1].strip() == "END OF DAY REPORT" and all(len(line) <= 42 for line in out.lines)
    assert_every_figure_printed(printed_figures(out.lines), report)
    assert out.barcodes == [] and out.cuts == [0]


def test_the_day_report_printer_not_reachable_is_said_and_without_one_there_is_no_such_button(qtbot, replica, data_dir):
    dialog = DayReportDialog(replica, data_dir, printer=printer_on(f"127.0.0.1:{closed_port()}"))
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=5000)
    dialog.print_on_receipt_printer()
    qtbot.waitUntil(lambda: not dialog.note.text().startswith("Printing"), timeout=10_000)
    assert "is not reachable (connection refused)" in dialog.note.text()
    assert dialog.note.text().endswith("The report was not printed: try again, or Save PDF (Ctrl+S).")
    assert dialog.slip_button.isEnabled()

    plain = DayReportDialog(replica, data_dir, printer=ReceiptPrinter(None))  # a till with no thermal printer
    qtbot.addWidget(plain)
    plain.show()
    assert not plain.slip_button.isVisible() and plain.print_button.isVisible()


def test_f10_a_return_and_its_slip_printed_from_the_counter(qtbot, replica, data_dir, customer, tcp_printer,
                                                            manager_unlocked):
    """The whole way a cashier goes: F10, the bill, everything back, the manager, Print."""
    window = window_with(qtbot, replica, data_dir, printer_on(tcp_printer.address))
    finalize_with_print(qtbot, window, customer)  # the sale's own receipt first
    notes: list[str] = []

    def in_recent_bills(recent) -> None:  # type: ignore[no-untyped-def]
        returning = recent.return_selected()
        returning.everything_left()
        returning.confirm(ask=False)  # the manager's PIN was just given
        slip = returning.slip  # on top of the recent bills until it is closed
        slip.finished.connect(recent.accept)
        print_then_close(notes)(slip)

    answer_dialog(in_recent_bills)
    press(window, "F10")
    qtbot.waitUntil(lambda: bool(notes), timeout=10_000)
    assert notes == ["Printed on the receipt printer."]
    sale, back = (decode(job) for job in printed_jobs(tcp_printer))
    assert any(line.startswith("TO PAY") for line in sale.lines)
    cash = bills.recent(replica, limit=1)[0]["payable"]
    assert "RETURN" in back.bold[1] and any(line.startswith("CASH BACK") and line.endswith(f"{cash:,.2f}") for line in back.lines)
    assert back.barcodes == [("EAN13", customer)] and back.cuts == [0]


def test_a_receipt_printed_again_from_recent_bills_says_copy_on_paper(qtbot, replica, customer, tmp_path: Path,
                                                                      tcp_printer):
    from ui.dialogs.recent_bills import RecentBillsDialog

    printer = printer_on(tcp_printer.address)
    done = bills.finalize(replica, customer, make_bill((1, "500.00")))
    recent = RecentBillsDialog(replica, Changes(), "cashier-1", lambda: True, pharmacy="Test Pharmacy",
                               receipts=tmp_path, printer=printer)
    qtbot.addWidget(recent)
    again = recent.receipt_again()
    notes: list[str] = []
    print_then_close(notes)(again)
    qtbot.waitUntil(lambda: bool(notes), timeout=10_000)
    assert notes == ["Printed on the receipt printer."]
    [job] = printed_jobs(tcp_printer)
    out = decode(job)
    assert out.bold[:2] == [out.lines[0], out.lines[1]] and out.lines[1].strip() == "COPY"
    assert f"Bill {done.result['billNumber']}" in out.text and out.barcodes == [("EAN13", customer)]
