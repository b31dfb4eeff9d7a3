"""Parked bills: a bill put aside before it is finalized, kept in the replica so a restart
of the till (or a crash) loses nothing. Parking writes nothing the central service needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from pos_loyalty import jsonio
from pos_loyalty.errors import LoyaltyError
from pos_loyalty.replica.db import Replica
from pos_loyalty.replica.models import ParkedBill

NOT_PARKED = "NOT_PARKED"


@dataclass(frozen=True)
class Parked:
    id: int
    label: str
    created_at: datetime


def park(replica: Replica, document: dict[str, Any], label: str) -> int:
    """Keep a bill in progress (its card, lines, redemption, flat discount) under `label`."""
    with replica.writing() as uow:
        row = ParkedBill(label=label[:255] or "Bill", document=jsonio.dumps(document), created_at=uow.now)
        uow.session.add(row)
        uow.session.flush()
        uow.commit()
        return row.id


def parked(replica: Replica) -> list[Parked]:
    with replica.reading() as uow:
        rows = uow.connection.execute(select(ParkedBill.id, ParkedBill.label, ParkedBill.created_at).order_by(ParkedBill.id))
        return [Parked(row.id, row.label, row.created_at) for row in rows]


def resume(replica: Replica, parked_id: int) -> dict[str, Any]:
    """Take a parked bill back to the counter (it is no longer parked)."""
    with replica.writing() as uow:
        row = uow.session.get(ParkedBill, parked_id)
        if row is None:
            raise LoyaltyError(NOT_PARKED, "That bill is no longer parked")
        document = jsonio.loads(row.document)
        uow.session.delete(row)
        uow.commit()
        return document


def discard(replica: Replica, parked_id: int) -> None:
    with replica.writing() as uow:
        uow.connection.execute(delete(ParkedBill).where(ParkedBill.id == parked_id))
        uow.commit()
