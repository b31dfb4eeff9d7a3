"""The serial scanner reader against a pseudo-terminal standing in for the scanner.

The scanner end writes a byte at a time at 9,600 baud's pace, through a stable path
(as udev's /dev/serial/by-id links are) that disappears when the scanner is unplugged
and comes back when it is plugged in again, on a new pty, as a real USB adapter does.
"""

from __future__ import annotations

import logging
import queue
import time

import pytest

from devices.scan_parser import FramingSettings
from devices.serial_scanner import CONNECTED, UNPLUGGED, PortSettings, SerialScanner
from devices.settings import port_settings
from pos_loyalty import cardnumber
from scanner_pty import PtyScanner

CARD_A = cardnumber.from_block("29", 1, 1)
CARD_B = cardnumber.from_block("28", 7, 42)


class Reader:
    """A SerialScanner with what it reported, collected from its thread."""

    def __init__(self, settings: PortSettings) -> None:
        self.codes: queue.Queue[str] = queue.Queue()
        self.statuses: list[str] = []
        self.scanner = SerialScanner(settings, self.codes.put, self.statuses.append)

    def wait_status(self, status: str, timeout: float = 5) -> None:
        deadline = time.monotonic() + timeout
        while self.scanner.status != status:
            assert time.monotonic() < deadline, f"status stayed {self.scanner.status!r}, not {status!r}"
            time.sleep(0.01)

    def next_code(self, timeout: float = 3) -> str:
        return self.codes.get(timeout=timeout)

    def no_more_codes(self) -> None:
        time.sleep(0.4)  # longer than the reader's quiet-line timeout
        assert self.codes.empty(), f"unexpected code {self.codes.get()!r}"


@pytest.fixture
def reader():
    started: list[Reader] = []

    def start(settings: PortSettings) -> Reader:
        started.append(Reader(settings))
        started[-1].scanner.start()
        return started[-1]

    yield start
    for each in started:
        each.scanner.stop()


def test_codes_sent_a_byte_at_a_time_arrive_whole_and_clean(pty_scanner, reader):
    scanning = reader(PortSettings(str(pty_scanner.link)))
    scanning.wait_status(CONNECTED)
    pty_scanner.send(f"]E0{CARD_A}\r\n".encode())
    pty_scanner.send(f"{CARD_B}\r\n".encode())
    assert [scanning.next_code(), scanning.next_code()] == [CARD_A, CARD_B]
    scanning.no_more_codes()
    assert scanning.scanner.parser.dropped == 0


def test_the_tills_settings_choose_terminator_and_prefix(pty_scanner, reader):
    chosen = port_settings({"scanner.port": str(pty_scanner.link), "scanner.terminator": "TAB", "scanner.prefix": "#"})
    scanning = reader(chosen)
    scanning.wait_status(CONNECTED)
    pty_scanner.send(f"#{CARD_A}\t".encode())
    assert scanning.next_code() == CARD_A
    pty_scanner.send(f"{CARD_B}\t".encode())  # no prefix: this scanner is not set up as the till says
    scanning.no_more_codes()


def test_garbage_and_partial_codes_are_dropped_and_the_next_scan_still_reads(pty_scanner, reader, caplog):
    scanning = reader(PortSettings(str(pty_scanner.link)))
    scanning.wait_status(CONNECTED)
    with caplog.at_level(logging.WARNING, logger="pos_loyalty.devices"):
        pty_scanner.send(b"\xff\xfe\x00\x80 line noise " * 20)  # a burst of junk, no terminator
        time.sleep(0.4)
        pty_scanner.send(b"\xff\xfe\xfd\r")  # not UTF-8
        pty_scanner.send(CARD_A[:6].encode())  # a scan cut short
        time.sleep(0.4)
        pty_scanner.send(f"{CARD_B}\r".encode())
        assert scanning.next_code() == CARD_B
        scanning.no_more_codes()
    assert scanning.scanner.parser.dropped >= 3
    assert "not UTF-8" in caplog.text and "unfinished code" in caplog.text


def test_an_unplugged_scanner_says_so_and_carries_on_when_plugged_back(pty_scanner, reader, caplog):
    scanning = reader(PortSettings(str(pty_scanner.link)))
    scanning.wait_status(CONNECTED)
    pty_scanner.send(f"{CARD_A}\r".encode())
    assert scanning.next_code() == CARD_A

    with caplog.at_level(logging.WARNING, logger="pos_loyalty.devices"):
        pty_scanner.send(CARD_B[:5].encode())  # pulled out mid-scan
        pty_scanner.unplug()
        scanning.wait_status(UNPLUGGED)
        time.sleep(1.5)  # it tries the missing port again meanwhile, quietly
    assert scanning.statuses == [CONNECTED, UNPLUGGED]

    pty_scanner.plug()
    scanning.wait_status(CONNECTED)
    pty_scanner.send(f"{CARD_B}\r".encode())
    assert scanning.next_code() == CARD_B
    scanning.no_more_codes()
    assert scanning.statuses == [CONNECTED, UNPLUGGED, CONNECTED]
    assert "stopped answering" in caplog.text


def test_a_scanner_not_there_at_start_is_reported_then_found(tmp_path, reader):
    device = PtyScanner(tmp_path / "scanner")
    scanning = reader(PortSettings(str(device.link)))
    scanning.wait_status(f"cannot open {device.link} (No such file or directory)")
    device.plug()
    try:
        scanning.wait_status(CONNECTED)
        device.send(f"{CARD_A}\r".encode())
        assert scanning.next_code() == CARD_A
    finally:
        device.unplug()


def test_baud_and_parity_reach_the_port(reader):
    """pyserial's loop:// port echoes what is written to it, with the settings it was opened with."""
    scanning = reader(PortSettings("loop://", baud=19200, parity="even", framing=FramingSettings.named("CRLF")))
    scanning.wait_status(CONNECTED)
    port = scanning.scanner.port
    assert (port.baudrate, port.parity) == (19200, "E")
    port.write(b"]C0CARD001\r\n")
    assert scanning.next_code() == "CARD001"


def test_stopping_ends_the_reader_thread(pty_scanner, reader):
    scanning = reader(PortSettings(str(pty_scanner.link)))
    scanning.wait_status(CONNECTED)
    scanning.scanner.stop()
    assert not scanning.scanner._thread.is_alive()


@pytest.mark.parametrize(
    "settings, problem",
    [
        ({"scanner.port": "/dev/ttyUSB0", "scanner.baud": "fast"}, "scanner.baud must be a whole number"),
        ({"scanner.port": "/dev/ttyUSB0", "scanner.parity": "mark"}, "parity must be one of none, even, odd"),
        ({"scanner.port": "/dev/ttyUSB0", "scanner.terminator": "ETX"}, "unknown scanner terminator"),
        ({"scanner.port": "/dev/ttyUSB0", "scanner.baud": "0"}, "baud must be a positive number"),
    ],
)
def test_wrong_settings_are_named(settings, problem):
    with pytest.raises(ValueError, match=problem):
        port_settings(settings)


def test_no_port_set_means_no_serial_scanner():
    assert port_settings({}) is None
    assert port_settings({}, port="/dev/ttyS0", baud=115200) == PortSettings("/dev/ttyS0", 115200)
