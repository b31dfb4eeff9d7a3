"""Receipts on a thermal printer: a real finalized bill printed over a real TCP socket and a
real pseudo-terminal, and what the printer would print decoded from the bytes it got."""

from __future__ import annotations

from pathlib import Path

import pytest

from day_reports import assert_every_figure_printed, busy_day, printed_figures
from devices.printer_settings import NETWORK, SERIAL, USB, chosen
from devices.thermal import PaperOut, PrinterUnavailable, ThermalPrinter, printable
from escpos_bytes import decode
from pos_loyalty import formatting
from pos_loyalty.day_figures import day_in_words
from pos_loyalty.day_report_lines import day_report_slip
from pos_loyalty.receipt_lines import receipt_slip, return_slip
from pos_loyalty.rules.programme import local_date
from pos_loyalty.rules.returns import ReturnLineAsk
from pos_loyalty.services import bills, cards, configuration, day_report, demo, returns
from receipt_printers import LOW, NONE, PAPER_QUESTION, closed_port
from support import make_bill


@pytest.fixture
def sale(replica):
    """A bill of the demo pharmacy (double points on Baby Care today) on Asha's card: 100.00
    points redeemed; (result, promotion names)."""
    configuration.save(replica, demo.sample_config(local_date(replica.clock(), demo.TIME_ZONE)))
    number = cards.issue(replica, name="Asha Rao", phone="9845012345").card_number
    cards.adjust(replica, number, "1000", reason="opening")
    done = bills.finalize(replica, number, make_bill((3, "100.00"), (1, "200.00"), redeem="100"))
    names = {promotion.promotion_id: promotion.name for promotion in configuration.in_use(replica).promotions}
    return done.result, names


def test_a_receipt_printed_on_a_network_printer_says_the_balance_points_and_promotion(tcp_printer, sale):
    result, names = sale
    printer = ThermalPrinter(chosen(NETWORK, tcp_printer.address))
    printer.print_slip(receipt_slip(result, "Asha Rao", "Asha Pharmacy", width=printer.width, currency="₹", promotions=names))

    [job] = tcp_printer.wait_for_jobs(1)
    assert job.startswith(PAPER_QUESTION)  # asked about its paper before anything was sent
    out = decode(job)
    assert out.commands[1] == ("init",) and ("codepage", 0) in out.commands
    assert "ASHA PHARMACY" in out.lines[0] and "ASHA PHARMACY" in out.bold[0]
    assert f"Card {result['cardNumber']} (Asha Rao)" in out.lines
    assert row(out.lines, "Points redeemed 100.00") == "-10.00"
    assert row(out.lines, "Points earned") == "10.50"  # Baby Care 90.00 x 5 % x2 + Medicines 190.00 x 1 %
    assert "  incl. Double points on Baby Care" in out.lines
    assert row(out.lines, "Points balance now") == "910.50"
    assert row(out.lines, "TO PAY") == "Rs270.00"  # the rupee sign is not in the printer's code tables
    assert any(line.startswith("TO PAY") for line in out.bold)
    assert all(len(line) <= 42 for line in out.lines)
    assert out.barcodes == [("EAN13", result["cardNumber"])]
    barcode_at = next(i for i, c in enumerate(out.commands) if c[0] == "barcode")
    assert out.commands[barcode_at][3] == 1  # centred
    assert out.cuts == [0] and out.commands[-1] == ("cut", 0)  # and the cut is the last thing


def row(lines: list[str], label: str) -> str:
    """The figure at the right of the row that starts with `label`."""
    found = [line for line in lines if line.startswith(label)]
    assert len(found) == 1, (label, lines)
    return found[0][len(label):].strip()


def test_a_serial_printer_on_58_mm_paper_gets_lines_of_32_characters(pty_printer, sale):
    result, names = sale
    printer = ThermalPrinter(chosen(SERIAL, str(pty_printer.link), width="32"))
    printer.print_slip(receipt_slip(result, "Asha Rao", "Asha Pharmacy", width=printer.width, promotions=names))

    out = decode(pty_printer.wait_for(b"\x1dV"))
    assert all(len(line) <= 32 for line in out.lines)
    assert out.lines[out.lines.index("  incl. Double points on Baby") + 1] == "        Care"  # wrapped, not cut off
    assert row(out.lines, "Points balance now") == "910.50"
    assert out.barcodes == [("EAN13", result["cardNumber"])] and out.cuts == [0]


def test_a_return_slip_prints_the_cash_back_and_the_points_moved(tcp_printer, replica, sale):
    result, _ = sale
    answer = returns.return_lines(replica, result["billId"], [ReturnLineAsk(0)], performed_by="manager")
    ThermalPrinter(chosen(NETWORK, tcp_printer.address)).print_slip(
        return_slip(answer, [("Baby Care", "all")], result["cardNumber"], "Asha Pharmacy")
    )
    out = decode(tcp_printer.wait_for_jobs(1)[0])
    assert "RETURN" in out.bold[1] and row(out.lines, "Baby Care") == "all"
    assert row(out.lines, "CASH BACK") == f"{answer['cashRefund']:.2f}"
    assert row(out.lines, "Points balance now") == f"{answer['newBalance']:,.2f}"
    assert out.barcodes == [("EAN13", result["cardNumber"])] and out.cuts == [0]


def test_any_lines_print_and_an_older_systems_card_is_a_code128_barcode(tcp_printer):
    day_report = ["DAY REPORT 03 Dec", "Bills                    42", "x" * 60]
    ThermalPrinter(chosen(NETWORK, tcp_printer.address, width="32")).print_lines(day_report, barcode="OLD12345")
    out = decode(tcp_printer.wait_for_jobs(1)[0])
    assert out.lines[:2] == day_report[:2] and out.lines[2:4] == ["x" * 32, "  " + "x" * 28]
    assert out.barcodes == [("CODE128", "OLD12345")]


def test_nothing_listening_is_said_in_a_sentence_and_nothing_is_sent():
    printer = ThermalPrinter(chosen(NETWORK, f"127.0.0.1:{closed_port()}"))
    with pytest.raises(PrinterUnavailable) as refused:
        printer.print_lines(["hello"])
    assert "is not reachable (connection refused): is it switched on and on the network?" in refused.value.message
    with pytest.raises(PrinterUnavailable):
        printer.check()


def test_a_wrong_serial_port_is_said_in_a_sentence(tmp_path: Path):
    printer = ThermalPrinter(chosen(SERIAL, str(tmp_path / "ttyUSB9")))
    with pytest.raises(PrinterUnavailable) as refused:
        printer.print_lines(["hello"])
    assert refused.value.message == (
        f"The receipt printer's port {tmp_path / 'ttyUSB9'} cannot be opened (no such file or directory): "
        "is the printer plugged in, and is that its port?"
    )


def test_a_usb_printer_not_plugged_in_is_said_in_a_sentence():
    with pytest.raises(PrinterUnavailable) as refused:
        ThermalPrinter(chosen(USB, "0416:5011")).check()
    assert "0416:5011" in refused.value.message and "plugged in" in refused.value.message


def test_out_of_paper_the_job_is_not_sent(tcp_printer, pty_printer):
    tcp_printer.paper = NONE
    printer = ThermalPrinter(chosen(NETWORK, tcp_printer.address))
    with pytest.raises(PaperOut) as refused:
        printer.print_lines(["hello"], barcode="2900001000017")
    assert refused.value.message == f"The receipt printer at {tcp_printer.address} is out of paper: put in a new roll."
    assert tcp_printer.wait_for_jobs(1) == [PAPER_QUESTION]  # the question, and nothing of the job

    pty_printer.paper = NONE
    with pytest.raises(PaperOut):
        ThermalPrinter(chosen(SERIAL, str(pty_printer.link))).print_lines(["hello"])
    assert bytes(pty_printer.wait_for(PAPER_QUESTION)) == PAPER_QUESTION


def test_the_check_says_ready_or_paper_low_and_a_silent_printer_still_prints(tcp_printer):
    printer = ThermalPrinter(chosen(NETWORK, tcp_printer.address))
    assert printer.check() == "ready"
    tcp_printer.paper = LOW
    assert printer.check() == "paper running low"
    tcp_printer.answers = False  # many cheap printers never answer: taken to have paper
    printer.print_lines(["hello"])
    assert decode(tcp_printer.wait_for_jobs(3)[2]).lines[0] == "hello"


def test_a_row_with_a_sign_the_printer_lacks_keeps_its_width():
    assert printable("TO PAY" + " " * 28 + "₹1,234.00", 42) == ["TO PAY" + " " * 26 + "Rs1,234.00"]
    assert printable("Points balance now   1,000.00", 20) == ["Points balance now", "  1,000.00"]


@pytest.mark.parametrize("width", [32, 42, 48])
def test_the_day_report_prints_every_figure_of_the_terminals_and_is_cut(replica, tcp_printer, width):
    busy_day(replica)
    report = day_report.report(replica)
    printer = ThermalPrinter(chosen(NETWORK, tcp_printer.address, width=str(width)))
    printer.print_slip(day_report_slip(report, printer.width, formatting.Local()))

    out = decode(tcp_printer.wait_for_jobs(1)[0])
    assert all(len(line) <= width for line in out.lines)
    assert out.lines[0].strip() == "PHARMACY" and out.lines[1].strip() == "END OF DAY REPORT"
    assert out.bold[:2] == out.lines[:2] and "ALL CASHIERS" in out.bold
    assert [line for line in out.bold if line.startswith("Cashier: ")] == ["Cashier: asha", "Cashier: manager", "Cashier: ravi"]
    assert out.lines[2].strip() == day_in_words(report.day)
    assert "The day is not over: these are its figures so far." in " ".join(out.lines)
    blocks = printed_figures(out.lines)
    assert_every_figure_printed(blocks, report)
    assert blocks["ALL CASHIERS"]["Money paid"] == "2,214.50"  # 1,264.50 (asha) + 950.00 (ravi)
    assert blocks["ravi"]["Cash back"] == "240.00" and blocks["manager"]["Bills reversed"] == "1"
    assert out.barcodes == [] and out.cuts == [0] and out.commands[-1] == ("cut", 0)


def test_a_day_with_nothing_done_prints_its_zeros_on_a_serial_printer(replica, pty_printer):
    report = day_report.report(replica)
    ThermalPrinter(chosen(SERIAL, str(pty_printer.link), width="32")).print_slip(day_report_slip(report, 32))
    out = decode(pty_printer.wait_for(b"\x1dV"))
    assert "Nothing was recorded at this till on that day." in " ".join(out.lines)
    blocks = printed_figures(out.lines)
    assert list(blocks) == ["ALL CASHIERS"] and set(blocks["ALL CASHIERS"].values()) == {"0", "0.00"}
    assert_every_figure_printed(blocks, report)
    assert out.cuts == [0]
