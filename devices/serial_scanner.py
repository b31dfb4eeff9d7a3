"""A serial barcode scanner, read on a background thread (pyserial; no Qt here).

Codes go to `on_code` and the port's state (CONNECTED, UNPLUGGED, "cannot open ...") to
`on_status`, both called on the reader's thread (the Qt adapter in `qt_scanner.py`
turns them into signals). When the scanner is unplugged the reader says so and tries
the port again every second until it is back, then carries on by itself.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import serial

from devices.scan_parser import FramingSettings, ScanParser

log = logging.getLogger("pos_loyalty.devices")

PARITIES = {"none": serial.PARITY_NONE, "even": serial.PARITY_EVEN, "odd": serial.PARITY_ODD}
RETRY_SECONDS = 1.0
#: How long the line must be quiet before an unterminated code counts as noise. A
#: scanner sends a whole code in one burst: 14 bytes take 117 ms even at 1,200 baud.
READ_TIMEOUT = 0.25
CONNECTED = "connected"
UNPLUGGED = "unplugged, waiting"  # and it tries the port every second


@dataclass(frozen=True)
class PortSettings:
    port: str
    baud: int = 9600
    parity: str = "none"
    framing: FramingSettings = field(default_factory=FramingSettings)

    def __post_init__(self) -> None:
        if self.parity not in PARITIES:
            raise ValueError(f"parity must be one of {', '.join(PARITIES)}, not {self.parity!r}")
        if self.baud <= 0:
            raise ValueError(f"baud must be a positive number, not {self.baud}")


class SerialScanner:
    def __init__(
        self,
        settings: PortSettings,
        on_code: Callable[[str], None],
        on_status: Callable[[str], None] = lambda _status: None,
    ) -> None:
        self.settings = settings
        self.on_code, self.on_status = on_code, on_status
        self.parser = ScanParser(settings.framing)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"scanner {settings.port}", daemon=True)
        self.status = "starting"
        self.port: serial.Serial | None = None  # the open port, while the scanner is plugged in

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _say(self, status: str) -> None:
        if status != self.status:
            self.status = status
            log.info("scanner %s: %s", self.settings.port, status)
            self.on_status(status)

    def _open(self) -> serial.Serial | None:
        try:
            return serial.serial_for_url(
                self.settings.port,
                baudrate=self.settings.baud,
                parity=PARITIES[self.settings.parity],
                timeout=READ_TIMEOUT,
            )
        except (serial.SerialException, OSError) as error:
            if self.status != UNPLUGGED:  # once unplugged, the reason it stays away is no news
                # pyserial's SerialException is an OSError whose text repeats the path
                reason = os.strerror(error.errno) if isinstance(error.errno, int) else str(error)
                self._say(f"cannot open {self.settings.port} ({reason})")
            return None

    def _run(self) -> None:
        while not self._stop.is_set():
            port = self._open()
            if port is None:
                self._stop.wait(RETRY_SECONDS)
                continue
            self.port = port  # before CONNECTED is said: whoever hears it may use the port
            self._say(CONNECTED)
            try:
                self._read(port)
            except (serial.SerialException, OSError) as error:
                log.warning("scanner %s stopped answering: %s", self.settings.port, error)
                self.parser.reset()
                self._say(UNPLUGGED)
            finally:
                self.port = None
                port.close()

    def _read(self, port: serial.Serial) -> None:
        while not self._stop.is_set():
            # whatever has come, or the first byte to come: a read returns empty only
            # after READ_TIMEOUT of silence on the line
            data = port.read(max(1, port.in_waiting))
            if not data:
                self.parser.idle()
                continue
            for code in self.parser.feed(data):
                self.on_code(code)
