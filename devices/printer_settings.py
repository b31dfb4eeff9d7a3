"""The till's receipt printer as its settings say (`till_settings` keys `printer.*`).

A thermal (ESC/POS) printer on a serial port, on the network (raw TCP, port 9100 by
default) or on USB (vendor:product ids), printing `width` characters a line: 32 on a
58 mm roll, 42 or 48 on 80 mm. Parsing and checking only: `devices/thermal.py` prints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KIND, ADDRESS, BAUD = "printer.kind", "printer.address", "printer.baud"
WIDTH, CODEPAGE = "printer.width", "printer.codepage"
KEYS = (KIND, ADDRESS, BAUD, WIDTH, CODEPAGE)

SERIAL, NETWORK, USB = "serial", "network", "usb"
WIDTHS = (32, 42, 48)
DEFAULT_WIDTH = 42  # fits any 80 mm printer (48 is font A on 576 dots; 42 on 512)
DEFAULT_PORT = 9100  # the raw-print port of network receipt printers
DEFAULT_CODEPAGE = "CP437"  # the code table every ESC/POS printer starts in


class PrinterSettingsError(ValueError):
    """A setting that is not a printer's (the message says which and why)."""


@dataclass(frozen=True)
class PrinterSettings:
    kind: str  # serial | network | usb
    address: str  # a port path, host:port, or vendor:product in hex
    baud: int = 9600
    width: int = DEFAULT_WIDTH
    codepage: str = DEFAULT_CODEPAGE

    @property
    def host_port(self) -> tuple[str, int]:
        return _host_port(self.address)

    @property
    def usb_ids(self) -> tuple[int, int]:
        vendor, product = self.address.split(":")
        return int(vendor, 16), int(product, 16)

    def describe(self) -> str:
        """"the receipt printer on /dev/ttyUSB0 at 9600 baud" (and so on): for sentences."""
        if self.kind == SERIAL:
            return f"the receipt printer on {self.address} at {self.baud} baud"
        if self.kind == NETWORK:
            return f"the receipt printer at {self.address}"
        return f"the USB receipt printer {self.address}"

    def to_settings(self) -> dict[str, str]:
        chosen = {KIND: self.kind, ADDRESS: self.address, WIDTH: str(self.width), CODEPAGE: self.codepage}
        if self.kind == SERIAL:
            chosen[BAUD] = str(self.baud)
        return chosen

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "address": self.address, "baud": self.baud if self.kind == SERIAL else None,
                "width": self.width, "codepage": self.codepage}


def chosen(kind: str, address: str, *, baud: object = None, width: object = None, codepage: str | None = None) -> PrinterSettings:
    """A printer as a person gave it (`--network 192.168.1.50`): checked, made canonical
    (the network port added, USB ids as four hex digits); PrinterSettingsError if wrong."""
    if kind == NETWORK:
        host, port = _host_port(address)
        address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    elif kind == USB:
        address = _usb_ids(address)
    elif kind == SERIAL:
        if not address.strip():
            raise PrinterSettingsError("Give the printer's serial port, e.g. /dev/ttyUSB0 or /dev/serial/by-id/...")
    else:
        raise PrinterSettingsError(f"A receipt printer is serial, network or usb, not {kind!r}")
    return PrinterSettings(
        kind=kind,
        address=address,
        baud=_baud(baud) if kind == SERIAL else 9600,
        width=_width(width),
        codepage=_codepage(codepage),
    )


def printer_settings(settings: dict[str, str]) -> PrinterSettings | None:
    """The receipt printer set up at this till; None if there is none (receipts go to
    PDF or CUPS). PrinterSettingsError when the stored settings are wrong."""
    kind = settings.get(KIND)
    if not kind:
        return None
    return chosen(kind, settings.get(ADDRESS, ""), baud=settings.get(BAUD), width=settings.get(WIDTH),
                  codepage=settings.get(CODEPAGE))


def _host_port(address: str) -> tuple[str, int]:
    text = address.strip()
    found = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\](?::(\w+))?", text) or re.fullmatch(r"([A-Za-z0-9.-]+)(?::(\w+))?", text)
    if not found:
        raise PrinterSettingsError(
            f"{address!r} is not a printer's network address: give its IP address or name, and its port if "
            f"not {DEFAULT_PORT} (e.g. 192.168.1.50 or 192.168.1.50:9100)"
        )
    host, port = found.group(1), found.group(2)
    if port is None:
        return host, DEFAULT_PORT
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise PrinterSettingsError(f"The printer's network port must be a number from 1 to 65535, not {port!r}")
    return host, int(port)


def _usb_ids(address: str) -> str:
    found = re.fullmatch(r"(?:0x)?([0-9A-Fa-f]{1,4}):(?:0x)?([0-9A-Fa-f]{1,4})", address.strip())
    if not found:
        raise PrinterSettingsError(
            f"{address!r} is not a USB printer's ids: give VENDOR:PRODUCT in hex as lsusb shows them (e.g. 0416:5011)"
        )
    return f"{int(found.group(1), 16):04x}:{int(found.group(2), 16):04x}"


def _baud(value: object) -> int:
    if value in (None, ""):
        return 9600
    text = str(value).strip()
    if not text.isdigit() or not 300 <= int(text) <= 921600:
        raise PrinterSettingsError(f"The printer's baud rate must be a whole number such as 9600 or 19200, not {value!r}")
    return int(text)


def _width(value: object) -> int:
    if value in (None, ""):
        return DEFAULT_WIDTH
    text = str(value).strip()
    if not text.isdigit() or int(text) not in WIDTHS:
        raise PrinterSettingsError(
            f"The printer's width is 32 (58 mm paper), 42 or 48 (80 mm) characters a line, not {value!r}"
        )
    return int(text)


def _codepage(value: str | None) -> str:
    if not value:
        return DEFAULT_CODEPAGE
    from devices.thermal import code_pages

    name = value.strip().upper()
    if name not in code_pages():
        raise PrinterSettingsError(
            f"{value!r} is not a code table ESC/POS printers know: use one of {', '.join(sorted(code_pages())[:12])}, ..."
        )
    return name
