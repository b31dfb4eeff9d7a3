"""`pos-loyalty backup` and `pos-loyalty restore`: the till's replica, copied out and back."""

from __future__ import annotations

import argparse
import sys
import time

from cli.till_commands import Context, Output
from pos_loyalty.errors import LoyaltyError
from pos_loyalty.services import backup as backups

BUSY = "TILL_BUSY"


def counted(number: int, noun: str) -> str:
    """`counted(1, "bill")` is "1 bill", `counted(2, "bill")` "2 bills"."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def backup(args: argparse.Namespace, ctx: Context) -> Output:
    """Safe while the counter app and the sync daemon run."""
    replica = ctx.replica
    size = replica.path.stat().st_size
    print(f"Backing up {replica.path} ({size / 1e6:.1f} MB)...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    written = backups.backup(replica, args.file, keep=args.keep)
    seconds = time.perf_counter() - started
    return Output(
        {**written.to_json(), "milliseconds": round(seconds * 1000)},
        f"Backed up to {written.path}: {counted(written.cards, 'card')}, {counted(written.bills, 'bill')}, "
        f"{counted(written.pending, 'change')} not yet sent ({written.size_bytes / 1e6:.1f} MB in {seconds:.1f} s).",
    )


def restore(args: argparse.Namespace, ctx: Context) -> Output:
    from sync.lock import APP, SYNC, SyncLock

    held = []
    try:
        for name, who in ((SYNC, "the sync daemon or the counter app's sync"), (APP, "the counter app")):
            lock = SyncLock(ctx.data_dir, name)
            if not lock.acquire():
                raise LoyaltyError(
                    BUSY,
                    f"{who.capitalize()} is using this till (process {lock.holder() or '?'}): close the counter app "
                    "and stop the sync daemon (systemctl stop pos-loyalty-sync), then restore.",
                )
            held.append(lock)
        print(f"Restoring {args.file} into {ctx.data_dir}...", file=sys.stderr, flush=True)
        done = backups.restore(ctx.data_dir, args.file, discard_newer=args.discard_newer)
    finally:
        for lock in held:
            lock.release()
    restored = done.restored
    kept = f" The replica as it was is in {done.safety_copy}." if done.safety_copy else ""
    dropped = f" {counted(done.discarded, 'unsent change')} dropped (kept in that copy)." if done.discarded else ""
    return Output(
        {**restored.to_json(), "safetyCopy": str(done.safety_copy) if done.safety_copy else None,
         "discarded": done.discarded},
        f"Restored {args.file}: {counted(restored.cards, 'card')}, {counted(restored.bills, 'bill')}, "
        f"{counted(restored.pending, 'change')} waiting to be sent.{kept}{dropped}",
    )


def add_parsers(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    sub = commands.add_parser("backup", help="copy the till's data to FILE (safe while the app and sync run)",
                              parents=[common])
    sub.add_argument("file", metavar="FILE", help="the backup file, or a folder for a dated file in it")
    sub.add_argument("--keep", type=int, metavar="N", help="with a folder: keep only its N newest dated backups")
    sub.set_defaults(handler=backup)
    sub = commands.add_parser("restore", help="put a backup back (the app and the sync daemon stopped)", parents=[common])
    sub.add_argument("file", metavar="FILE")
    sub.add_argument("--discard-newer", action="store_true",
                     help="drop this till's unsent changes that the backup lacks (kept in the safety copy)")
    sub.set_defaults(handler=restore)
