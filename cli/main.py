"""`pos-loyalty`: the one command for the till, the sync daemon and the central service.

Exit status: 0 done; 2 a user error (bad input, unknown card, too few points...), with
`{"error": {"code", "message"}}` on stderr under `--json` and a plain sentence
otherwise; 1 when the machine let us down (disk full, replica locked) or a bug, with
the traceback in the log file, never on the screen.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import logging.handlers
import os
import sqlite3
import sys
from pathlib import Path
from typing import NoReturn

from sqlalchemy.exc import OperationalError

from cli import backup_commands, bill_commands, central_commands, device_commands, rejected_commands, sync_commands
from cli import report_commands
from cli import till_commands as till
from pos_loyalty import __version__, jsonio
from pos_loyalty.errors import INVALID_INPUT, LoyaltyError
from pos_loyalty.replica import data_dir as folders

log = logging.getLogger("pos_loyalty.cli")

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USER_ERROR = 2


class UsageError(LoyaltyError):
    def __init__(self, message: str) -> None:
        super().__init__(INVALID_INPUT, message, field="arguments")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def default_data_dir() -> Path:
    env = os.environ.get("POS_LOYALTY_HOME")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("pos-loyalty", appauthor=False))


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: the option may come before or after the subcommand without one hiding the other.
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
    common.add_argument(
        "--data-dir", default=argparse.SUPPRESS, help="the till's data folder (or POS_LOYALTY_HOME)"
    )
    common.add_argument(
        "--operator", default=argparse.SUPPRESS, help="who is at the till (recorded on each row)"
    )
    parser = _Parser(
        prog="pos-loyalty",
        description="Loyalty cards at the pharmacy counter.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"pos-loyalty {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def group(name: str, help_text: str) -> argparse._SubParsersAction:
        sub = commands.add_parser(name, help=help_text, parents=[common])
        return sub.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=_Parser)

    def command(where: argparse._SubParsersAction, name: str, handler: till.Handler, help_text: str):  # type: ignore[no-untyped-def]
        sub = where.add_parser(name, help=help_text, description=help_text, parents=[common])
        sub.set_defaults(handler=handler)
        return sub

    config = group("config", "the pharmacy's loyalty configuration")
    command(config, "import", till.config_import, "validate and save a configuration file").add_argument(
        "file", help="a JSON file as in seed 002 (plus tiers); - for standard input"
    )
    command(config, "export", till.config_export, "print the current configuration").add_argument(
        "--out", help="write it to this file instead"
    )

    card = group("card", "loyalty cards")
    issue = command(card, "issue", till.card_issue, "issue a new card")
    issue.add_argument("--name", required=True, help="customer's name")
    issue.add_argument("--phone", required=True, help="customer's phone (one card per phone)")
    issue.add_argument("--email")
    issue.add_argument("--referrer", metavar="CARD", help="the card of the customer who referred them")
    issue.add_argument("--number", metavar="CARD", help="a pre-printed card's number")
    issue.add_argument("--customer-id", help="the customer's id in the billing system")
    command(card, "show", till.card_show, "one card with balance, totals, tier").add_argument("card")
    update = command(card, "update", till.card_update, "change a customer's details, or close or reopen the card")
    update.add_argument("card")
    update.add_argument("--name")
    update.add_argument("--phone")
    update.add_argument("--email", help="the new email ('' to remove it)")
    update.add_argument("--inactive", dest="active", action="store_false", default=None, help="close the card")
    update.add_argument("--active", dest="active", action="store_true", help="open a closed card again")
    command(card, "find", till.card_find, "find the card of a phone number").add_argument(
        "--phone", required=True
    )
    history = command(card, "history", till.card_history, "a card's points movements, newest first")
    history.add_argument("card")
    history.add_argument("--limit", type=int, default=100, help="at most this many rows (100)")
    adjust = command(card, "adjust", till.card_adjust, "a manager's adjustment of a balance")
    adjust.add_argument("card")
    adjust.add_argument("points", help="points to add (negative to take away)")
    adjust.add_argument("--reason", required=True)
    replace = command(card, "replace", till.card_replace, "a lost card replaced: everything it had moves to a new card")
    replace.add_argument("card")
    replace.add_argument("--number", metavar="NEW", help="a pre-printed card's number (else the till's next)")
    merge = command(card, "merge", till.card_merge, "two cards of one customer made one")
    merge.add_argument("keep", help="the card the customer keeps")
    merge.add_argument("other", help="the card whose points move to it")
    command(card, "import", till.card_import, "cards with opening balances from a CSV file, all or none").add_argument(
        "file", metavar="FILE.csv", help="columns cardNumber, customerName, customerPhone, customerEmail, customerId, "
        "points, referrerCardNumber (a header row; commas or semicolons); - for standard input"
    )
    command(card, "export", till.card_export, "every card of this till as CSV (the import's columns)").add_argument(
        "--out", metavar="FILE.csv", help="write it to this file instead"
    )
    barcode = command(card, "barcode", till.card_barcode, "the card's barcode (SVG, PNG) or printable card (PDF)")
    barcode.add_argument("card")
    barcode.add_argument("--out", required=True, metavar="FILE.svg|FILE.png|FILE.pdf")

    counter = command(commands, "till", till.counter_app, "the counter app (the default)")
    counter.add_argument("--demo", action="store_true", help="fill an empty data folder with a sample pharmacy first")
    counter.add_argument("--quit-after", type=float, metavar="SECONDS", help=argparse.SUPPRESS)
    counter.add_argument(
        "--customer-display", action="store_true",
        help="show the customer display now: on a second screen if there is one, else in a window",
    )
    command(commands, "status", till.till_status, "replica and queue: pending, rejected, last sync")
    bill_commands.add_parsers(commands, common, _Parser)
    sync_commands.add_parsers(commands, common)
    device_commands.add_parsers(commands, common, _Parser)
    backup_commands.add_parsers(commands, common)
    rejected_commands.add_parsers(commands, common, _Parser)
    report_commands.add_parsers(commands, common, _Parser)
    central_commands.add_parsers(commands, common, _Parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    as_json = "--json" in arguments
    try:
        args = build_parser().parse_args(arguments)
    except LoyaltyError as error:
        return _user_error(error, as_json)
    as_json = getattr(args, "json", False)
    data_dir = Path(getattr(args, "data_dir", None) or default_data_dir())
    handler = getattr(args, "handler", None)
    if handler is None:  # plain `pos-loyalty`: the counter app
        args = build_parser().parse_args([*arguments, "till"])
        handler = args.handler
    log_file = _start_log(data_dir)
    context = till.Context(data_dir=data_dir, operator=getattr(args, "operator", None) or _operator())
    try:
        return _run(handler, args, context, as_json, log_file)
    finally:
        context.close()  # an error's too: a process calling main() again must not pile up open files


def _run(handler: till.Handler, args: argparse.Namespace, context: till.Context, as_json: bool, log_file: Path | None) -> int:
    try:
        output = handler(args, context)
    except LoyaltyError as error:
        log.info("user error %s: %s", error.code, error.message)
        return _user_error(error, as_json)
    except till.Unavailable as error:
        log.warning("unavailable: %s", error)
        return _failure(str(error), None, as_json, "UNAVAILABLE")
    except (OperationalError, sqlite3.OperationalError) as error:
        log.exception("replica unavailable")
        return _failure(_environment_message(error), log_file, as_json, "REPLICA_UNAVAILABLE")
    except OSError as error:
        log.exception("operating system error")
        where = f" ({error.filename})" if error.filename else ""
        return _failure(f"The system refused: {error.strerror or error}{where}.", log_file, as_json, "ENVIRONMENT")
    except Exception:  # a bug: one sentence here, the traceback in the log
        log.exception("unexpected error")
        return _failure("Something went wrong inside pos-loyalty.", log_file, as_json, "INTERNAL")
    try:
        print(jsonio.dumps(output.doc, indent=2) if as_json else output.text, flush=True)
    except BrokenPipeError:  # `pos-loyalty status | head`: the reader has had enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    context.idle()
    return EXIT_OK


def _user_error(error: LoyaltyError, as_json: bool) -> int:
    if as_json:
        print(jsonio.dumps(error.to_json()), file=sys.stderr)
    else:
        print(f"pos-loyalty: {error.message}", file=sys.stderr)
    return EXIT_USER_ERROR


def _failure(message: str, log_file: Path | None, as_json: bool, code: str) -> int:
    where = f" Details are in {log_file}." if log_file else ""
    if as_json:
        print(jsonio.dumps({"error": {"code": code, "message": message + where}}), file=sys.stderr)
    else:
        print(f"pos-loyalty: {message}{where}", file=sys.stderr)
    return EXIT_FAILURE


def _environment_message(error: Exception) -> str:
    text = str(error).lower()
    if "locked" in text or "busy" in text:
        return "The till's data is busy in another program; try again in a moment."
    if "full" in text:
        return "The disk is full: free some space; nothing was saved."
    if "readonly" in text or "read-only" in text:
        return "The till's data folder is read-only; nothing was saved."
    return "The till's data file could not be used; nothing was saved."


def _operator() -> str:
    try:
        return os.environ.get("POS_LOYALTY_OPERATOR") or getpass.getuser()
    except Exception:
        return "till"


def _start_log(data_dir: Path) -> Path | None:
    """Log to data_dir/logs/pos-loyalty.log (rotating); carry on without a log if we can't."""
    try:
        logs = folders.make(data_dir) / "logs"
        logs.mkdir(exist_ok=True)
        path = logs / "pos-loyalty.log"
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=5_000_000, backupCount=5, encoding="utf-8"
        )
    except OSError:
        # No log file: keep tracebacks off the screen all the same.
        logging.getLogger().addHandler(logging.NullHandler())
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "pos_loyalty_log", False)]:
        root.removeHandler(old)
        old.close()
    handler.pos_loyalty_log = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return path


if __name__ == "__main__":
    sys.exit(main())
