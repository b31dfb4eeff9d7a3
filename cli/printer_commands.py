"""`pos-loyalty devices setup-printer ...` and `devices printer-test`: the till's receipt printer."""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING

from cli.till_commands import Context, Output, Unavailable
from pos_loyalty import cardnumber
from pos_loyalty.errors import InvalidInput
from pos_loyalty.services import settings

if TYPE_CHECKING:  # python-escpos and the printer's settings are loaded only by a command that prints
    from devices.printer_settings import PrinterSettings
    from pos_loyalty.receipt_lines import Slip

#: The card on the test receipt: a valid number of this system's range, so its barcode
#: prints as EAN-13 (and the scanner can be tried on it).
TEST_CARD = cardnumber.from_block("29", 1, 1)


def setup_printer(args: argparse.Namespace, ctx: Context) -> Output:
    """Save the till's receipt printer (checked first with a test line), or forget it with --none."""
    from devices import printer_settings as keys
    from devices.printer_settings import PrinterSettingsError, chosen
    from devices.thermal import PrinterUnavailable, ThermalPrinter

    if args.none:
        settings.forget(ctx.replica, *keys.KEYS)
        return Output({"kind": None}, "This till has no receipt printer now: receipts are printed through CUPS or saved as PDF.")
    kind, address = next((k, a) for k, a in ((keys.SERIAL, args.serial), (keys.NETWORK, args.network), (keys.USB, args.usb)) if a)
    if args.baud is not None and kind != keys.SERIAL:
        raise InvalidInput("baud", "--baud is for a serial printer (--serial PATH); a network or USB printer has no baud rate")
    try:
        printer = chosen(kind, address, baud=args.baud, width=args.width, codepage=args.codepage)
    except PrinterSettingsError as error:
        raise InvalidInput("printer", str(error)) from None
    if not args.no_check:
        try:
            ThermalPrinter(printer).print_lines(_test_lines(printer.width), bold=[0])
        except PrinterUnavailable as error:
            raise Unavailable(f"{error.message} Nothing was saved: check the printer and try again, "
                              "or save it as it is with --no-check.") from None
    settings.forget(ctx.replica, *keys.KEYS)
    settings.write(ctx.replica, **printer.to_settings())
    checked = "" if args.no_check else " A test line was printed: if its row of digits is on one line, the width is right."
    return Output(
        {**printer.to_json(), "checked": not args.no_check},
        f"Receipts print on {printer.describe()}, {printer.width} characters a line.{checked} The counter app uses "
        "it from its next start; print a test receipt with pos-loyalty devices printer-test.",
    )


def printer_test(args: argparse.Namespace, ctx: Context) -> Output:
    """Print a test receipt (made-up figures, a card barcode) on the till's receipt printer."""
    from pos_loyalty.receipt_lines import Slip, receipt_slip

    printer = till_printer(ctx)
    chosen = settings.read(ctx.replica)
    slip = receipt_slip(_test_bill(), "Test customer", chosen[settings.PHARMACY_NAME], width=printer.width,
                        currency=chosen[settings.CURRENCY], promotions={1: "Test promotion (double points)"})
    lines = ["TEST RECEIPT: no sale was made".center(printer.width), *slip.lines]
    print_on(printer, Slip(lines, frozenset({0, *(index + 1 for index in slip.bold)}), slip.barcode))
    return Output({"printed": True, **printer.to_json()},
                  f"A test receipt was printed on {printer.describe()}; its barcode is card {TEST_CARD}.")


def till_printer(ctx: Context) -> PrinterSettings:
    """The till's receipt printer as set up; InvalidInput (exit 2) saying how to set one up
    when there is none, or when its settings are wrong."""
    from devices.printer_settings import PrinterSettingsError, printer_settings

    try:
        printer = printer_settings(settings.read(ctx.replica))
    except PrinterSettingsError as error:
        raise InvalidInput("printer", f"The till's printer settings are wrong ({error}): set them again with "
                                      "pos-loyalty devices setup-printer.") from None
    if printer is None:
        raise InvalidInput("printer", "This till has no receipt printer set up: pos-loyalty devices setup-printer "
                                      "--serial PATH | --network HOST[:PORT] | --usb VENDOR:PRODUCT")
    return printer


def print_on(printer: PrinterSettings, slip: Slip) -> None:
    """Print `slip` and cut; a printer that cannot (unplugged, out of paper) is Unavailable (exit 1)."""
    from devices.thermal import PrinterUnavailable, ThermalPrinter

    try:
        ThermalPrinter(printer).print_slip(slip)
    except PrinterUnavailable as error:
        raise Unavailable(error.message) from None


def _test_lines(width: int) -> list[str]:
    return [
        "pos-loyalty receipt printer",
        f"{width} characters a line:",
        ("1234567890" * 5)[:width],
        "If the digits above are on one line, the width is right.",
    ]


def _test_bill() -> dict:
    now = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    money = Decimal
    return {
        "billId": "TEST-RECEIPT",
        "finalizedAt": now.isoformat() + "Z",
        "cardNumber": TEST_CARD,
        "lines": [
            {"categoryName": "Medicines", "gross": money("250.00"), "categoryDiscount": money("12.50")},
            {"categoryName": "Baby Care", "gross": money("100.00"), "categoryDiscount": money("0.00")},
        ],
        "billAmount": money("350.00"),
        "categoryDiscount": money("12.50"),
        "flatDiscount": money("0.00"),
        "pointsRedeemed": money("100.00"),
        "amountDeducted": money("10.00"),
        "payable": money("327.50"),
        "pointsEarned": money("12.38"),
        "earnBreakdown": [{"promotionId": 1, "points": money("10.00")}],
        "newBalance": money("912.38"),
        "expiringPoints": money("50.00"),
        "nextExpiryAt": (now + timedelta(days=20)).isoformat() + "Z",
    }


def add_parsers(actions: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    sub = actions.add_parser(
        "setup-printer", parents=[common],
        help="set up (checked with a test line) or, with --none, forget the till's receipt printer (ESC/POS)",
    )
    where = sub.add_mutually_exclusive_group(required=True)
    where.add_argument("--serial", metavar="PATH", help="a serial printer's port, e.g. /dev/ttyUSB0 or /dev/serial/by-id/...")
    where.add_argument("--network", metavar="HOST[:PORT]", help="a network printer, e.g. 192.168.1.50 (port 9100 unless given)")
    where.add_argument("--usb", metavar="VENDOR:PRODUCT", help="a USB printer's ids in hex, as lsusb shows them, e.g. 0416:5011")
    where.add_argument("--none", action="store_true", help="this till has no receipt printer (receipts go to CUPS or PDF)")
    sub.add_argument("--baud", help="a serial printer's speed (default 9600)")
    sub.add_argument("--width", help="characters a line: 32 for 58 mm paper, 42 (the default) or 48 for 80 mm")
    sub.add_argument("--codepage", help="the printer's code table for letters beyond ASCII (default CP437)")
    sub.add_argument("--no-check", action="store_true", help="save it without printing a test line (the printer is not here yet)")
    sub.set_defaults(handler=setup_printer)
    sub = actions.add_parser("printer-test", help="print a test receipt on the till's receipt printer", parents=[common])
    sub.set_defaults(handler=printer_test)
