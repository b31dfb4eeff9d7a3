"""`pos-loyalty devices setup-printer` and `printer-test`, as a technician setting up a till
uses them, against a real network printer on 127.0.0.1 and a serial one on a pseudo-terminal."""

from __future__ import annotations

import json

import pytest

from cli_runs import in_process
from escpos_bytes import decode
from receipt_printers import NONE, closed_port


def test_a_network_printer_is_checked_with_a_test_line_then_saved(capsys, tmp_path, tcp_printer):
    till = tmp_path / "till"
    status, out, _ = in_process(capsys, till, "devices", "setup-printer", "--network", tcp_printer.address, "--json")
    assert status == 0 and json.loads(out) == {
        "kind": "network", "address": tcp_printer.address, "baud": None, "width": 42, "codepage": "CP437", "checked": True,
    }
    printed = decode(tcp_printer.wait_for_jobs(1)[0])
    assert printed.lines[:3] == ["pos-loyalty receipt printer", "42 characters a line:", ("1234567890" * 5)[:42]]
    assert printed.cuts == [0]

    status, out, _ = in_process(capsys, till, "devices", "printer-test")
    assert status == 0 and "A test receipt was printed on the receipt printer at" in out
    receipt = decode(tcp_printer.wait_for_jobs(2)[1])
    assert "TEST RECEIPT" in receipt.bold[0] and "PHARMACY" in receipt.lines[1]
    assert any(line.startswith("Points balance now") for line in receipt.lines)
    assert "  incl. Test promotion (double points)" in receipt.lines
    assert receipt.barcodes[0][0] == "EAN13" and receipt.cuts == [0]


def test_a_serial_printer_on_58_mm_paper(capsys, tmp_path, pty_printer):
    till = tmp_path / "till"
    status, out, _ = in_process(capsys, till, "devices", "setup-printer", "--serial", str(pty_printer.link),
                                "--baud", "19200", "--width", "32")
    assert status == 0 and f"on {pty_printer.link} at 19200 baud, 32 characters a line" in out
    assert decode(pty_printer.wait_for(b"\x1dV")).lines[2] == ("1234567890" * 4)[:32]
    status, out, _ = in_process(capsys, till, "devices", "printer-test", "--json")
    assert status == 0 and json.loads(out)["width"] == 32


@pytest.mark.parametrize(
    ("args", "said"),
    [
        ((), "one of the arguments --serial --network --usb --none is required"),
        (("--network", "10.0.0.5", "--usb", "0416:5011"), "not allowed with argument"),
        (("--network", "10.0.0.5:http"), "port must be a number from 1 to 65535"),
        (("--network", "10.0.0.5:70000"), "port must be a number from 1 to 65535"),
        (("--network", "a printer"), "is not a printer's network address"),
        (("--usb", "0416-5011"), "is not a USB printer's ids"),
        (("--serial", "/dev/ttyUSB0", "--width", "40"), "32 (58 mm paper), 42 or 48 (80 mm)"),
        (("--serial", "/dev/ttyUSB0", "--baud", "fast"), "baud rate must be a whole number"),
        (("--network", "10.0.0.5", "--baud", "9600"), "--baud is for a serial printer"),
        (("--usb", "0416:5011", "--codepage", "KLINGON"), "is not a code table ESC/POS printers know"),
    ],
)
def test_bad_input_is_said_and_exits_2_saving_nothing(capsys, tmp_path, args, said):
    till = tmp_path / "till"
    status, _, err = in_process(capsys, till, "devices", "setup-printer", *args)  # refused before any is reached
    assert status == 2 and said in err, err
    status, _, err = in_process(capsys, till, "devices", "printer-test")
    assert status == 2 and "This till has no receipt printer set up" in err


def test_a_printer_not_reachable_exits_1_and_saves_nothing_unless_told(capsys, tmp_path, tcp_printer):
    till = tmp_path / "till"
    nobody = f"127.0.0.1:{closed_port()}"
    status, _, err = in_process(capsys, till, "devices", "setup-printer", "--network", nobody)
    assert status == 1 and "is not reachable (connection refused)" in err and "--no-check" in err
    status, _, err = in_process(capsys, till, "devices", "printer-test")
    assert status == 2  # nothing was saved

    status, out, _ = in_process(capsys, till, "devices", "setup-printer", "--network", nobody, "--no-check", "--json")
    assert status == 0 and json.loads(out)["checked"] is False
    status, _, err = in_process(capsys, till, "devices", "printer-test")
    assert status == 1 and "is not reachable" in err and "Traceback" not in err

    tcp_printer.paper = NONE
    status, _, err = in_process(capsys, till, "devices", "setup-printer", "--network", tcp_printer.address)
    assert status == 1 and "is out of paper: put in a new roll. Nothing was saved" in err
    status, _, err = in_process(capsys, till, "devices", "printer-test")
    assert status == 1 and "is not reachable" in err  # still the saved one, not the printer out of paper

    status, out, _ = in_process(capsys, till, "devices", "setup-printer", "--none")
    assert status == 0 and "no receipt printer now" in out
