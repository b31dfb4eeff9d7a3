"""The receipt after a bill is finalized: shown at once, printed on a printer, or saved as PDF.

A slip dialog opens at the size of its slip, the whole of it to "Thank you" in view, up to the
height its screen has (on a 1366x768 till a long bill scrolls, and Close is still on the screen).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import shiboken6

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication, QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrinterInfo
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from pos_loyalty.receipt_lines import Slip, bill_said, receipt_slip
from ui import style
from ui.receipt_printer import ReceiptPrinter
from ui.receipt_text import receipt_text
from ui.style import keyed_button


def monospace() -> QFont:
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setPointSize(12)
    return font


#: Room kept for the window's title bar, which the window manager adds above the dialog.
TITLE_BAR_PX = 40


def fit_to_text(dialog: QDialog, view: QPlainTextEdit) -> bool:
    """Size the dialog so all of `view`'s text is in sight (its font as the style sheet made
    it, each line as laid out), within its screen's available height and width; True if all
    of it is (else the view scrolls)."""
    dialog.ensurePolished()  # the application's style sheet sets the view's type size
    document = view.document()
    lines_high = sum(view.blockBoundingRect(document.findBlockByNumber(n)).height() for n in range(document.blockCount()))
    widest = max((view.fontMetrics().horizontalAdvance(line) for line in view.toPlainText().splitlines()), default=0)
    chrome = 2 * (view.frameWidth() + document.documentMargin()) + 4  # the frame, the margin, a caret's pixel
    view_width = widest + chrome + view.verticalScrollBar().sizeHint().width()  # room for it if it must scroll
    view_height = lines_high + chrome
    others = dialog.sizeHint().height() - view.sizeHint().height()  # the note and the buttons, with spacing
    margins = dialog.layout().contentsMargins()
    screen = (dialog.screen() or QGuiApplication.primaryScreen()).availableGeometry()
    width = min(math.ceil(view_width) + margins.left() + margins.right(), screen.width())
    wanted = math.ceil(view_height) + others
    height = min(wanted, screen.height() - TITLE_BAR_PX)
    dialog.resize(max(width, dialog.minimumSizeHint().width()), height)
    fits = height == wanted
    view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff if fits else Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    return fits


def save_pdf(text: str, path: Path) -> Path:
    """The text as a one-page PDF (what a till without a printer hands the customer)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    _document(text).print_(printer)
    return path


def _document(text: str) -> QTextDocument:
    document = QTextDocument()
    document.setDefaultFont(monospace())
    document.setPlainText(text)
    return document


class SlipDialog(QDialog):
    """A slip for the customer (a receipt, a return slip): shown, printed, or saved as PDF.

    With a receipt printer set up (`printer`), Print sends `slip(width)` to it; if it
    cannot print, the slip is saved as a PDF and the note says why."""

    def __init__(
        self,
        title: str,
        text: str,
        path: Path,
        parent: QWidget | None = None,
        *,
        printer: ReceiptPrinter | None = None,
        slip: Callable[[int], Slip] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.text = text
        self.path = path
        self.printer = printer if printer is not None and printer.printer is not None and slip is not None else None
        self.slip = slip
        self.view = view = QPlainTextEdit(self.text, readOnly=True)
        view.setFont(monospace())
        view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)  # a slip's lines are laid out already
        view.setMinimumSize(320, 160)
        self.note = QLabel(objectName="hint")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.print_button = keyed_button(buttons, "Print", "Ctrl+P", self.print_receipt)
        buttons.rejected.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(view)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        buttons.button(QDialogButtonBox.StandardButton.Close).setDefault(True)
        self.fits = fit_to_text(self, view)

    def print_receipt(self) -> None:
        if self.printer is not None and self.slip is not None:
            self._print_on_receipt_printer(self.printer, self.slip(self.printer.width))
            return
        if not QPrinterInfo.availablePrinters():
            saved = save_pdf(self.text, self.path)
            self.note.setText(f"No printer here: saved as {saved}")
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        if QPrintDialog(printer, self).exec() == QDialog.DialogCode.Accepted:
            _document(self.text).print_(printer)
            self.note.setText("Sent to the printer.")

    def _print_on_receipt_printer(self, printer: ReceiptPrinter, slip: Slip) -> None:
        """Off the UI thread; Print waits meanwhile (one press, one slip)."""
        self.print_button.setEnabled(False)
        self.note.setText("Printing on the receipt printer...")

        text, path = self.text, self.path  # the slip is saved even if this dialog was closed meanwhile

        def printed() -> None:
            if shiboken6.isValid(self):
                self.print_button.setEnabled(True)
                self.note.setText("Printed on the receipt printer.")

        def failed(error: Exception) -> None:
            saved = save_pdf(text, path)  # the slip is not lost
            if shiboken6.isValid(self):
                self.print_button.setEnabled(True)
                why = getattr(error, "message", "The receipt printer could not print it.")
                self.note.setText(f"{why} Saved as {saved} instead.")

        printer.print_slip(slip, printed, failed)


class ReceiptDialog(SlipDialog):
    def __init__(
        self,
        result: dict[str, Any],
        customer: str | None,
        pharmacy: str,
        currency: str,
        receipts: Path,
        parent: QWidget | None = None,
        *,
        promotions: dict[int, str] | None = None,
        printer: ReceiptPrinter | None = None,
        marked: str = "",
    ) -> None:
        """`marked`: "COPY" (or "COPY: BILL REVERSED") on a receipt shown again later."""
        name = result.get("billNumber") or result["billId"]
        super().__init__(
            f"Receipt: bill {bill_said(result)}" + (f" ({marked.lower()})" if marked else ""),
            receipt_text(result, customer, pharmacy, currency, promotions, marked=marked),
            receipts / (f"{name}-copy.pdf" if marked else f"{name}.pdf"),
            parent,
            printer=printer,
            slip=lambda width: receipt_slip(
                result, customer, pharmacy, width=width, currency=currency, promotions=promotions,
                formats=style.local(), marked=marked,
            ),
        )
