"""The end-of-day report as a slip for the receipt printer: pure, no I/O, no printer.

Every figure the terminal's report has (`cli/report_commands.text`), laid out down a roll
of 32 (58 mm), 42 or 48 (80 mm) characters a line: the pharmacy, the day in words, its time
zone and when the report was made, whether the day is over, then each cashier's figures,
then every figure of the whole till, then the notes. A cashier's block lists the figures
that are not zero (and says the others are 0), so a quiet cashier costs a few lines of
paper; the whole till's block lists all of them, zeros too. Rows are the receipt's own
(`receipt_lines`): the label on the left, the figure flush right; what does not fit wraps,
never cut off. `devices/thermal.py` prints the `Slip`, and cuts it.
"""

from __future__ import annotations

from decimal import Decimal

from pos_loyalty.day_figures import ALL_CASHIERS, COUNT, FIELDS, NOTES, DayReport, Figures, day_in_words
from pos_loyalty.receipt_lines import Formats, PlainFormats, Slip
from pos_loyalty.receipt_lines import _Lines as Lines  # the receipt's rows and wrapping, shared

WIDTHS = (32, 42, 48)
NOT_OVER = "The day is not over: these are its figures so far."
NOTHING = "Nothing was recorded at this till on that day."
OTHERS_ZERO = "Figures not listed: 0"


def day_report_slip(report: DayReport, width: int = 42, formats: Formats | None = None) -> Slip:
    """The report for a receipt printer `width` characters wide; `formats` writes money and
    points as the pharmacy does (the counter app's and the CLI's `formatting.Local`)."""
    formats = formats or PlainFormats()
    out = Lines(width)
    out.centred(report.pharmacy.upper(), bold=True)
    out.centred("END OF DAY REPORT", bold=True)
    out.centred(day_in_words(report.day))
    out.row("Time zone", report.time_zone)
    out.row("Made", report.generated_local)  # the local time, in the zone above
    if not report.complete:
        out.add(NOT_OVER)
    if not report.cashiers:
        out.add(NOTHING)
    for cashier in report.cashiers:
        out.rule()
        out.add(f"Cashier: {cashier.name}", bold=True, indent="  ")
        _figures(out, cashier.figures, formats, every=False)
    out.add("=" * width)
    out.add(ALL_CASHIERS.upper(), bold=True)
    _figures(out, report.total, formats, every=True)
    out.rule()
    for note in NOTES:
        out.add(f"Note: {note}", indent="  ")
    return out.slip(None)


def _figures(out: Lines, figures: Figures, formats: Formats, *, every: bool) -> None:
    """The figures under their sections ("Bills:", "Points:", "Cards:"); zeros only if `every`."""
    section, left_out = None, False
    for field in FIELDS:
        value = figures.value(field)
        if not every and not value:
            left_out = True
            continue
        if field.section != section:
            section = field.section
            out.add(f"{section}:")
        out.row(f"  {field.short}", written(field.kind, value, formats))
    if left_out:
        out.add(OTHERS_ZERO)


def written(kind: str, value: int | Decimal, formats: Formats) -> str:
    """A count as a whole number; money and points as the pharmacy writes them (1,23,456.00)."""
    return str(value) if kind == COUNT else formats.number(value)
