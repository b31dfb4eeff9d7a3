"""`pos-loyalty devices ...`: find the serial scanner, and try it."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from cli import printer_commands
from cli.till_commands import Context, Output
from pos_loyalty.errors import InvalidInput
from pos_loyalty.services import settings


def list_ports(args: argparse.Namespace, ctx: Context) -> Output:
    """The serial ports found, and the one this till is set up to read."""
    from serial.tools import list_ports as found

    from devices.settings import port_settings

    ports = [
        {"device": port.device, "description": port.description, "hardwareId": port.hwid}
        for port in sorted(found.comports(), key=lambda p: p.device)
    ]
    lines = [f"{p['device']:<20} {p['description']}  ({p['hardwareId']})" for p in ports]
    lines = lines or ["No serial ports found. A USB scanner that types (keyboard wedge) needs none."]
    try:
        chosen = port_settings(settings.read(ctx.replica))
    except ValueError as error:
        chosen, lines = None, [*lines, f"This till's scanner settings are wrong ({error}): set them again with pos-loyalty devices setup."]
    else:
        lines.append(
            f"This till reads the scanner on {chosen.port} at {chosen.baud} baud." if chosen
            else "This till has no serial scanner set up (pos-loyalty devices setup --port PATH)."
        )
    return Output({"ports": ports, "tillScanner": chosen.port if chosen else None}, "\n".join(lines))


def setup(args: argparse.Namespace, ctx: Context) -> Output:
    """Save the till's serial scanner (checked first), or forget it with --none."""
    from devices import settings as scanner

    keys = (scanner.PORT, scanner.BAUD, scanner.PARITY, scanner.TERMINATOR, scanner.PREFIX, scanner.SUFFIX)
    if args.none:
        settings.forget(ctx.replica, *keys)
        return Output({"port": None}, "This till has no serial scanner now (a keyboard-wedge scanner needs no setup).")
    if not args.port:
        raise InvalidInput("port", "Give the scanner's --port (see pos-loyalty devices list), or --none to have no serial scanner")
    chosen = {
        key: value
        for key, value in zip(keys, (args.port, args.baud, args.parity, args.terminator, args.prefix, args.suffix))
        if value is not None
    }
    try:
        port = scanner.port_settings(chosen)
    except ValueError as error:
        raise InvalidInput("scanner", str(error)) from None
    settings.forget(ctx.replica, *keys)
    settings.write(ctx.replica, **chosen)
    doc = {"port": port.port, "baud": port.baud, "parity": port.parity, "terminator": chosen.get(scanner.TERMINATOR, "ANY"),
           "prefix": port.framing.prefix, "suffix": port.framing.suffix}
    return Output(doc, f"The serial scanner is {port.port} at {port.baud} baud, parity {port.parity}, ending codes with "
                       f"{doc['terminator']}. The counter app uses it from its next start; try it with pos-loyalty devices scan-test.")


def scan_test(args: argparse.Namespace, ctx: Context) -> Output:
    """Echo every accepted code on its own line until Ctrl+C (noise goes to the log, on stderr)."""
    import logging

    from devices.serial_scanner import CONNECTED, SerialScanner
    from devices.settings import port_settings

    try:
        chosen = port_settings(settings.read(ctx.replica), port=args.port, baud=args.baud)
    except ValueError as error:
        raise InvalidInput("scanner", f"The till's scanner settings are wrong: {error}") from None
    if chosen is None:
        raise InvalidInput("port", "No scanner port is set for this till: give one with --port (see pos-loyalty devices list)")
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.WARNING)  # noise dropped; the port's state is printed below
    logging.getLogger("pos_loyalty.devices").addHandler(handler)
    count = [0]

    def echo(code: str) -> None:
        count[0] += 1
        print(code, flush=True)

    def state(status: str) -> None:
        print(f"[{chosen.port}: {status}]" if status != CONNECTED else f"[{chosen.port} at {chosen.baud} baud: scan a card]",
              file=sys.stderr, flush=True)

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    scanner = SerialScanner(chosen, echo, state)
    scanner.start()
    try:
        stop.wait()
    finally:
        scanner.stop()
    return Output({"codes": count[0]}, f"{count[0]} codes read.")


def add_parsers(commands: argparse._SubParsersAction, common: argparse.ArgumentParser, parser_class) -> None:  # type: ignore[no-untyped-def]
    devices = commands.add_parser("devices", help="barcode scanners and receipt printers", parents=[common])
    actions = devices.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=parser_class)
    sub = actions.add_parser("list", help="the serial ports found", parents=[common])
    sub.set_defaults(handler=list_ports)
    sub = actions.add_parser("setup", help="set up (or, with --none, forget) the till's serial scanner", parents=[common])
    sub.add_argument("--port", help="its port, e.g. /dev/ttyUSB0 or /dev/serial/by-id/...")
    sub.add_argument("--baud", help="its speed (default 9600)")
    sub.add_argument("--parity", choices=("none", "even", "odd"), help="(default none)")
    sub.add_argument("--terminator", type=str.upper, choices=("ANY", "CR", "LF", "CRLF", "TAB"),
                     help="what ends each code (default ANY of them)")
    sub.add_argument("--prefix", help="text the scanner sends before each code, removed")
    sub.add_argument("--suffix", help="text it sends after each code, removed")
    sub.add_argument("--none", action="store_true", help="this till has no serial scanner")
    sub.set_defaults(handler=setup)
    sub = actions.add_parser("scan-test", help="echo each accepted scan on its own line (Ctrl+C stops)", parents=[common])
    sub.add_argument("--port", help="the scanner's port (default: the till's setting scanner.port)")
    sub.add_argument("--baud", type=int, help="its speed (default: the till's setting, else 9600)")
    sub.set_defaults(handler=scan_test)
    printer_commands.add_parsers(actions, common)  # the receipt printer: setup-printer, printer-test
