"""The end-of-day report at the counter (the manager's, Ctrl+D): a day, the figures of each
cashier and of all of them, Save PDF and Print; with a thermal receipt printer set up, Print on
receipt printer too.

The day is typed YYYY-MM-DD (Enter shows it), or stepped with Alt+Left and Alt+Right (Alt+Home:
today). The core works the report out (`services.day_report`) off the UI thread; this dialog
only lays its table out. Save PDF (Ctrl+S) writes `DATA_DIR/reports/end-of-day-DAY.pdf` and
says where; Print (Ctrl+P) draws the same page on the system's printer, or saves the PDF
when this computer has no printer. Print on receipt printer (Ctrl+T) sends the report laid out
for its paper (`pos_loyalty/day_report_lines.py`) to the till's receipt printer off the UI
thread (`ui/receipt_printer.py`); if it cannot print, the note says why and Save PDF still works.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QKeySequence, QPainter, QShortcut
from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrinterInfo
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QTableWidget, QTableWidgetItem, QVBoxLayout,
    QWidget,
)

from devices import day_report_pdf
from pos_loyalty.day_report_lines import day_report_slip
from pos_loyalty.errors import LoyaltyError
from pos_loyalty.replica.db import Replica
from pos_loyalty.services import day_report
from pos_loyalty.services.day_report import DayReport
from ui import background, messages, style
from ui.receipt_printer import ReceiptPrinter
from ui.style import figure, keyed_button

RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class DayReportDialog(QDialog):
    def __init__(
        self, replica: Replica, data_dir: Path, parent: QWidget | None = None, *, printer: ReceiptPrinter | None = None
    ) -> None:
        super().__init__(parent)
        self.replica, self.folder = replica, Path(data_dir) / "reports"
        self.printer = printer if printer is not None and printer.printer is not None else None
        self.report: DayReport | None = None
        self._asked: date | None = None  # the day whose report is being worked out
        self.setWindowTitle("End of day report")
        self.resize(1000, 760)
        self.day = QLineEdit(objectName="day", placeholderText="YYYY-MM-DD")
        self.day.setMaximumWidth(180)
        self.day.returnPressed.connect(self.show_typed)
        self.problem = QLabel(objectName="problem")
        self.summary = QLabel("Working it out…", objectName="hint", wordWrap=True)
        self.table = QTableWidget(0, 0, objectName="dayReport")
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setMinimumSectionSize(110)  # a cashier's column reads apart from the next
        self.note = QLabel(objectName="hint", wordWrap=True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.save_button = keyed_button(buttons, "Save PDF", "Ctrl+S", self.save_pdf)
        self.print_button = keyed_button(buttons, "Print", "Ctrl+P", self.print_report)
        self.slip_button = keyed_button(buttons, "Print on receipt printer", "Ctrl+T", self.print_on_receipt_printer)
        self.slip_button.setVisible(self.printer is not None)  # only where a thermal printer is set up
        buttons.rejected.connect(self.accept)
        for button in (self.save_button, self.print_button, self.slip_button):
            button.setAutoDefault(False)
            button.setEnabled(False)
        buttons.button(QDialogButtonBox.StandardButton.Close).setAutoDefault(False)
        for keys, step in (("Alt+Left", -1), ("Alt+Right", 1)):
            QShortcut(QKeySequence(keys), self, activated=lambda step=step: self.step(step))
        QShortcut(QKeySequence("Alt+Home"), self, activated=lambda: self.show_day(None))
        top = QHBoxLayout()
        top.addWidget(QLabel("Day (Alt+←/→)"))
        top.addWidget(self.day)
        top.addWidget(self.problem, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        self.show_day(None)

    # --- which day --------------------------------------------------------------------------

    def show_typed(self) -> None:
        try:
            self.show_day(day_report.parse_day(self.day.text()))
        except LoyaltyError as error:
            self.problem.setText(error.message)

    def step(self, days: int) -> None:
        """The day before (-1) or after (+1) the one shown."""
        if self.report is not None:
            self.show_day(self.report.day + timedelta(days=days))

    def show_day(self, day: date | None) -> None:
        """Work out the report of `day` (None: today) off the UI thread, then show it."""
        self.problem.clear()
        self._asked = day
        self.summary.setText("Working it out…")
        if day is not None:
            self.day.setText(day.isoformat())
        background.run(
            lambda: day_report.report(self.replica, day),
            lambda made: self._shown(day, made),
            lambda error: self._failed(day, error),
            owner=self,
        )

    def _shown(self, asked: date | None, made: DayReport) -> None:
        if asked != self._asked:
            return  # a day asked for earlier, answered late: another is on its way
        self.report = made
        self.day.setText(made.day.isoformat())
        self.day.selectAll()
        self.summary.setText(_summary(made))
        self._fill(day_report.table(made))
        for button in (self.save_button, self.print_button):
            button.setEnabled(True)
        self.slip_button.setEnabled(self.printer is not None)

    def _failed(self, asked: date | None, error: Exception) -> None:
        if asked != self._asked:
            return
        self.summary.setText(_summary(self.report) if self.report is not None else "")
        (self.problem if isinstance(error, LoyaltyError) else self.summary).setText(messages.sentence(error))

    def _fill(self, shown: day_report.Table) -> None:
        self.table.clear()
        self.table.setColumnCount(1 + len(shown.columns))
        self.table.setHorizontalHeaderLabels(["", *shown.columns])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        bold = QFont(self.table.font())
        bold.setBold(True)
        rows: list[tuple[str, tuple | None, str]] = []
        section = None
        for row in shown.rows:
            if row.section != section:
                section = row.section
                rows.append((section, None, ""))
            rows.append((row.label, row.values, row.kind))
        self.table.setRowCount(len(rows))
        for index, (label, values, kind) in enumerate(rows):
            item = QTableWidgetItem(label)
            if values is None:
                item.setFont(bold)
                self.table.setSpan(index, 0, 1, 1 + len(shown.columns))
            self.table.setItem(index, 0, item)
            for column, value in enumerate(values or ()):
                cell = QTableWidgetItem(str(value) if kind == day_report.COUNT else figure(value))
                cell.setTextAlignment(RIGHT)
                if column == len(shown.columns) - 1:
                    cell.setFont(bold)  # all cashiers
                self.table.setItem(index, column + 1, cell)

    # --- paper ------------------------------------------------------------------------------

    def save_pdf(self) -> Path | None:
        if self.report is None:
            return None
        try:
            path = day_report_pdf.write_pdf(self.report, self.folder / f"end-of-day-{self.report.day}.pdf", figure)
        except LoyaltyError as error:
            self.note.setText(error.message)
            return None
        self.note.setText(f"Saved as {path}")
        return path

    def print_report(self) -> None:
        if self.report is None:
            return
        if not QPrinterInfo.availablePrinters():
            path = self.save_pdf()
            if path is not None:
                self.note.setText(f"No printer here: saved as {path} (print it from another computer)")
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        day_report_pdf.set_up_page(printer)
        if QPrintDialog(printer, self).exec() != QDialog.DialogCode.Accepted:
            self.note.setText("The report was not printed.")
            return
        painter = QPainter(printer)
        try:
            day_report_pdf.paint(painter, printer, self.report, figure)
        finally:
            painter.end()
        self.note.setText(f"The report of {self.report.day} was sent to the printer.")

    def print_on_receipt_printer(self) -> None:
        """The report on the till's receipt printer, off the UI thread (one press, one slip)."""
        if self.report is None or self.printer is None:
            return
        shown = self.report
        self.slip_button.setEnabled(False)
        self.note.setText("Printing on the receipt printer...")

        def printed() -> None:
            self.slip_button.setEnabled(True)
            self.note.setText(f"The report of {shown.day} was printed on the receipt printer.")

        def failed(error: Exception) -> None:
            self.slip_button.setEnabled(True)
            why = getattr(error, "message", "The receipt printer could not print it.")
            self.note.setText(f"{why} The report was not printed: try again, or Save PDF (Ctrl+S).")

        slip = day_report_slip(shown, self.printer.width, style.local())
        self.printer.print_slip(slip, printed, failed, owner=self)


def _summary(made: DayReport) -> str:
    """The day shown, in words: the pharmacy, the day, its zone, when it was worked out."""
    state = "" if made.complete else "; the day is not over, these are its figures so far"
    nothing = "" if made.cashiers else " Nothing was recorded at this till on that day."
    day = day_report.day_in_words(made.day)
    return f"{made.pharmacy}: {day}, time zone {made.time_zone}; made {made.generated_local}{state}.{nothing}"
