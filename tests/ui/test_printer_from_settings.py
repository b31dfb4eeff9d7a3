"""The whole way a receipt printer goes at a new till: a technician sets it up from the
command line (`devices setup-printer`), the counter app is started as the till starts it
(`ui.app.run`), and a cashier's first bill prints on it: the bytes the printer got are the
receipt, with the bill's number, the card's barcode and the cut."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from cli_runs import in_process
from counter_keys import answer_dialog, press, ring_up, scan
from escpos_bytes import decode
from pos_loyalty.services import cards, open_replica
from ui import app
from ui.main_window import MainWindow
from ui.receipt_printer import READY


def test_a_printer_set_up_from_the_command_line_prints_the_apps_first_receipt(qtbot, capsys, tmp_path, tcp_printer):
    till = tmp_path / "till"
    status, out, _ = in_process(capsys, till, "devices", "setup-printer", "--network", tcp_printer.address)
    assert status == 0, out
    tcp_printer.wait_for_jobs(1)  # the set-up's test line
    replica = open_replica(till)
    customer = cards.issue(replica, name="Asha Rao", phone="9845012345").card_number
    replica.close()

    notes: list[str] = []
    problems: list[BaseException] = []

    def cashier() -> None:
        window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
        try:
            qtbot.waitUntil(lambda: window.printer_state.text() == READY, timeout=5000)  # checked as it started
            scan(qtbot, window, customer)
            ring_up(qtbot, window, "1", "500")

            def print_it(receipt) -> None:  # type: ignore[no-untyped-def]
                receipt.print_receipt()
                qtbot.waitUntil(lambda: not receipt.note.text().startswith("Printing"), timeout=10_000)
                notes.append(receipt.note.text())
                receipt.accept()

            answer_dialog(print_it)
            press(window, "F12")
            qtbot.waitUntil(lambda: bool(notes), timeout=10_000)
        except BaseException as error:  # noqa: BLE001  (said after the app has closed)
            problems.append(error)
        finally:
            window.close()

    QTimer.singleShot(0, cashier)
    assert app.run(till, "cashier-1") == 0
    assert not problems, problems
    assert notes == ["Printed on the receipt printer."]
    [receipt] = [decode(job) for job in tcp_printer.jobs[1:] if b"\x1dV" in job]
    assert "Bill T1-000001" in receipt.text and any(line.startswith("TO PAY") for line in receipt.lines)
    assert receipt.barcodes == [("EAN13", customer)] and receipt.cuts == [0]
