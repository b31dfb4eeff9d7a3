"""`pos-loyalty report day`: the till's end-of-day report (`pos_loyalty/services/day_report.py`),
as a table on the terminal, a JSON document, a printable A4 PDF (`devices/day_report_pdf.py`),
and with --print on the till's receipt printer (`pos_loyalty/day_report_lines.py`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from cli import render
from cli.printer_commands import print_on, till_printer
from cli.till_commands import Context, Output
from pos_loyalty.day_report_lines import day_report_slip
from pos_loyalty.errors import InvalidInput
from pos_loyalty.services import day_report, settings

LABEL_WIDTH, COLUMN_WIDTH = 44, 14


def day(args: argparse.Namespace, ctx: Context) -> Output:
    on = day_report.parse_day(args.date) if args.date is not None else None
    if args.out is not None and Path(args.out).suffix.lower() != ".pdf":
        raise InvalidInput("out", f"{args.out}: the report file must end in .pdf")
    printer = till_printer(ctx) if args.print else None  # no printer set up: said before any work
    made = day_report.report(ctx.replica, on)
    doc, said = made.to_json(), text(made)
    if args.out is not None:
        from devices.day_report_pdf import write_pdf  # Qt's PDF writer: loaded only for a PDF

        path = write_pdf(made, Path(args.out), render.figure)  # figures written as on the terminal
        doc, said = {**doc, "file": str(path)}, f"Wrote the end of day report of {made.day} ({made.time_zone}) to {path}."
    if printer is not None:
        print_on(printer, day_report_slip(made, printer.width, settings.local(ctx.replica)))
        doc = {**doc, "printed": True, "printer": printer.to_json()}
        said += f"\nPrinted the end of day report of {made.day} on {printer.describe()}."
    return Output(doc, said)


def text(made: day_report.DayReport) -> str:
    """The report as a table: a row per figure, a column per cashier, then all of them."""
    shown = day_report.table(made)
    lines = [
        f"End of day report, {made.pharmacy}: {made.day} ({made.time_zone}), made {made.generated_local} local time",
    ]
    if not made.complete:
        lines.append("The day is not over: these are its figures so far.")
    if not made.cashiers:
        lines.append("Nothing was recorded at this till on that day.")
    lines += ["", f"{'':<{LABEL_WIDTH}}" + "".join(f"{_cut(name):>{COLUMN_WIDTH}}" for name in shown.columns)]
    section = None
    for row in shown.rows:
        if row.section != section:
            section = row.section
            lines.append(section)
        cells = "".join(f"{_cell(row.kind, value):>{COLUMN_WIDTH}}" for value in row.values)
        lines.append(f"  {row.label:<{LABEL_WIDTH - 2}}{cells}")
    lines.append("")
    lines += [f"Note: {note}" for note in day_report.NOTES]
    return "\n".join(lines)


def _cut(name: str) -> str:
    return name if len(name) < COLUMN_WIDTH else name[: COLUMN_WIDTH - 2] + "…"


def _cell(kind: str, value: object) -> str:
    return str(value) if kind == day_report.COUNT else render.figure(value)


def add_parsers(commands: argparse._SubParsersAction, common: argparse.ArgumentParser, parser_class) -> None:  # type: ignore[no-untyped-def]
    group = commands.add_parser("report", help="the till's reports", parents=[common])
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=parser_class)
    help_text = "the end-of-day report: bills, points issued, redeemed, returned, money deducted, per cashier"
    sub = actions.add_parser("day", help=help_text, description=help_text, parents=[common])
    sub.add_argument("--date", metavar="YYYY-MM-DD", help="the day (default: today in the pharmacy's time zone)")
    sub.add_argument("--out", metavar="FILE.pdf", help="write the printable report (A4 PDF) to this file")
    sub.add_argument("--print", action="store_true",
                     help="print it on the till's receipt printer too (pos-loyalty devices setup-printer)")
    sub.set_defaults(handler=day)
