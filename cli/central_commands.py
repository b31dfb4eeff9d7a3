"""`pos-loyalty central ...`: run the central service and mint its tokens.

The database is `--db`, else `POS_LOYALTY_CENTRAL_DB`, else a SQLite file in the user's
data folder (`default_database`), never the folder the command happens to run in: a
second `create-tenant` from elsewhere must find the same pharmacies. Each command says
which database it used.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from cli.till_commands import Context, Output
from pos_loyalty.errors import InvalidInput
from pos_loyalty.replica import data_dir as folders

FILE_NAME = "central.sqlite3"


def default_database() -> Path:
    """`central.sqlite3` in the platform's user data folder for the central service, e.g.
    `~/.local/share/pos-loyalty-central/` (beside the till's `~/.local/share/pos-loyalty/`)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("pos-loyalty-central", appauthor=False)) / FILE_NAME


def database(args: argparse.Namespace) -> str:
    """The database URL (or file) this command uses; the default folder is made (0700)."""
    chosen = getattr(args, "db", None) or os.environ.get("POS_LOYALTY_CENTRAL_DB")
    if chosen:
        return chosen
    path = default_database()
    folders.make(path.parent)
    return str(path)


def shown(url: str) -> str:
    """The database for people: a file's path, or a URL without its password."""
    from central.store.db import database_url
    from sqlalchemy.engine import make_url

    full = make_url(database_url(url))
    if full.get_backend_name() == "sqlite":
        return str(full.database)
    return full.render_as_string(hide_password=True)


def serve(args: argparse.Namespace, _ctx: Context) -> Output:
    from central.serve import serve as run

    db = database(args)
    print(f"pos-loyalty central service on http://{args.host}:{args.port}, database {shown(db)} (Ctrl+C stops it)", flush=True)
    run(db, args.host, args.port, args.workers)
    return Output({"stopped": True}, "Stopped.")


def create_tenant(args: argparse.Namespace, _ctx: Context) -> Output:
    from central.store.tenants import create_tenant as create

    db = database(args)
    tenant = _with_store(db, lambda store: create(store, args.name, sample_config=args.sample_config))
    doc = {
        "tenantId": tenant.tenant_id,
        "name": tenant.name,
        "adminToken": tenant.admin_token,
        "configVersion": tenant.config_version,
        "database": shown(db),
    }
    text = (
        f"Tenant {tenant.tenant_id} ({tenant.name}) created in {shown(db)}.\n"
        f"Admin token (shown only now; keep it safe): {tenant.admin_token}"
    )
    return Output(doc, text)


def add_device(args: argparse.Namespace, _ctx: Context) -> Output:
    from central.store.tenants import add_device as add

    db = database(args)
    device = _with_store(db, lambda store: add(store, args.tenant, args.name))
    doc = {
        "tenantId": device.tenant_id,
        "deviceId": device.device_id,
        "name": device.name,
        "deviceToken": device.token,
        "cardBlock": device.card_block,
        "database": shown(db),
    }
    text = (
        f"Device {device.device_id} ({device.name}) added to tenant {device.tenant_id} in {shown(db)}; "
        f"card numbers from block {device.card_block}.\n"
        f"Device token (shown only now; give it to the till's `pos-loyalty connect`): {device.token}"
    )
    return Output(doc, text)


def device_token(args: argparse.Namespace, _ctx: Context) -> Output:
    """A new token for a till the service knows (restored on a new PC, or its token lost);
    its earlier tokens stop working unless --keep-others."""
    db = database(args)
    from central.store.tenants import new_device_token

    made = _with_store(db, lambda store: new_device_token(store, args.tenant, args.device, revoke_others=not args.keep_others))
    doc = {
        "tenantId": args.tenant,
        "deviceId": args.device,
        "name": made.name,
        "deviceToken": made.token,
        "revoked": made.revoked,
        "database": shown(db),
    }
    plural = made.revoked != 1
    revoked = f" Its earlier token{'s' if plural else ''} ({made.revoked}) no longer work{'' if plural else 's'}." if made.revoked else ""
    text = (
        f"New token for device {args.device} ({made.name}) of tenant {args.tenant} in {shown(db)}.{revoked}\n"
        f"Device token (shown only now; give it to that till's `pos-loyalty connect`): {made.token}"
    )
    return Output(doc, text)


def import_cards(args: argparse.Namespace, ctx: Context) -> Output:
    """A CSV file of cards into one pharmacy, straight into the database: all rows or none."""
    from central.store import card_import
    from cli import render
    from cli.till_commands import progress, read_bytes
    from pos_loyalty import card_csv

    data = read_bytes(args.file)
    db = database(args)
    parsed = card_csv.read(data, progress=progress)

    def work(unit):  # type: ignore[no-untyped-def]
        card_import.require_tenant(unit)
        return card_import.import_cards(unit, parsed, performed_by=f"cli:{ctx.operator}", progress=progress)

    done = _with_store(db, lambda store: store.run(work, write=True, tenant_id=args.tenant))
    doc = {"tenantId": args.tenant, **done.to_json(), "database": shown(db)}
    return Output(doc, f"Tenant {args.tenant} in {shown(db)}: {render.imported(done.to_json())}")


def export_cards(args: argparse.Namespace, _ctx: Context) -> Output:
    """Every card of one pharmacy in the import's columns: to --out, or standard output."""
    from central.store import card_import
    from cli.till_commands import export_csv

    def work(unit):  # type: ignore[no-untyped-def]
        card_import.require_tenant(unit)
        return list(card_import.export_rows(unit))

    rows = _with_store(database(args), lambda store: store.run(work, write=False, tenant_id=args.tenant, snapshot=True))
    return export_csv(args, rows)


def _with_store(db: str, work):  # type: ignore[no-untyped-def]
    from central.store.db import Store
    from central.store.migrate import upgrade

    store = Store(db)
    try:
        upgrade(store.engine)
        return work(store)
    finally:
        store.dispose()


def add_parsers(commands: argparse._SubParsersAction, common: argparse.ArgumentParser, parser_class) -> None:  # type: ignore[no-untyped-def]
    central = commands.add_parser("central", help="the central loyalty service", parents=[common])
    actions = central.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=parser_class)
    db_help = (
        "the database: a SQLite file or postgresql://... (default: POS_LOYALTY_CENTRAL_DB, else "
        f"{_default_shown()})"
    )

    sub = actions.add_parser("serve", help="run the service", parents=[common])
    sub.add_argument("--db", help=db_help)
    sub.add_argument("--host", default="127.0.0.1")
    sub.add_argument("--port", type=int, default=8089)
    sub.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    sub.set_defaults(handler=serve)

    sub = actions.add_parser("create-tenant", help="add a pharmacy; prints its admin token once", parents=[common])
    sub.add_argument("--db", help=db_help)
    sub.add_argument("--name", required=True)
    sub.add_argument("--sample-config", action="store_true", help="start from seed 002's sample configuration")
    sub.set_defaults(handler=create_tenant)

    sub = actions.add_parser("add-device", help="add a till; prints its device token once", parents=[common])
    sub.add_argument("--db", help=db_help)
    sub.add_argument("--tenant", type=int, required=True)
    sub.add_argument("--name", required=True)
    sub.set_defaults(handler=add_device)

    sub = actions.add_parser(
        "device-token",
        help="a new token for a till already added (restored on a new PC); prints it once",
        parents=[common],
    )
    sub.add_argument("--db", help=db_help)
    sub.add_argument("--tenant", type=int, required=True)
    sub.add_argument("--device", type=int, required=True, help="the till's device id (pos-loyalty status on the till)")
    sub.add_argument("--keep-others", action="store_true", help="leave the till's earlier tokens working")
    sub.set_defaults(handler=device_token)

    sub = actions.add_parser(
        "import-cards", help="cards with opening balances from a CSV file into a pharmacy, all or none", parents=[common]
    )
    sub.add_argument("--db", help=db_help)
    sub.add_argument("--tenant", type=int, required=True)
    sub.add_argument("file", metavar="FILE.csv", help="the columns of `card import`; - for standard input")
    sub.set_defaults(handler=import_cards)

    sub = actions.add_parser("export-cards", help="every card of a pharmacy as CSV (the import's columns)", parents=[common])
    sub.add_argument("--db", help=db_help)
    sub.add_argument("--tenant", type=int, required=True)
    sub.add_argument("--out", metavar="FILE.csv", help="write it to this file instead")
    sub.set_defaults(handler=export_cards)

    sub = actions.add_parser("expire", help="write the EXPIRED rows due (central serve does it daily)", parents=[common])
    sub.add_argument("--db", help=db_help)
    sub.add_argument("--as-of", metavar="ISO-8601", help="expire what was due at this time (default: now)")
    sub.set_defaults(handler=expire)
    _add_staff_parsers(actions, common, parser_class, db_help)


def expire(args: argparse.Namespace, _ctx: Context) -> Output:
    """The EXPIRED rows due as of --as-of (default now), every pharmacy; safe to repeat."""
    from central.store.expiry import expire_all
    from pos_loyalty.amounts import points

    as_of = _moment(args.as_of) if args.as_of else None
    db = database(args)
    runs = _with_store(db, lambda store: expire_all(store, as_of))
    doc = {
        "asOf": as_of,
        "database": shown(db),
        "tenants": [{"tenantId": r.tenant_id, "cards": r.cards, "pointsExpired": points(r.points)} for r in runs],
    }
    done = [r for r in runs if r.points]
    lines = [f"Tenant {r.tenant_id}: {points(r.points)} points expired on {r.cards} cards." for r in done]
    return Output(doc, "\n".join(lines) or f"Nothing to expire ({len(runs)} pharmacies looked at).")


def _moment(text: str):  # type: ignore[no-untyped-def]
    """An ISO-8601 time (a date is its midnight), as UTC without a zone, as the database keeps it."""
    from datetime import datetime, timezone

    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput("--as-of", f"--as-of {text!r} is not an ISO-8601 time (2026-12-31 or 2026-12-31T18:00:00Z)") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def _default_shown() -> str:
    try:
        return str(default_database())
    except Exception:  # platformdirs cannot say (no HOME): the help still prints
        return "central.sqlite3 in the user's data folder"


# --- staff accounts of the head office console (central/console/staff.py) -------------------


def _add_staff_parsers(actions, common, parser_class, db_help: str) -> None:  # type: ignore[no-untyped-def]
    staff = actions.add_parser("staff", help="the head office console's staff accounts", parents=[common])
    steps = staff.add_subparsers(dest="staff_action", metavar="ACTION", required=True, parser_class=parser_class)
    password_help = "read the password from the first line of standard input (else it is asked for twice)"
    for name, handler, words in (
        ("add", staff_add, "a person who may sign in to the console for a pharmacy"),
        ("list", staff_list, "the pharmacy's staff accounts"),
        ("remove", staff_remove, "remove an account; its sessions end"),
        ("password", staff_password, "a new password for an account; its sessions end"),
    ):
        sub = steps.add_parser(name, help=words, parents=[common])
        sub.add_argument("--db", help=db_help)
        sub.add_argument("--tenant", type=int, required=True)
        if name != "list":
            sub.add_argument("--login", required=True, help="what the person types to sign in (unique in the database)")
        if name == "add":
            sub.add_argument("--name", required=True, help="the person's name, as pages and history show it")
        if name in ("add", "password"):
            sub.add_argument("--password-stdin", action="store_true", help=password_help)
        sub.set_defaults(handler=handler)


def _password(args: argparse.Namespace) -> str:
    import getpass
    import sys

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise InvalidInput("--password-stdin", "No terminal to ask for the password: give --password-stdin and pipe it in")
    first = getpass.getpass("Password: ")
    if getpass.getpass("The same again: ") != first:
        raise InvalidInput("password", "The two passwords differ; nothing was changed")
    return first


def staff_add(args: argparse.Namespace, _ctx: Context) -> Output:
    from central.console import staff

    db, password = database(args), _password(args)
    made = _with_store(db, lambda store: staff.add(store, args.tenant, args.login, args.name, password))
    text = f"Staff account {made.login} ({made.name}) added to tenant {made.tenant_id} in {shown(db)}; it signs in at /console/."
    return Output(made.to_json() | {"database": shown(db)}, text)


def staff_list(args: argparse.Namespace, _ctx: Context) -> Output:
    from central.console import staff

    db = database(args)
    found = _with_store(db, lambda store: staff.listing(store, args.tenant))
    lines = [f"{s.login:24} {s.name} (password set {s.password_changed_at:%Y-%m-%d %H:%M} UTC)" for s in found]
    return Output({"tenantId": args.tenant, "staff": [s.to_json() for s in found]}, "\n".join(lines) or "No staff accounts.")


def staff_remove(args: argparse.Namespace, _ctx: Context) -> Output:
    from central.console import staff

    db = database(args)
    gone = _with_store(db, lambda store: staff.remove(store, args.tenant, args.login))
    return Output({"removed": gone.to_json()}, f"Staff account {gone.login} removed; its console sessions have ended.")


def staff_password(args: argparse.Namespace, _ctx: Context) -> Output:
    from central.console import staff

    db, password = database(args), _password(args)
    done = _with_store(db, lambda store: staff.set_password(store, args.tenant, args.login, password))
    return Output({"changed": done.to_json()}, f"New password for {done.login}; its console sessions have ended.")

