"""The end-of-day report on paper: an A4 page (or more) with the pharmacy, the day, its time
zone, when the report was made, the figures per cashier and for all of them, and the notes.

Drawn with Qt's painter, so the same drawing (`paint`) goes to a PDF file (`write_pdf`, for the
CLI and the counter app's Save) and to a printer (the counter app's Print); text stays text
(searchable, and any script the fonts of the machine have). The figures are the core's
(`pos_loyalty.services.day_report.table`); nothing here works one out. Up to four columns of
figures sit side by side; a till with more cashiers continues the table below, or on the next
page, with the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLineF, QMarginsF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPageLayout, QPageSize, QPagedPaintDevice, QPainter, QPdfWriter, QPen

from pos_loyalty.errors import InvalidInput
from pos_loyalty.services import day_report
from pos_loyalty.services.day_report import DayReport, Table

MARGIN_MM = 15
ROW_MM = 6.2
LABEL_MM = 72
PER_BLOCK = 4  # columns of figures side by side on a portrait A4 page
FONT = "DejaVu Sans"
INK, PALE, RULE, BAND = QColor(0, 0, 0), QColor(90, 90, 90), QColor(176, 190, 197), QColor(236, 239, 241)

_application = None  # the Qt application a command line makes to draw (no window is shown)


def write_pdf(report: DayReport, path: Path, figure=None) -> Path:  # type: ignore[no-untyped-def]
    """Write the report to `path` as an A4 PDF; `figure` writes money and points (default
    12,345.50). InvalidInput naming `out` when the file cannot be written."""
    path = Path(path)
    if path.suffix.lower() != ".pdf":
        raise InvalidInput("out", f"{path.name}: the report file must end in .pdf")
    _ensure_application()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.open("wb").close()  # a folder that refuses the file says so here, with the reason
    except OSError as error:
        raise InvalidInput("out", f"Cannot write {path}: {error.strerror or error}") from None
    writer = QPdfWriter(str(path))
    writer.setResolution(300)
    writer.setTitle(f"End of day report {report.day.isoformat()}, {report.pharmacy}")
    writer.setCreator("pos-loyalty")
    set_up_page(writer)
    painter = QPainter()
    if not painter.begin(writer):
        raise InvalidInput("out", f"Cannot write {path}")
    try:
        paint(painter, writer, report, figure)
    finally:
        painter.end()
    return path


def set_up_page(device: QPagedPaintDevice) -> None:
    """A4 portrait with the report's margins (a PDF writer's, or a printer's)."""
    device.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(MARGIN_MM, MARGIN_MM, MARGIN_MM, MARGIN_MM),
            QPageLayout.Unit.Millimeter,
        )
    )


@dataclass(frozen=True)
class _Page:
    width: float
    height: float
    mm: float  # device units in a millimetre


def paint(painter: QPainter, device: QPagedPaintDevice, report: DayReport, figure=None) -> int:  # type: ignore[no-untyped-def]
    """Draw the report on `device` (begun by `painter`), a new page where one is full; the pages."""
    show = figure or day_report.plain_figure
    page = _Page(painter.viewport().width(), painter.viewport().height(), device.logicalDpiY() / 25.4)
    shown = day_report.table(report)
    blocks = _blocks(shown)
    block_height = (len(shown.rows) + _sections(shown) + 1) * ROW_MM * page.mm
    pages, y = 1, _heading(painter, page, report, first=True)
    for columns in blocks:
        if y + block_height > page.height - 12 * page.mm:
            device.newPage()
            pages += 1
            y = _heading(painter, page, report, first=False)
        y = _block(painter, page, shown, columns, y, show) + 5 * page.mm
    if y + _notes_height(painter, page) > page.height:
        device.newPage()
        pages += 1
        y = _heading(painter, page, report, first=False)
    _notes(painter, page, y)
    return pages


def _blocks(shown: Table) -> list[list[int]]:
    """The columns of each block: cashiers `PER_BLOCK` at a time, all cashiers in the last."""
    indexes = list(range(len(shown.columns)))
    return [indexes[start : start + PER_BLOCK] for start in range(0, len(indexes), PER_BLOCK)]


def _sections(shown: Table) -> int:
    return len({row.section for row in shown.rows})


def _font(size: float, *, bold: bool = False) -> QFont:
    font = QFont(FONT)
    font.setPointSizeF(size)
    font.setBold(bold)
    font.setFeature(QFont.Tag("liga"), 0)  # "fi" stays two letters: the PDF's text reads (and is found) as typed
    return font


def _heading(painter: QPainter, page: _Page, report: DayReport, *, first: bool) -> float:
    """The pharmacy, the day, its zone and when the report was made; where the table starts."""
    mm, y = page.mm, 0.0

    def line(text: str, size: float, *, bold: bool = False, colour: QColor = INK, gap: float = 1.5) -> None:
        nonlocal y
        painter.setFont(_font(size, bold=bold))
        painter.setPen(colour)
        wrapped = Qt.TextFlag.TextWordWrap
        box = painter.boundingRect(QRectF(0, y, page.width, page.height), wrapped, text)
        painter.drawText(QRectF(0, y, page.width, box.height()), wrapped, text)
        y += box.height() + gap * mm

    line(report.pharmacy, 16 if first else 10, bold=True)
    day = day_report.day_in_words(report.day)
    if not first:
        line(f"End of day report: {day} (continued)", 10, colour=PALE, gap=4)
        return y
    line(f"End of day report: {day}", 13, bold=True)
    start, end = report.local(report.starts_at), report.local(report.ends_at)
    line(
        f"Time zone {report.time_zone}: from {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} local time "
        f"({report.starts_at:%Y-%m-%d %H:%M} to {report.ends_at:%Y-%m-%d %H:%M} UTC)",
        9,
        colour=PALE,
        gap=0.5,
    )
    made = f"Made {report.generated_local} local time"
    line(made if report.complete else f"{made}: the day is not over, these are its figures so far", 9, colour=PALE, gap=5)
    if not report.cashiers:
        line("Nothing was recorded at this till on that day.", 10, gap=3)
    return y


def _block(painter: QPainter, page: _Page, shown: Table, columns: list[int], y: float, show) -> float:  # type: ignore[no-untyped-def]
    mm, row = page.mm, ROW_MM * page.mm
    label_width = LABEL_MM * mm
    column_width = (page.width - label_width) / PER_BLOCK
    last = len(shown.columns) - 1
    right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
    left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter

    def cell(index: int) -> QRectF:
        return QRectF(label_width + index * column_width, y, column_width - 1.5 * mm, row)

    bold = _font(9, bold=True)
    painter.setFont(bold)
    painter.setPen(INK)
    metrics = QFontMetricsF(bold, painter.device())
    for at, column in enumerate(columns):
        name = metrics.elidedText(shown.columns[column], Qt.TextElideMode.ElideRight, column_width - 2.5 * mm)
        painter.drawText(cell(at), right, name)
    y += row
    painter.setPen(QPen(INK, 0.3 * mm))
    width = label_width + len(columns) * column_width
    painter.drawLine(QLineF(0, y, width, y))
    section = None
    for figures in shown.rows:
        if figures.section != section:
            section = figures.section
            painter.fillRect(QRectF(0, y, width, row), BAND)
            painter.setFont(bold)
            painter.setPen(INK)
            painter.drawText(QRectF(1 * mm, y, label_width, row), left, section)
            y += row
        painter.setFont(_font(9))
        painter.setPen(INK)
        label = QFontMetricsF(painter.font(), painter.device()).elidedText(
            figures.label, Qt.TextElideMode.ElideRight, label_width - 4 * mm
        )
        painter.drawText(QRectF(3 * mm, y, label_width - 3 * mm, row), left, label)
        for at, column in enumerate(columns):
            value = figures.values[column]
            painter.setFont(bold if column == last else _font(9))
            painter.drawText(cell(at), right, _written(figures.kind, value, show))
        y += row
        painter.setPen(QPen(RULE, 0.1 * mm))
        painter.drawLine(QLineF(0, y, width, y))
    return y


def _written(kind: str, value: int | Decimal, show) -> str:  # type: ignore[no-untyped-def]
    return str(value) if kind == day_report.COUNT else show(value)


def _notes(painter: QPainter, page: _Page, y: float, *, draw: bool = True) -> float:
    """The notes under the table (drawn, or only measured); where they end."""
    painter.setFont(_font(8))
    painter.setPen(PALE)
    for note in day_report.NOTES:
        box = painter.boundingRect(QRectF(0, y, page.width, page.height), Qt.TextFlag.TextWordWrap, note)
        if draw:
            painter.drawText(QRectF(0, y, page.width, box.height()), Qt.TextFlag.TextWordWrap, note)
        y += box.height() + 1 * page.mm
    return y


def _notes_height(painter: QPainter, page: _Page) -> float:
    return _notes(painter, page, 0, draw=False)


def _ensure_application() -> None:
    """Qt draws text only with an application; a command line has none, so make one that shows
    nothing (the counter app's own is used when there is one)."""
    global _application
    if QCoreApplication.instance() is None:
        from PySide6.QtWidgets import QApplication  # a widgets application: one a later screen can use too

        _application = QApplication(["pos-loyalty", "-platform", "offscreen"])
