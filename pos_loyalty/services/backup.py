"""Backing up a till's replica, and restoring one, with SQLite's online backup.

A backup is a consistent copy of the replica taken in one read transaction: the app and
the sync daemon carry on selling and syncing while it is made (WAL readers never block
writers). The copy is written beside its target and renamed into place, so a backup
cut short never replaces a good one, and it is a single self-contained file.

A restore puts a backup's contents into the live replica through the same backup API,
so any process that has the replica open sees the restored data at its next
transaction, never a half-copied file. Before anything is replaced, the current replica
is copied to `DATA_DIR/backups/`. A restore refuses:

- a file that is not a replica, is damaged, or was written by a newer pos-loyalty;
- a backup of another pharmacy (tenant) or of another till (device);
- a backup taken before this till was connected, onto a connected till (its sales
  would be sent to the central service a second time);
- to drop changes this till has not yet sent to the central service and the backup
  does not hold, unless told to (`discard_newer`; they stay in the safety copy).

The restored till numbers its next change after every number the current one used, so
the central service never mistakes a new sale for one it already has.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pos_loyalty import errors
from pos_loyalty.errors import InvalidInput, LoyaltyError
from pos_loyalty.replica import data_dir as folders, migrate
from pos_loyalty.replica.db import FILE_NAME, Replica
from pos_loyalty.services import outbox
from pos_loyalty.services.central_link import DEVICE_ID, TENANT, URL

SQLITE_HEADER = b"SQLite format 3\x00"
REPLICA_TABLES = {"alembic_version", "cards", "ledger", "bills", "outbox", "sync_state", "till_settings"}
BACKUPS = "backups"


@dataclass(frozen=True)
class ReplicaFile:
    """What a replica file holds, read without changing it."""

    path: Path
    revision: str
    tenant_id: str | None
    device_id: str | None
    connected: bool
    cards: int
    bills: int
    pending: int  # outbox changes the central service has not acknowledged
    next_device_seq: int
    highest_acknowledged_seq: int
    size_bytes: int
    next_bill_number: int = 1  # the next bill's short number (1 in a file from before 0008)

    def to_json(self) -> dict[str, object]:
        return {
            "file": str(self.path),
            "schemaRevision": self.revision,
            "tenantId": self.tenant_id,
            "deviceId": self.device_id,
            "cards": self.cards,
            "bills": self.bills,
            "pendingMutations": self.pending,
            "sizeBytes": self.size_bytes,
        }


@dataclass(frozen=True)
class Restored:
    restored: ReplicaFile
    safety_copy: Path | None  # the replica as it was before, in DATA_DIR/backups
    discarded: int  # unsent changes dropped (only with discard_newer)


def describe(path: Path | str, field: str = "file", *, checked: bool = False) -> ReplicaFile:
    """The replica in `path`, checked: InvalidInput (or REPLICA_TOO_NEW) if it is not one
    this version can use. `checked`: its pages were just checked (`_copy` made it), so
    the integrity check, which reads the whole file, is not run again."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(field, f"No file {path}")
    with path.open("rb") as handle:
        if handle.read(16) != SQLITE_HEADER:
            raise InvalidInput(field, f"{path} is not a till's backup (it is not an SQLite database)")
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise InvalidInput(field, f"Cannot open {path}: {error}") from None
    try:
        return _describe(connection, path, field, checked)
    except sqlite3.DatabaseError as error:
        raise InvalidInput(field, f"{path} is damaged ({error}); use another backup") from None
    finally:
        connection.close()


def _describe(connection: sqlite3.Connection, path: Path, field: str, checked: bool) -> ReplicaFile:
    problems = [("ok",)] if checked else connection.execute("PRAGMA quick_check").fetchall()
    if problems != [("ok",)]:
        raise InvalidInput(field, f"{path} is damaged ({problems[0][0]}); use another backup")
    names = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not REPLICA_TABLES <= names:
        raise InvalidInput(field, f"{path} is an SQLite database, but not a pos-loyalty till's replica")
    (revision,) = connection.execute("SELECT version_num FROM alembic_version").fetchone() or (None,)
    if revision is None:
        raise InvalidInput(field, f"{path} has no schema version: it is not a finished replica")
    if not migrate.is_known(revision):
        raise LoyaltyError(
            errors.REPLICA_TOO_NEW,
            f"{path} was written by a newer pos-loyalty (schema {revision}); install that version or newer to restore it",
            schemaRevision=revision,
        )
    settings = dict(connection.execute("SELECT key, value FROM till_settings"))
    next_seq, acknowledged = connection.execute("SELECT next_device_seq, last_applied_seq FROM sync_state").fetchone()
    numbered = "next_bill_number" in {row[1] for row in connection.execute("PRAGMA table_info(sync_state)")}
    (next_bill,) = connection.execute("SELECT next_bill_number FROM sync_state").fetchone() if numbered else (1,)
    (highest_acked,) = connection.execute(
        "SELECT coalesce(max(device_seq), 0) FROM outbox WHERE status != ?", (outbox.PENDING,)
    ).fetchone()
    return ReplicaFile(
        path=path,
        revision=revision,
        tenant_id=settings.get(TENANT),
        device_id=settings.get(DEVICE_ID),
        connected=URL in settings,
        cards=connection.execute("SELECT count(*) FROM cards").fetchone()[0],
        bills=connection.execute("SELECT count(*) FROM bills").fetchone()[0],
        pending=connection.execute("SELECT count(*) FROM outbox WHERE status = ?", (outbox.PENDING,)).fetchone()[0],
        next_device_seq=next_seq,
        highest_acknowledged_seq=max(acknowledged, highest_acked),
        size_bytes=path.stat().st_size,
        next_bill_number=next_bill,
    )


DATED = "pos-loyalty-*.sqlite3"  # the backups made into a folder


def backup(replica: Replica, target: Path | str, *, keep: int | None = None) -> ReplicaFile:
    """Copy the live replica to `target`: a file, or a folder for a dated file in it, of
    which only the `keep` newest are kept (older dated backups there are deleted once
    this one is complete)."""
    target = Path(target)
    folder = target if target.is_dir() else None
    if keep is not None and (folder is None or keep < 1):
        raise InvalidInput("keep", "--keep needs a folder to back up into, and a number of backups of at least 1")
    if folder is not None:
        target = _dated(folder)
    if target.resolve() in {replica.path.resolve(), *(Path(f"{replica.path}{s}").resolve() for s in ("-wal", "-shm"))}:
        raise InvalidInput("file", "A backup must go to another file than the replica itself")
    _copy(replica.path, target)
    made = describe(target, checked=True)
    if folder is not None and keep is not None:
        for old in sorted(folder.glob(DATED), key=_age, reverse=True)[keep:]:
            old.unlink(missing_ok=True)
    return made


def _age(path: Path) -> tuple[str, int]:
    """Order of dated backups: pos-loyalty-DATE-TIME.sqlite3, then -002, -003... of that second."""
    parts = path.name.removeprefix("pos-loyalty-").removesuffix(".sqlite3").split("-")
    count = parts[2] if len(parts) > 2 else ""
    return "-".join(parts[:2]), int(count) if count.isdigit() else 1


def _dated(folder: Path) -> Path:
    """A new file name in `folder` that sorts after every earlier dated backup."""
    stamp = f"{datetime.now():%Y%m%d-%H%M%S}"
    same_second = [count for when, count in map(_age, folder.glob(f"pos-loyalty-{stamp}*.sqlite3")) if when == stamp]
    if not same_second:
        return folder / f"pos-loyalty-{stamp}.sqlite3"
    return folder / f"pos-loyalty-{stamp}-{max(same_second) + 1:03d}.sqlite3"  # after the last of that second


def restore(data_dir: Path | str, source: Path | str, *, discard_newer: bool = False) -> Restored:
    """Put the backup `source` into the till's replica in `data_dir` (see the module's doc).

    The caller makes sure no sync runs meanwhile (the CLI holds the sync lock)."""
    data_dir = Path(data_dir)
    wanted = describe(source)
    folders.make(data_dir)
    live = data_dir / FILE_NAME
    current = _current(live)
    if current is not None:
        _check_belongs(wanted, current)
    missing = _unsent_missing(live, Path(source)) if current is not None else []
    if missing and not discard_newer:
        raise InvalidInput(
            "file",
            f"Changes this till has not yet sent to the central service (sales, cards...: {len(missing)}) are not "
            f"in the backup; restoring would lose them. Sync first (pos-loyalty sync --once), or "
            f"restore with --discard-newer (they are kept in the safety copy in {data_dir / BACKUPS}).",
            unsent=len(missing),
        )
    safety = _safety_copy(data_dir, live, current)
    staged = data_dir / f".restore-{os.getpid()}.sqlite3"
    try:
        _copy(wanted.path, staged)
        migrate.upgrade(staged)
        if current is not None:
            _carry_on_numbering(staged, current, keep_pending=not discard_newer)
        if current is not None:
            _copy_into_live(staged, live)
        else:
            _replace_damaged(staged, live)
    finally:
        staged.unlink(missing_ok=True)
    return Restored(describe(live), safety, len(missing))


def _current(live: Path) -> ReplicaFile | None:
    """The till's replica as it is now; None if there is none or it is unusable."""
    if not live.exists():
        return None
    try:
        return describe(live)
    except LoyaltyError as error:
        if error.code == errors.REPLICA_TOO_NEW:
            raise
        return None


def _check_belongs(wanted: ReplicaFile, current: ReplicaFile) -> None:
    if current.tenant_id and wanted.tenant_id and current.tenant_id != wanted.tenant_id:
        raise InvalidInput(
            "file",
            f"{wanted.path} belongs to another pharmacy (tenant {wanted.tenant_id}); this till is "
            f"connected to tenant {current.tenant_id}",
        )
    if current.device_id and wanted.device_id and current.device_id != wanted.device_id:
        raise InvalidInput(
            "file",
            f"{wanted.path} is another till's backup (device {wanted.device_id}; this till is device "
            f"{current.device_id}): each till restores its own",
        )
    if current.connected and not wanted.connected:
        raise InvalidInput(
            "file",
            f"{wanted.path} was made before this till was connected to the central service; restoring it would "
            "send its sales there a second time",
        )


def _unsent_missing(live: Path, source: Path) -> list[str]:
    """Ids of the live replica's unsent changes that the backup does not have."""
    connection = sqlite3.connect(f"{live.resolve().as_uri()}?mode=ro", uri=True)
    try:
        connection.execute("ATTACH DATABASE ? AS backup", (f"{source.resolve().as_uri()}?mode=ro",))
        return [
            mutation_id
            for (mutation_id,) in connection.execute(
                "SELECT mutation_id FROM main.outbox WHERE status = ? AND mutation_id NOT IN"
                " (SELECT mutation_id FROM backup.outbox) ORDER BY device_seq",
                (outbox.PENDING,),
            )
        ]
    finally:
        connection.close()


def _carry_on_numbering(staged: Path, current: ReplicaFile, *, keep_pending: bool) -> None:
    """The restored till's next change follows every number the central service may
    already have from this till: all the current replica used, or (when its unsent
    changes are dropped) all it had acknowledged. Its next bill's short number follows
    every number the current replica gave, dropped or not: those may be on receipts."""
    floor = current.next_device_seq if keep_pending else current.highest_acknowledged_seq + 1
    with sqlite3.connect(staged) as connection:
        connection.execute(
            "UPDATE sync_state SET next_device_seq = max(next_device_seq, ?), next_bill_number = max(next_bill_number, ?)",
            (floor, current.next_bill_number),
        )
    connection.close()


def _safety_copy(data_dir: Path, live: Path, current: ReplicaFile | None) -> Path | None:
    if not live.exists():
        return None
    folder = data_dir / BACKUPS
    folder.mkdir(parents=True, exist_ok=True)
    stamp = f"{datetime.now():%Y%m%d-%H%M%S}"
    if current is not None:
        target = folder / f"before-restore-{stamp}.sqlite3"
        _copy(live, target)
        return target
    damaged = folder / f"damaged-{stamp}"  # unreadable: keep its files as they are
    damaged.mkdir()
    for suffix in ("", "-wal", "-shm"):
        part = Path(f"{live}{suffix}")
        if part.exists():
            os.replace(part, damaged / part.name)
    return damaged


def _copy(source: Path, target: Path) -> None:
    """A consistent copy of `source` as one self-contained file at `target`, in place only
    once complete."""
    if not target.parent.is_dir():
        raise InvalidInput("file", f"Cannot write {target}: there is no folder {target.parent}")
    partial = target.with_name(f".{target.name}.partial")
    try:
        with closing(sqlite3.connect(source, timeout=30)) as origin, closing(sqlite3.connect(partial)) as copy:
            origin.backup(copy)  # one step: one read transaction, a consistent snapshot
            copy.execute("PRAGMA journal_mode = DELETE")  # no -wal beside the copy
            if copy.execute("PRAGMA quick_check").fetchall() != [("ok",)]:
                raise RuntimeError(f"the copy of {source} did not check out")
        _fsync(partial)
        os.replace(partial, target)
        _fsync(target.parent)
    except (OSError, sqlite3.OperationalError) as error:  # no such folder, read-only, disk full...
        partial.unlink(missing_ok=True)
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise InvalidInput("file", f"Cannot write {target}: {reason}") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _copy_into_live(staged: Path, live: Path) -> None:
    """Write the staged replica over the live one through SQLite: processes that have it
    open see all of the new contents at their next transaction, never part of them."""
    origin = sqlite3.connect(staged)
    destination = sqlite3.connect(live, timeout=30)
    try:
        origin.backup(destination)
        destination.execute("PRAGMA journal_mode = WAL")
        destination.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        destination.close()
        origin.close()


def _replace_damaged(staged: Path, live: Path) -> None:
    """No usable replica to write into (its files were moved to the safety folder)."""
    live.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(staged) as connection:
        connection.execute("PRAGMA journal_mode = WAL")
    connection.close()
    os.replace(staged, live)
    _fsync(live.parent)


def _fsync(path: Path) -> None:
    if os.name == "nt" and path.is_dir():  # pragma: no cover (Windows cannot open folders)
        return
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)

