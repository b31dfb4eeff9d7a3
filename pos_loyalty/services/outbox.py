"""Writing the outbox: every change the central service must learn, in the same transaction.

`deviceSeq` comes from the till's counter row, never from MAX(device_seq): acknowledged
mutations may be pruned one day, and a sequence number must never be used twice. The
counter is read and bumped inside the caller's `BEGIN IMMEDIATE` transaction, so two
processes on one replica can never take the same number, and a rolled-back sale gives
its number back (the sequence stays gapless).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, insert, select, update

from pos_loyalty import jsonio
from pos_loyalty.replica.db import UnitOfWork
from pos_loyalty.replica.models import OutboxMutation, SyncState

KINDS = (
    "bill.finalized",
    "bill.reversed",
    "bill.returned",
    "card.issued",
    "card.updated",
    "card.adjusted",
    "card.replaced",
    "card.merged",
    "config.changed",
)

PENDING = "PENDING"
REJECTED = "REJECTED"
RESOLVED = "RESOLVED"  # rejected, and dealt with by a manager (`services/rejections.py`)


#: Taking the next deviceSeq: what an UPDATE of the counter row sets, and the number it
#: took, as it returns it. `reserve` runs them alone; a finalize in its first statement,
#: with the bill's short number (`services.bills`).
TAKE_SEQ = {"next_device_seq": SyncState.next_device_seq + 1}
SEQ_TAKEN = SyncState.next_device_seq - 1
_TAKE_SEQ = update(SyncState).where(SyncState.id == 1).values(TAKE_SEQ).returning(SEQ_TAKEN)
_INSERT = insert(OutboxMutation)


def reserve(uow: UnitOfWork) -> int:
    """Take the next deviceSeq; call inside a writing unit of work, then `append` with it."""
    return uow.connection.execute(_TAKE_SEQ).scalar_one()


def append(
    uow: UnitOfWork,
    kind: str,
    payload: dict[str, Any],
    config_version: int,
    *,
    device_seq: int | None = None,
) -> int:
    """Queue one mutation (with a deviceSeq taken by `reserve`, or the next one); its deviceSeq."""
    if kind not in KINDS:
        raise ValueError(f"unknown mutation kind {kind!r}")
    seq = reserve(uow) if device_seq is None else device_seq
    uow.connection.execute(
        _INSERT,
        {
            "device_seq": seq,
            "mutation_id": str(uuid.uuid4()),
            "kind": kind,
            "payload": jsonio.dumps(payload),
            "config_version": config_version,
            "created_at": uow.now,
            "status": PENDING,
        },
    )
    return seq


def append_many(uow: UnitOfWork, kind: str, payloads: list[dict[str, Any]], config_version: int) -> int:
    """Queue many mutations of one kind with consecutive deviceSeqs, in one statement (a
    bulk import: a million cards); the first deviceSeq. Nothing is queued for none."""
    if kind not in KINDS:
        raise ValueError(f"unknown mutation kind {kind!r}")
    if not payloads:
        return 0
    first = uow.connection.execute(_take_seqs(len(payloads))).scalar_one()
    created = uow.stored_time(uow.now)
    uow.connection.exec_driver_sql(
        "INSERT INTO outbox (device_seq, mutation_id, kind, payload, config_version, created_at, status)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (first + offset, str(uuid.uuid4()), kind, jsonio.dumps(payload), config_version, created, PENDING)
            for offset, payload in enumerate(payloads)
        ],
    )
    return first


def _take_seqs(count: int):  # type: ignore[no-untyped-def]
    return (
        update(SyncState)
        .where(SyncState.id == 1)
        .values(next_device_seq=SyncState.next_device_seq + count)
        .returning(SyncState.next_device_seq - count)
    )


def to_json(mutation: Any, *, parsed: bool = True) -> dict[str, Any]:
    """The mutation (a row of `outbox`) as `sync-protocol.md` puts it on the wire.

    `parsed=False`: the payload stays the JSON text stored (`jsonio.Raw`), written out as it
    stands: a push sends it without reading it back into Python and writing it again."""
    return {
        "mutationId": mutation.mutation_id,
        "deviceSeq": mutation.device_seq,
        "kind": mutation.kind,
        "payload": jsonio.loads(mutation.payload) if parsed else jsonio.Raw(mutation.payload),
        "createdAt": mutation.created_at,
        "configVersion": mutation.config_version,
    }


#: What a mutation adds on the wire around its payload (ids, kind, times, separators), at
#: most; used to keep a push within its byte budget without writing it out twice.
WIRE_OVERHEAD = 256


def batch(
    uow: UnitOfWork, *, from_seq: int, limit: int, max_bytes: int | None = None, parsed: bool = True
) -> list[dict[str, Any]]:
    """Up to `limit` mutations from `from_seq` on, in deviceSeq order, as they go on the wire.

    `max_bytes`: stop before the mutation that would take the batch past this many bytes
    (payload + `WIRE_OVERHEAD` each); the first is always taken, however large, so a big
    mutation is sent alone rather than never. `parsed`: see `to_json`.
    """
    rows = uow.connection.execute(
        select(OutboxMutation)
        .where(OutboxMutation.device_seq >= from_seq)
        .order_by(OutboxMutation.device_seq)
        .limit(limit)
    )
    taken: list[dict[str, Any]] = []
    size = 0
    for row in rows:
        if max_bytes is not None:
            size += len(row.payload.encode("utf-8")) + WIRE_OVERHEAD
            if taken and size > max_bytes:
                break
        taken.append(to_json(row, parsed=parsed))
    rows.close()
    return taken


def counts(uow: UnitOfWork) -> dict[str, int]:
    rows = uow.session.execute(
        select(OutboxMutation.status, func.count()).group_by(OutboxMutation.status)
    ).all()
    return {status: count for status, count in rows}
