"""`pos-loyalty central ...`: run the central service and mint its tokens."""

from __future__ import annotations

import argparse

from cli.till_commands import Context, Output


def serve(args: argparse.Namespace, _ctx: Context) -> Output:
    from central.serve import serve as run

    print(f"pos-loyalty central service on http://{args.host}:{args.port} (Ctrl+C stops it)", flush=True)
    run(args.db, args.host, args.port, args.workers)
    return Output({"stopped": True}, "Stopped.")


def create_tenant(args: argparse.Namespace, _ctx: Context) -> Output:
    from central.store.db import Store
    from central.store.migrate import upgrade
    from central.store.tenants import create_tenant as create

    store = Store(args.db)
    try:
        upgrade(store.engine)
        tenant = create(store, args.name, sample_config=args.sample_config)
    finally:
        store.dispose()
    doc = {
        "tenantId": tenant.tenant_id,
        "name": tenant.name,
        "adminToken": tenant.admin_token,
        "configVersion": tenant.config_version,
    }
    text = (
        f"Tenant {tenant.tenant_id} ({tenant.name}) created.\n"
        f"Admin token (shown only now; keep it safe): {tenant.admin_token}"
    )
    return Output(doc, text)


def add_device(args: argparse.Namespace, _ctx: Context) -> Output:
    from central.store.db import Store
    from central.store.migrate import upgrade
    from central.store.tenants import add_device as add

    store = Store(args.db)
    try:
        upgrade(store.engine)
        device = add(store, args.tenant, args.name)
    finally:
        store.dispose()
    doc = {
        "tenantId": device.tenant_id,
        "deviceId": device.device_id,
        "name": device.name,
        "deviceToken": device.token,
        "cardBlock": device.card_block,
    }
    text = (
        f"Device {device.device_id} ({device.name}) added to tenant {device.tenant_id}; "
        f"card numbers from block {device.card_block}.\n"
        f"Device token (shown only now; give it to the till's `pos-loyalty connect`): {device.token}"
    )
    return Output(doc, text)


def add_parsers(commands: argparse._SubParsersAction, common: argparse.ArgumentParser, parser_class) -> None:  # type: ignore[no-untyped-def]
    central = commands.add_parser("central", help="the central loyalty service", parents=[common])
    actions = central.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=parser_class)
    db_help = "the database: a SQLite file (default central.sqlite3) or postgresql://... (or POS_LOYALTY_CENTRAL_DB)"

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
