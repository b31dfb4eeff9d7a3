"""Flags: what the service applied but a person should look at.

- OVERDRAFT: a redemption or adjustment took a card below zero (two tills spent the
  same points while offline); applied all the same, bounded by the offline allowance.
- RULES_MISMATCH: the service, recomputing a till's bill with the configuration version
  the till named, got other figures (or could not); the till's figures were applied.
- DUPLICATE_CUSTOMER: a phone got a second card (two tills issued it one offline).
- REFERRER_UNKNOWN: a till named a referrer card the service has never heard of.
- CONFIG_CONFLICT: a till's configuration edit met a newer server value for a field.
- MUTATION_REJECTED: a till's change that the service could not apply (its code, message
  and payload); the till keeps it for its manager.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select, update

from central.store.db import Unit, bulk_insert
from central.store.models import Card, Flag
from pos_loyalty import jsonio

OVERDRAFT = "OVERDRAFT"
RULES_MISMATCH = "RULES_MISMATCH"
DUPLICATE_CUSTOMER = "DUPLICATE_CUSTOMER"
REFERRER_UNKNOWN = "REFERRER_UNKNOWN"
CONFIG_CONFLICT = "CONFIG_CONFLICT"
MUTATION_REJECTED = "MUTATION_REJECTED"


class Flags:
    """The flags one unit of work raises, written together."""

    def __init__(self, unit: Unit) -> None:
        self.unit = unit
        self.pending: list[dict[str, Any]] = []

    def raise_flag(
        self,
        kind: str,
        message: str,
        *,
        card_id: int | None = None,
        bill_id: str | None = None,
        device_id: int | None = None,
        mutation_id: str | None = None,
        **details: Any,
    ) -> None:
        self.pending.append(
            {
                "tenant_id": self.unit.tenant,
                "kind": kind,
                "card_id": card_id,
                "bill_id": bill_id,
                "device_id": device_id,
                "mutation_id": mutation_id,
                "message": message,
                "details_json": jsonio.dumps(details),
                "created_at": self.unit.now,
            }
        )

    def flush(self) -> None:
        if self.pending:
            bulk_insert(self.unit, Flag.__table__, self.pending)
            self.pending = []


def listing(unit: Unit, *, kind: str | None, page: int, size: int, device_id: int | None = None) -> dict[str, Any]:
    """A page of the tenant's flags (or of one till's), newest first."""
    where = [Flag.tenant_id == unit.tenant]
    if kind:
        where.append(Flag.kind == kind)
    if device_id is not None:
        where.append(Flag.device_id == device_id)
    total = unit.connection.execute(select(func.count()).select_from(Flag).where(*where)).scalar_one()
    rows = unit.connection.execute(
        select(Flag, Card.card_number)
        .outerjoin(Card, Flag.card_id == Card.id)
        .where(*where)
        .order_by(Flag.id.desc())
        .offset(page * size)
        .limit(size)
    ).all()
    return {
        "content": [
            {
                "id": row.id,
                "kind": row.kind,
                "message": row.message,
                "cardId": row.card_id,
                "cardNumber": row.card_number,
                "billId": row.bill_id,
                "deviceId": row.device_id,
                "mutationId": row.mutation_id,
                "details": jsonio.loads(row.details_json),
                "createdAt": row.created_at,
                "resolvedAt": row.resolved_at,
                "resolvedBy": row.resolved_by,
            }
            for row in rows
        ],
        "page": page,
        "size": size,
        "totalElements": total,
        "totalPages": (total + size - 1) // size,
    }


def resolve_duplicates(unit: Unit, card_ids: tuple[int, int], by: str) -> int:
    """Mark the open DUPLICATE_CUSTOMER flags raised on either card resolved; how many."""
    result = unit.connection.execute(
        update(Flag)
        .where(
            Flag.tenant_id == unit.tenant,
            Flag.kind == DUPLICATE_CUSTOMER,
            Flag.resolved_at.is_(None),
            or_(*(Flag.card_id == card_id for card_id in card_ids)),
        )
        .values(resolved_at=unit.now, resolved_by=by)
    )
    return result.rowcount
