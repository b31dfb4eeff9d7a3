"""The till's own subcommands: `config`, `card`, `status` (`bill` is `cli/bill_commands.py`).

Each handler parses its arguments into the core's terms, calls one service, and returns
`Output`: the JSON document for `--json` and the sentence or table for people.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from cli import render
from pos_loyalty import card_csv, formatting, jsonio
from pos_loyalty.errors import InvalidInput, LoyaltyError
from pos_loyalty.replica.db import Replica
from pos_loyalty.services import cards, configuration, open_replica, rejections, settings, status


@dataclass
class Context:
    data_dir: Path
    operator: str
    _replica: Replica | None = None

    def __post_init__(self) -> None:
        render.use(formatting.Local())  # until the replica says the pharmacy's locale and zone

    @property
    def replica(self) -> Replica:
        if self._replica is None:
            self._replica = open_replica(self.data_dir)
            render.use(settings.local(self._replica))
        return self._replica

    def idle(self) -> None:
        """The command's work is done and shown: a good moment to checkpoint the WAL."""
        if self._replica is None:
            return
        try:
            self._replica.checkpoint()
        except Exception:  # the work is saved either way; the next idle moment will copy it
            logging.getLogger(__name__).warning("checkpoint skipped", exc_info=True)
        finally:
            self._replica.close()

    def close(self) -> None:
        """Close the replica if the command opened it (again after `idle` is harmless)."""
        if self._replica is not None:
            self._replica.close()


class Unavailable(Exception):
    """The command could not finish now (network, server); the user may try again: exit 1."""


@dataclass
class Output:
    doc: Any
    text: str


Handler = Callable[[argparse.Namespace, Context], Output]



# --- config -----------------------------------------------------------------------


def config_import(args: argparse.Namespace, ctx: Context) -> Output:
    """Part of a configuration, or all of it: what the file leaves out stays as it is."""
    document = _read_json(args.file)
    saved = configuration.save(ctx.replica, document, performed_by=ctx.operator, keep_missing=True)
    changes = [
        {"field": name, "before": saved.before.get(name), "after": value} for name, value in saved.after.items()
    ]
    if saved.changed:
        count = f"{len(changes)} change{'s' if len(changes) != 1 else ''}"
        lines = render.config_changes(saved.before, saved.after)
        text = f"Saved configuration version {saved.version} ({count}):\n" + "\n".join(f"  {line}" for line in lines)
    else:
        text = f"Nothing changed: the file holds what the configuration already is (version {saved.version})."
    return Output(
        {"version": saved.version, "changed": saved.changed, "changedFields": list(saved.fields), "changes": changes},
        text,
    )


def config_export(args: argparse.Namespace, ctx: Context) -> Output:
    document = configuration.export(ctx.replica)
    text = jsonio.dumps(document, indent=2)
    if args.out:
        _write_text(args.out, text + "\n")
        return Output(
            {"version": document["version"], "file": args.out},
            f"Wrote configuration version {document['version']} to {args.out}.",
        )
    return Output(document, text)


# --- card -------------------------------------------------------------------------


def card_issue(args: argparse.Namespace, ctx: Context) -> Output:
    issued = cards.issue(
        ctx.replica,
        name=args.name,
        phone=args.phone,
        email=args.email,
        referrer=args.referrer,
        number=args.number,
        customer_id=args.customer_id,
        performed_by=ctx.operator,
    )
    doc = issued.to_json()
    return Output(doc, "Issued.\n" + render.card(doc))


def card_show(args: argparse.Namespace, ctx: Context) -> Output:
    doc = cards.find(ctx.replica, args.card).to_json()
    return Output(doc, render.card(doc))


def card_update(args: argparse.Namespace, ctx: Context) -> Output:
    from pos_loyalty.services import card_details

    given = {key: getattr(args, key) for key in ("name", "phone", "email") if getattr(args, key) is not None}
    if args.active is not None:
        given["active"] = args.active
    if not given:
        raise InvalidInput("(card)", "Say what to change: --name, --phone, --email, --inactive or --active")
    doc = card_details.update(ctx.replica, args.card, performed_by=ctx.operator, **given).to_json()
    return Output(doc, render.card(doc))


def card_find(args: argparse.Namespace, ctx: Context) -> Output:
    found = [view.to_json() for view in cards.find_by_phone(ctx.replica, args.phone)]
    doc: Any = found[0] if len(found) == 1 else found
    return Output(doc, "\n\n".join(render.card(card) for card in found))


def card_history(args: argparse.Namespace, ctx: Context) -> Output:
    rows = cards.history(ctx.replica, args.card, limit=args.limit)
    return Output(rows, render.history(rows))


def card_adjust(args: argparse.Namespace, ctx: Context) -> Output:
    points = args.points.strip()
    doc = cards.adjust(ctx.replica, args.card, points, reason=args.reason, performed_by=ctx.operator).to_json()
    return Output(doc, f"Adjusted by {points} points.\n" + render.card(doc))


def card_replace(args: argparse.Namespace, ctx: Context) -> Output:
    from pos_loyalty.services import card_lifecycle

    doc = card_lifecycle.replace(ctx.replica, args.card, new_number=args.number, performed_by=ctx.operator).to_json()
    return Output(doc, f"Card {args.card.strip()} replaced by card {doc['cardNumber']}.\n" + render.card(doc))


def card_merge(args: argparse.Namespace, ctx: Context) -> Output:
    from pos_loyalty.services import card_lifecycle

    doc = card_lifecycle.merge(ctx.replica, args.keep, args.other, performed_by=ctx.operator).to_json()
    return Output(doc, f"Card {args.other.strip()} merged into card {doc['cardNumber']}.\n" + render.card(doc))


def card_barcode(args: argparse.Namespace, ctx: Context) -> Output:
    from devices import barcodes  # python-barcode stays out of the core and of start-up

    view = cards.find(ctx.replica, args.card)
    if Path(args.out).suffix.lower() == ".pdf":  # the printable card, as the counter app prints it
        from devices.card_sheet import write_card_sheet

        pharmacy = settings.read(ctx.replica)[settings.PHARMACY_NAME]
        path = write_card_sheet(view.card_number, view.customer_name, pharmacy, Path(args.out))
        doc = {"cardNumber": view.card_number, "symbology": barcodes.symbology_for(view.card_number), "file": str(path)}
        return Output(doc, f"Wrote the printable card of {view.card_number} to {path}.")
    written = barcodes.write_card_barcode(view.card_number, Path(args.out))
    doc = {"cardNumber": view.card_number, "symbology": written.symbology, "file": str(written.path)}
    return Output(doc, f"Wrote the {written.symbology} barcode of {view.card_number} to {written.path}.")


def card_import(args: argparse.Namespace, ctx: Context) -> Output:
    """Cards from an older system's CSV file, all or none; progress on stderr for a long file."""
    from pos_loyalty.services import card_import as importing

    done = importing.import_cards(ctx.replica, read_bytes(args.file), performed_by=ctx.operator, progress=progress)
    return Output(done.to_json(), render.imported(done.to_json()))


def card_export(args: argparse.Namespace, ctx: Context) -> Output:
    """Every card of this till in the import's columns: to --out, or standard output."""
    from pos_loyalty.services import card_import as importing

    return export_csv(args, importing.export_rows(ctx.replica))


def export_csv(args: argparse.Namespace, rows: Iterable[card_csv.ExportRow]) -> Output:
    """Cards as CSV in a file (--out) or as the command's output; --json needs --out."""
    if not args.out:
        if getattr(args, "json", False):
            raise InvalidInput("out", "--json needs --out FILE.csv: the cards themselves are CSV, not JSON")
        return Output(None, card_csv.written(rows).removesuffix("\n"))
    try:
        with open(args.out, "w", encoding="utf-8", newline="") as out:
            count = card_csv.write(rows, out, progress=progress)
    except OSError as error:
        raise InvalidInput("out", f"Cannot write {args.out}: {error.strerror or error}") from None
    return Output({"cards": count, "file": args.out}, f"Wrote {count:,} cards to {args.out}.")


def progress(message: str) -> None:
    """A long import's or export's progress, on stderr (stdout is the command's answer)."""
    print(f"pos-loyalty: {message}", file=sys.stderr, flush=True)


def read_bytes(name: str) -> bytes:
    """A file's bytes (`-`: standard input), or INVALID_INPUT saying why it cannot be read."""
    try:
        return sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    except OSError as error:
        raise InvalidInput("file", f"Cannot read {name}: {error.strerror or error}") from None


# --- the counter app ----------------------------------------------------------------


def counter_app(args: argparse.Namespace, ctx: Context) -> Output:
    from ui.app import CannotStart, NoScreen, run

    quit_after = int(args.quit_after * 1000) if args.quit_after else None
    try:
        code = run(
            ctx.data_dir, ctx.operator, demo=args.demo, quit_after_ms=quit_after,
            customer_display=getattr(args, "customer_display", False),
        )
    except NoScreen as error:
        raise Unavailable(str(error)) from None
    except CannotStart as problem:
        raise LoyaltyError(problem.code, str(problem)) from None
    return Output({"exitCode": code}, "The till was closed.")


# --- status -----------------------------------------------------------------------


def till_status(args: argparse.Namespace, ctx: Context) -> Output:
    doc = {"dataDir": str(ctx.data_dir), **status.status(ctx.replica)}
    from cli.rejected_commands import listed

    text = render.status(doc)
    if doc["tokenMissing"]:
        text += (
            "\n\nNOT syncing: this till has no device token here (a backup restored on another PC: backups never"
            f" hold it). Connect it again: pos-loyalty connect {doc['centralUrl']} --token TOKEN, with a token from"
            f" pos-loyalty central device-token --tenant {doc['tenantId']} --device {doc['deviceId']}."
        )
    if doc["rejectedMutations"]:
        doc["rejected"] = rejections.waiting(ctx.replica)
        text += (
            "\n\nNOT up to date: the central service rejected these changes; they wait for a manager"
            " (pos-loyalty rejected, or Ctrl+Y in the counter app):\n" + listed(doc["rejected"])
        )
    return Output(doc, text)


# --- parsing helpers --------------------------------------------------------------


def _read_json(name: str) -> Any:
    """A JSON file (or standard input) under the input rules the central service applies:
    no exponents, at most 30 digits, no key twice, no control characters, no deep nesting."""
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidInput("file", f"Cannot read {name}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise InvalidInput("file", f"{name} is not a UTF-8 text file") from None
    try:
        read = jsonio.loads_input(text)
    except jsonio.JsonError as error:
        raise InvalidInput("file", f"{name} is {error}") from None
    problem = read.problem()
    if problem is not None:
        field, message = problem
        raise InvalidInput(field, f"{name}: {message}")
    return read.document


def _write_text(name: str, text: str) -> None:
    try:
        Path(name).write_text(text, encoding="utf-8")
    except OSError as error:
        raise InvalidInput("out", f"Cannot write {name}: {error.strerror}") from None
