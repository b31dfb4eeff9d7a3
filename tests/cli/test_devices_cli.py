"""`pos-loyalty devices ...` and the printable card, as a technician setting up a till uses them."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import time
from pathlib import Path


from cli.main import main
from cli_runs import SCRIPT, in_process
from pos_loyalty import cardnumber

CARD = cardnumber.from_block("29", 1, 1)


def test_the_scanner_is_set_up_checked_and_forgotten(capsys, tmp_path):
    till = tmp_path / "till"
    status, out, _ = in_process(capsys, till, "devices", "setup", "--port", "/dev/ttyUSB0", "--baud", "19200",
                                "--terminator", "crlf", "--prefix", "#", "--json")
    assert status == 0 and json.loads(out) == {
        "port": "/dev/ttyUSB0", "baud": 19200, "parity": "none", "terminator": "CRLF", "prefix": "#", "suffix": "",
    }
    status, out, _ = in_process(capsys, till, "devices", "list", "--json")
    assert status == 0 and json.loads(out)["tillScanner"] == "/dev/ttyUSB0"

    status, _, err = in_process(capsys, till, "devices", "setup", "--port", "/dev/ttyUSB1", "--baud", "fast")
    assert status == 2 and "scanner.baud must be a whole number" in err
    status, out, _ = in_process(capsys, till, "devices", "list")
    assert "reads the scanner on /dev/ttyUSB0 at 19200 baud" in out  # the bad setup changed nothing

    status, _, _ = in_process(capsys, till, "devices", "setup", "--none")
    status, out, _ = in_process(capsys, till, "devices", "list", "--json")
    assert status == 0 and json.loads(out)["tillScanner"] is None


def test_scan_test_without_a_port_says_how_to_give_one(capsys, tmp_path):
    status, _, err = in_process(capsys, tmp_path / "till", "devices", "scan-test")
    assert status == 2 and "--port" in err


def read_line(stream, timeout: float = 5) -> str:
    """The next line of an unbuffered pipe (a buffered one may hold a line select cannot see)."""
    ready, _, _ = select.select([stream], [], [], timeout)
    assert ready, "no line from scan-test"
    return stream.readline().decode()  # raw: reads up to the newline and no further


def test_scan_test_echoes_each_accepted_code_on_its_own_line(tmp_path, pty_scanner):
    till = tmp_path / "till"
    assert main(["--data-dir", str(till), "devices", "setup", "--port", str(pty_scanner.link), "--baud", "9600"]) == 0
    process = subprocess.Popen(
        [str(SCRIPT), "--data-dir", str(till), "devices", "scan-test"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0,
    )
    try:
        assert "scan a card" in read_line(process.stderr)  # the port came from the till's settings
        pty_scanner.send(f"]E0{CARD}\r\n".encode())
        assert read_line(process.stdout) == f"{CARD}\n"
        pty_scanner.send(b"\xff\xfe junk\r")
        assert "scanner noise dropped: not UTF-8" in read_line(process.stderr)
        pty_scanner.send(b"4006381333931\r")  # not a card, but a code: setup shows every code the scanner reads
        assert read_line(process.stdout) == "4006381333931\n"
        pty_scanner.unplug()
        said = [read_line(process.stderr), read_line(process.stderr)]  # why, in the log; and the state
        assert "stopped answering" in said[0] and "unplugged, waiting" in said[1]
        time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        out, err = (text.decode() for text in process.communicate(timeout=10))
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0 and out == "2 codes read.\n"
    assert "Traceback" not in err


def test_the_printable_card_is_a_pdf(capsys, tmp_path):
    till = tmp_path / "till"
    status, out, _ = in_process(capsys, till, "card", "issue", "--name", "Asha Rao", "--phone", "9000000701", "--json")
    number = json.loads(out)["cardNumber"]
    target = tmp_path / "cards" / "asha.pdf"
    status, out, _ = in_process(capsys, till, "card", "barcode", number, "--out", str(target), "--json")
    assert status == 0 and json.loads(out) == {"cardNumber": number, "symbology": "EAN-13", "file": str(target)}
    assert target.read_bytes().startswith(b"%PDF")
    status, _, err = in_process(capsys, till, "card", "barcode", "2900001000018", "--out", str(tmp_path / "x.pdf"))
    assert status == 2 and not (tmp_path / "x.pdf").exists()


def test_devices_list_runs_in_its_own_process(tmp_path):
    done = subprocess.run([str(SCRIPT), "--data-dir", str(tmp_path / "till"), "devices", "list"],
                          capture_output=True, text=True, timeout=60, env={**os.environ})
    assert done.returncode == 0 and "no serial scanner set up" in done.stdout
    assert Path(tmp_path / "till").exists()
