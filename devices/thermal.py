"""Receipts on a thermal (ESC/POS) printer, with python-escpos: serial, network or USB.

A job is composed whole in memory first (python-escpos's `Dummy` printer: the reset, the
code table, the lines with bold where asked, the card's barcode, the cut), then the
printer is opened, asked about its paper, sent the job in one write, and closed. So a
printer that is unplugged, on the wrong port or out of paper refuses before anything is
sent, with `PrinterUnavailable` and a sentence; the caller still has the job and saves
it as a PDF instead (the counter app says so). The receipt's text is
`pos_loyalty.receipt_lines`; any list of lines prints (the day report's, a test page).
"""

from __future__ import annotations

import contextlib
import errno
import io
import logging
import os
import re
import textwrap
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from devices.barcodes import symbology_for
from devices.printer_settings import NETWORK, SERIAL, USB, PrinterSettings
from pos_loyalty.receipt_lines import Slip

log = logging.getLogger("pos_loyalty.devices")

READY, PAPER_LOW = "ready", "paper running low"
STATUS_SECONDS = 0.5  # how long a printer has to answer "how is your paper?" (they answer in ms)
NETWORK_SECONDS = 5.0  # connecting and sending to a network printer
USB_MILLISECONDS = 5000
#: What thermal printers' code tables lack, said with what they have (same width where it matters).
PLAIN = str.maketrans({"₹": "Rs", "–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "...",
                       "×": "x", "\u00a0": " "})


class PrinterUnavailable(Exception):
    """The receipt printer cannot print now; `message` says why, for the cashier."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PaperOut(PrinterUnavailable):
    """The printer answered: its paper roll is empty."""


def _escpos() -> Any:
    """python-escpos, imported on first use. It keeps a cache of its printer database in
    a folder of its own making in /tmp on every import unless told where: here, the
    user's cache folder (one folder, not one per run)."""
    if "ESCPOS_CAPABILITIES_PICKLE_DIR" not in os.environ:
        from platformdirs import user_cache_dir

        folder = os.path.join(user_cache_dir("pos-loyalty"), "escpos")
        os.makedirs(folder, exist_ok=True)
        os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"] = folder
    import escpos.printer

    return escpos


@lru_cache(maxsize=1)
def code_pages() -> frozenset[str]:
    """The code tables ESC/POS printers know (python-escpos's default profile)."""
    return frozenset(name.upper() for name in _escpos().printer.Dummy().profile.get_code_pages())


def printable(line: str, width: int) -> list[str]:
    """A line as the printer can print it: characters its code tables lack said plainly
    ("₹" as "Rs"; a row keeps its width by losing padding), wrapped at `width`."""
    text = line.translate(PLAIN).rstrip()
    if len(text) > width:
        gaps = [(m.end() - m.start(), m.start()) for m in re.finditer(r" {2,}", text)]
        if gaps:  # a row: take the extra out of its widest gap, keeping one space
            longest, at = max(gaps)
            cut = min(len(text) - width, longest - 1)
            text = text[:at] + text[at + cut:]
    if len(text) <= width:
        return [text]
    return textwrap.wrap(text, width, subsequent_indent="  ") or [""]


def compose(lines: Sequence[str], settings: PrinterSettings, *, bold: Iterable[int] = (), barcode: str | None = None) -> bytes:
    """The whole job as ESC/POS bytes: reset, code table, the lines (bold where asked),
    the card's barcode (EAN-13 or Code128 as `devices/barcodes.py` decides), feed and cut."""
    printer = _escpos().printer.Dummy()
    printer.hw("INIT")
    printer.charcode(settings.codepage)
    strong = set(bold)
    is_bold = False
    for index, line in enumerate(lines):
        if (index in strong) != is_bold:
            is_bold = index in strong
            printer.set(bold=is_bold)
        for piece in printable(line, settings.width):
            printer.text(piece + "\n")
    if is_bold:
        printer.set(bold=False)
    if barcode:
        printer.ln()
        with contextlib.redirect_stdout(io.StringIO()):  # python-escpos prints which renderer it used
            if symbology_for(barcode) == "EAN-13":
                printer.barcode(barcode, "EAN13", height=64, width=3, pos="BELOW", function_type="A")
            else:
                printer.barcode("{B" + barcode, "CODE128", height=64, width=2, pos="BELOW", function_type="B")
        printer.set(align="left")
    printer.cut()
    return printer.output


class ThermalPrinter:
    """The till's receipt printer: `print_slip(slip)`, `print_lines(lines)`, `check()`."""

    def __init__(self, settings: PrinterSettings) -> None:
        self.settings = settings

    @property
    def width(self) -> int:
        return self.settings.width

    def print_slip(self, slip: Slip) -> None:
        self.print_lines(slip.lines, bold=slip.bold, barcode=slip.barcode)

    def print_lines(self, lines: Sequence[str], *, bold: Iterable[int] = (), barcode: str | None = None) -> None:
        """Print and cut, or PrinterUnavailable (nothing sent) when the printer cannot."""
        job = compose(lines, self.settings, bold=bold, barcode=barcode)
        printer = self._open()
        try:
            self._paper(printer)
            try:
                printer._raw(job)  # the whole job in one write (python-escpos's raw send)
            except Exception as error:
                raise self._failed("stopped answering while printing (the slip may be cut short)", error) from None
        finally:
            _close(printer)
        log.info("printed %d lines on %s", len(lines), self.settings.describe())

    def check(self) -> str:
        """READY or PAPER_LOW, or PrinterUnavailable/PaperOut: opened, asked, closed."""
        printer = self._open()
        try:
            return self._paper(printer)
        finally:
            _close(printer)

    # --- the device ------------------------------------------------------------------------

    def _open(self) -> Any:
        escpos = _escpos()
        chosen = self.settings
        try:
            if chosen.kind == SERIAL:
                printer = escpos.printer.Serial(devfile=chosen.address, baudrate=chosen.baud, timeout=STATUS_SECONDS)
            elif chosen.kind == NETWORK:
                host, port = chosen.host_port
                printer = escpos.printer.Network(host, port=port, timeout=NETWORK_SECONDS)
            elif chosen.kind == USB:
                vendor, product = chosen.usb_ids
                printer = escpos.printer.Usb(vendor, product, timeout=USB_MILLISECONDS)
            else:  # printer_settings refuses any other kind
                raise PrinterUnavailable(f"{chosen.kind!r} is not a kind of receipt printer")
            printer.open()
        except PrinterUnavailable:
            raise
        except Exception as error:  # DeviceNotFoundError, pyusb's NoBackendError, a missing library
            raise self._unreachable(error) from None
        if chosen.kind == SERIAL:
            printer.device.write_timeout = NETWORK_SECONDS  # a printer holding the line must not hang the till
        return printer

    def _paper(self, printer: Any) -> str:
        """Ask the printer about its paper (DLE EOT 4); a printer that does not answer
        within STATUS_SECONDS is taken to have paper (many cheap ones never answer)."""
        if self.settings.kind == NETWORK:
            printer.device.settimeout(STATUS_SECONDS)
        try:
            state = printer.paper_status()  # 2 plenty, 1 near the end, 0 none (no answer: 2)
        except TimeoutError:
            state = 2
        except Exception as error:
            if type(error).__name__ == "USBTimeoutError":
                state = 2
            else:
                raise self._failed("does not answer", error) from None
        finally:
            if self.settings.kind == NETWORK and printer.device is not None:
                printer.device.settimeout(NETWORK_SECONDS)
        if state == 0:
            raise PaperOut(f"{_capital(self.settings.describe())} is out of paper: put in a new roll.")
        return PAPER_LOW if state == 1 else READY

    def _unreachable(self, error: Exception) -> PrinterUnavailable:
        chosen, reason = self.settings, _reason(error)
        if chosen.kind == SERIAL:
            said = f"The receipt printer's port {chosen.address} cannot be opened ({reason}): is the printer plugged in, and is that its port?"
        elif chosen.kind == NETWORK:
            said = f"The receipt printer at {chosen.address} is not reachable ({reason}): is it switched on and on the network?"
        elif type(error).__name__ == "NoBackendError":
            said = "USB receipt printers need the libusb library (Debian package libusb-1.0-0), which is not installed."
        elif any(getattr(cause, "errno", None) == errno.EACCES for cause in _causes(error)):
            said = (f"The USB receipt printer {chosen.address} is plugged in, but this till's user may not use it: "
                    "give it access with a udev rule (docs/decisions.md, Receipt printers).")
        else:
            said = f"The USB receipt printer {chosen.address} is not found: is it switched on and plugged in?"
        log.warning("%s", said)
        return PrinterUnavailable(said)

    def _failed(self, what: str, error: Exception) -> PrinterUnavailable:
        said = f"{_capital(self.settings.describe())} {what} ({_reason(error)})."
        log.warning("%s", said)
        return PrinterUnavailable(said)


def _close(printer: Any) -> None:
    try:
        printer.close()
    except Exception:  # closing a device that went away: nothing left to do
        log.debug("closing the printer failed", exc_info=True)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _causes(error: BaseException) -> list[BaseException]:
    chain = [error]
    while (chain[-1].__cause__ or chain[-1].__context__) is not None and len(chain) < 10:
        chain.append(chain[-1].__cause__ or chain[-1].__context__)  # type: ignore[arg-type]
    return chain


def _reason(error: BaseException) -> str:
    """Why, in a few words: the operating system's reason ("connection refused") where
    there is one, else the last line of what the library said."""
    for cause in reversed(_causes(error)):
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror.lower()
    text = str(getattr(error, "msg", "") or error).strip().splitlines()
    return (text[-1] if text else type(error).__name__).strip(" .:").lower()
