"""The till's receipt printer in the counter app: its state for the status bar, and slips
printed on it off the UI thread (`ui/background.py`).

Nothing here waits on the printer in the UI thread: a check (at start, every minute, and
after each slip) and every print run on the thread pool; the answer comes back as the
`state` signal ("Printer: ready") or a slip dialog's callback. When no receipt printer is
set up, `printer` is None: slips go to CUPS or a PDF as before and the state says nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from devices.printer_settings import PrinterSettings
from devices.thermal import PAPER_LOW, PaperOut, PrinterUnavailable, ThermalPrinter
from pos_loyalty.receipt_lines import Slip
from ui import background

log = logging.getLogger("pos_loyalty.ui")

READY = "Printer: ready"
LOW = "Printer: paper running low"
UNREACHABLE = "Printer: not reachable (receipts go to PDF)"
NO_PAPER = "Printer: out of paper (receipts go to PDF)"
CHECK_EVERY_MS = 60_000


class ReceiptPrinter(QObject):
    """`state(text, tooltip)` after every check; `print_slip(slip, done, failed)`."""

    state = Signal(str, str)

    def __init__(self, settings: PrinterSettings | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.printer = ThermalPrinter(settings) if settings is not None else None
        self.text = ""
        self._checking = False
        self._timer = QTimer(self, interval=CHECK_EVERY_MS)
        self._timer.timeout.connect(self.check)

    @property
    def width(self) -> int:
        return self.printer.width if self.printer is not None else 42

    def start(self) -> None:
        """Check now and every minute (nothing to do without a receipt printer)."""
        if self.printer is not None:
            self.check()
            self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def check(self) -> None:
        if self.printer is None or self._checking:
            return
        self._checking = True
        background.run(self.printer.check, self._checked, self._check_failed, owner=self)

    def print_slip(self, slip: Slip, done: Callable[[], None], failed: Callable[[Exception], None], *,
                   owner: QObject | None = None) -> None:
        """Print off the UI thread; then `done()` or `failed(error)` (a PrinterUnavailable
        says why in a sentence) on it, and the state follows what happened."""
        assert self.printer is not None, "print_slip needs a receipt printer set up"
        printer = self.printer

        def printed(_result: object) -> None:
            self._say(READY, f"Receipts print on {printer.settings.describe()}.")
            done()

        def refused(error: Exception) -> None:
            if isinstance(error, PrinterUnavailable):
                self._tell(error)
            else:  # a bug: its traceback in the log; the slip goes to PDF all the same
                log.error("printing on %s failed", printer.settings.describe(), exc_info=error)
            failed(error)

        background.run(lambda: printer.print_slip(slip), printed, refused, owner=owner)

    # --- the answers -----------------------------------------------------------------------

    def _checked(self, answer: str) -> None:
        self._checking = False
        described = self.printer.settings.describe() if self.printer else ""
        if answer == PAPER_LOW:
            self._say(LOW, f"The paper of {described} is running low: have a new roll ready.")
        else:
            self._say(READY, f"Receipts print on {described}.")

    def _check_failed(self, error: Exception) -> None:
        self._checking = False
        self._tell(error)

    def _tell(self, error: Exception) -> None:
        if isinstance(error, PaperOut):
            self._say(NO_PAPER, error.message)
        elif isinstance(error, PrinterUnavailable):
            self._say(UNREACHABLE, f"{error.message} Until it answers, Print saves each slip as a PDF.")
        else:
            log.error("checking the receipt printer failed", exc_info=error)
            self._say(UNREACHABLE, "The receipt printer could not be checked; Print saves each slip as a PDF.")

    def _say(self, text: str, tooltip: str) -> None:
        self.text = text
        self.state.emit(text, tooltip)
