"""`pos-loyalty rejected`: the changes the central service rejected, and what a manager does
about them (`pos_loyalty/services/rejections.py`)."""

from __future__ import annotations

import argparse
from typing import Any

from cli import render
from cli.till_commands import Context, Output
from pos_loyalty.services import rejections


def listed(rows: list[dict[str, Any]]) -> str:
    """One line a change: its number, what it was, and why the service refused it."""
    return "\n".join(
        f"  #{r['deviceSeq']} {render.when(r['createdAt'], seconds=False)}  {r['what']}\n"
        f"      rejected: {r['errorMessage']} ({r['errorCode']})"
        for r in rows
    )


def list_rejected(_args: argparse.Namespace, ctx: Context) -> Output:
    rows = rejections.waiting(ctx.replica)
    if not rows:
        return Output({"rejected": []}, "The central service has rejected nothing that waits for a manager.")
    text = f"{len(rows)} change{'s' if len(rows) != 1 else ''} rejected by the central service, waiting for a manager:\n"
    text += listed(rows)
    text += "\n\nSend one again (after the service is upgraded): pos-loyalty rejected resend N"
    text += "\nOr settle it: pos-loyalty rejected settle N --note TEXT [--adjust POINTS]"
    return Output({"rejected": rows}, text)


def resend(args: argparse.Namespace, ctx: Context) -> Output:
    done = rejections.resend(ctx.replica, args.number, note=args.note, performed_by=ctx.operator)
    return Output(done, f"Change #{args.number} is queued again as #{done['resentAs']}; the next sync sends it.")


def settle(args: argparse.Namespace, ctx: Context) -> Output:
    adjust = args.adjust.strip() if args.adjust is not None else None  # as typed; the core reads 0-9 only
    done = rejections.settle(
        ctx.replica, args.number, note=args.note, performed_by=ctx.operator, adjust=adjust, card_number=args.card
    )
    text = f"Change #{args.number} is settled: it stays unsent."
    if "newBalance" in done:
        text += f" Card {done['cardNumber']} was adjusted; its balance is now {render.figure(done['newBalance'])}."
    return Output(done, text)


def add_parsers(commands: argparse._SubParsersAction, common: argparse.ArgumentParser, parser_class) -> None:  # type: ignore[no-untyped-def]
    group = commands.add_parser("rejected", help="changes the central service rejected, for a manager", parents=[common])
    actions = group.add_subparsers(dest="action", metavar="ACTION", parser_class=parser_class)
    group.set_defaults(handler=list_rejected)
    sub = actions.add_parser("list", help="the rejected changes, each in words, with the reason", parents=[common])
    sub.set_defaults(handler=list_rejected)
    sub = actions.add_parser("resend", help="queue a rejected change again (after the service is upgraded)", parents=[common])
    sub.add_argument("number", type=int, metavar="N", help="the change's number (#N in the list)")
    sub.add_argument("--note", help="why (recorded)")
    sub.set_defaults(handler=resend)
    sub = actions.add_parser("settle", help="leave a rejected change unsent, with a note (and an adjustment)", parents=[common])
    sub.add_argument("number", type=int, metavar="N", help="the change's number (#N in the list)")
    sub.add_argument("--note", required=True, help="what was done about it (recorded)")
    sub.add_argument("--adjust", metavar="POINTS", help="also adjust the change's card by these points")
    sub.add_argument("--card", help="the card to adjust, when the change names none")
    sub.set_defaults(handler=settle)
