"""The end-of-day report as a PDF: an A4 page whose text (read back with pypdf) has the pharmacy,
the day, its time zone, each cashier and the figures of the report; more cashiers than fit
across the page continue on the next."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import re  # noqa: E402
from datetime import date, datetime  # noqa: E402

import pytest  # noqa: E402
from pypdf import PdfReader  # noqa: E402

from day_reports import busy_day  # noqa: E402
from devices.day_report_pdf import write_pdf  # noqa: E402
from pos_loyalty.errors import InvalidInput  # noqa: E402
from pos_loyalty.services import day_report, settings  # noqa: E402

A4_POINTS = (595, 842)


def words(text: str) -> str:
    """The text with its runs of white space as one space (pypdf reads Qt's spaces as tabs)."""
    return re.sub(r"\s+", " ", text)


def text_of(path) -> str:  # type: ignore[no-untyped-def]
    return words(" ".join(page.extract_text() for page in PdfReader(path).pages))


def test_the_pdf_is_an_a4_page_with_the_days_figures_as_text(qapp, replica, tmp_path):
    settings.write(replica, **{settings.PHARMACY_NAME: "Asha Pharmacy"})
    busy_day(replica)
    report = day_report.report(replica)
    path = write_pdf(report, tmp_path / "reports" / "day.pdf")
    assert path.read_bytes().startswith(b"%PDF-")
    reader = PdfReader(path)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == A4_POINTS
    text = text_of(path)
    assert "Asha Pharmacy" in text and day_report.day_in_words(report.day) in text and "Time zone UTC" in text
    assert f"Made {report.generated_local}" in text
    for name in ("asha", "ravi", "manager", "All cashiers"):
        assert name in text
    shown = day_report.table(report)
    for row in shown.rows:  # every figure's row: its words, then its values, left to right
        values = " ".join(str(v) if row.kind == day_report.COUNT else f"{v:,.2f}" for v in row.values)
        assert f"{row.label} {values}" in text, row.label
    assert report.total.bills == 5 and f"{report.total.payable / 100:,.2f}" in text


def test_a_till_with_many_cashiers_continues_the_table_on_the_next_page(qapp, tmp_path):
    cashiers = tuple(day_report.CashierDay(f"cashier-{n}", day_report.Figures(bills=n, payable=1000 * n)) for n in range(1, 10))
    report = day_report.DayReport(
        date(2025, 3, 14), "Asia/Kolkata", datetime(2025, 3, 13, 18, 30), datetime(2025, 3, 14, 18, 30),
        datetime(2025, 3, 15, 2, 0), "Pharmacy", cashiers, day_report.Figures.added_up(c.figures for c in cashiers),
    )
    path = write_pdf(report, tmp_path / "many.pdf", figure=lambda value: f"Rs.{value}")
    pages = [words(page.extract_text()) for page in PdfReader(path).pages]
    assert len(pages) == 3  # four columns a block: 9 cashiers and the total
    assert all("Bills finalized" in page for page in pages)
    assert "cashier-1" in pages[0] and "cashier-9" in pages[2] and "All cashiers" in pages[2]
    assert "Rs.450.00" in pages[2] and "(continued)" in pages[1]


def test_a_file_that_cannot_be_written_is_said_naming_out(qapp, replica, tmp_path):
    report = day_report.report(replica)
    with pytest.raises(InvalidInput) as wrong:
        write_pdf(report, tmp_path / "day.txt")
    assert wrong.value.field == "out"
    (tmp_path / "taken").write_text("a file, not a folder")
    with pytest.raises(InvalidInput) as refused:
        write_pdf(report, tmp_path / "taken" / "day.pdf")
    assert refused.value.field == "out" and "Cannot write" in refused.value.message
