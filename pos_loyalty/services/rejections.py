"""Changes the central service rejected, for the till's manager: what each one was, in words,
and what the manager did about it.

A rejected change stays in the outbox, marked, and the till says so (status, the status
bar, `sync --once`) until a manager resolves it, in one of two ways, both recorded with
who, when and a note:

- **resend**: queue it again as a new change (after the central service was upgraded to
  accept it, say); its ledger rows at this till go with it, so the till's balances count
  them again until the service has applied it.
- **settle**: leave it unsent (head office fixed it another way), optionally with a
  manager's adjustment on its card in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update

from pos_loyalty import customer, errors, field_words, jsonio
from pos_loyalty.amounts import points
from pos_loyalty.errors import LoyaltyError
from pos_loyalty.replica.db import Replica, UnitOfWork
from pos_loyalty.replica.models import LedgerEntry, OutboxMutation
from pos_loyalty.services import bill_names, cards, outbox, replication

RESENT = "RESENT"
SETTLED = "SETTLED"


def waiting(replica: Replica, *, limit: int = 100) -> list[dict[str, Any]]:
    """The rejected changes no manager has dealt with yet, newest first, each said in words."""
    with replica.reading() as uow:
        rows = uow.connection.execute(
            select(OutboxMutation)
            .where(OutboxMutation.status == outbox.REJECTED)
            .order_by(OutboxMutation.device_seq.desc())
            .limit(limit)
        )
        read = [(row, jsonio.loads(row.payload)) for row in rows]
        names = bill_names.of(uow, [payload.get("billId") for _row, payload in read if isinstance(payload.get("billId"), str)])
        return [_listed(row, payload, names) for row, payload in read]


def _listed(row: Any, payload: dict[str, Any], names: Mapping[str, bill_names.BillName]) -> dict[str, Any]:
    known = names.get(payload.get("billId")) if isinstance(payload.get("billId"), str) else None
    return {
        "deviceSeq": row.device_seq,
        "kind": row.kind,
        "createdAt": row.created_at,
        "what": describe(row.kind, payload, known.number if known else None),
        "billNumber": known.number if known else None,
        "cardNumber": payload.get("cardNumber") if isinstance(payload.get("cardNumber"), str) else None,
        "errorCode": row.error_code,
        "errorMessage": row.error_message,
    }


def describe(kind: str, payload: dict[str, Any], bill_number: str | None = None) -> str:
    """A change as a manager would say it ("Bill T1-000012, card 29...: 250.00 in 2 lines,
    12.50 points earned"); the bill by its short number at this till, else by its id."""
    card = payload.get("cardNumber")
    bill = bill_number or payload.get("billId")
    if kind == "bill.finalized":
        result = payload.get("result") or {}
        lines = len(payload.get("items") or [])
        said = [f"Bill {bill}", f"card {card}" if card else "no card"]
        said.append(f"{result.get('billAmount')} in {lines} line{'s' if lines != 1 else ''}")
        if result.get("pointsRedeemed"):
            said.append(f"{result['pointsRedeemed']} points redeemed")
        if result.get("pointsEarned"):
            said.append(f"{result['pointsEarned']} points earned")
        return ", ".join(said)
    if kind == "bill.reversed":
        return f"Reversal of bill {bill}"
    if kind == "bill.returned":
        figures = payload.get("figures") or {}
        return (
            f"Return of part of bill {bill}: "
            f"{figures.get('cashRefund')} refunded, {figures.get('pointsReversed')} points taken back"
        )
    if kind == "card.issued":
        return f"New card {card} for {payload.get('customerName')} ({payload.get('customerPhone')})"
    if kind == "card.updated":
        changed = ", ".join(field_words.words(name) for name in payload if name != "cardNumber")
        return f"Change to card {card}: {changed}"
    if kind == "card.adjusted":
        return f"Adjustment of {payload.get('points')} points on card {card}: {payload.get('reason')}"
    if kind == "config.changed":
        return f"Configuration change (version {payload.get('version')}): {', '.join(payload.get('changes') or {})}"
    return kind


def resend(replica: Replica, device_seq: int, *, note: object, performed_by: str | None) -> dict[str, Any]:
    """Queue the rejected change again, as a new change with the next deviceSeq."""
    why = customer.text(note, "note", required=False, limit=500)
    with replica.writing() as uow:
        row = _rejected(uow, device_seq)
        new_seq = outbox.append(uow, row.kind, jsonio.loads(row.payload), row.config_version)
        moved = set(
            uow.connection.execute(select(LedgerEntry.card_id).where(LedgerEntry.device_seq == row.device_seq)).scalars()
        )
        uow.connection.execute(
            update(LedgerEntry).where(LedgerEntry.device_seq == row.device_seq).values(device_seq=new_seq)
        )
        replication.refigure(uow, moved)  # the server has not seen these rows again yet
        _resolve(uow, row, RESENT, why, performed_by, resent_as=new_seq)
        uow.commit()
    return {"deviceSeq": device_seq, "resolution": RESENT, "resentAs": new_seq}


def settle(
    replica: Replica,
    device_seq: int,
    *,
    note: object,
    performed_by: str | None,
    adjust: object = None,
    card_number: object = None,
) -> dict[str, Any]:
    """Leave the rejected change unsent, with a note (required), and optionally a manager's
    adjustment of `adjust` points on its card (or `card_number`), in one transaction."""
    why = customer.text(note, "note", required=True, limit=500)
    with replica.writing() as uow:
        row = _rejected(uow, device_seq)
        adjusted = None
        if adjust not in (None, ""):
            number = card_number or jsonio.loads(row.payload).get("cardNumber")
            if not number:
                raise LoyaltyError(errors.INVALID_INPUT, "This change names no card: say which card to adjust", field="card")
            reason = f"Settles rejected change #{device_seq}: {why}"
            adjusted = cards.adjust_in(uow, number, adjust, reason=reason, performed_by=performed_by)
        _resolve(uow, row, SETTLED, why, performed_by)
        uow.commit()
    answer: dict[str, Any] = {"deviceSeq": device_seq, "resolution": SETTLED}
    if adjusted is not None:
        answer |= {"cardNumber": adjusted.card_number, "newBalance": points(adjusted.points_balance)}
    return answer


def _rejected(uow: UnitOfWork, device_seq: object) -> Any:
    if isinstance(device_seq, bool) or not isinstance(device_seq, int):
        raise LoyaltyError(errors.INVALID_INPUT, "Name the rejected change by its number (#)", field="deviceSeq")
    row = uow.session.get(OutboxMutation, device_seq)
    if row is None or row.status not in (outbox.REJECTED, outbox.RESOLVED):
        raise LoyaltyError("NOT_REJECTED", f"Change #{device_seq} was not rejected by the central service")
    if row.status == outbox.RESOLVED:
        raise LoyaltyError(
            "ALREADY_RESOLVED",
            f"Change #{device_seq} was already dealt with ({row.resolution.lower()} by {row.resolved_by or 'someone'})",
        )
    return row


def _resolve(
    uow: UnitOfWork, row: Any, resolution: str, note: str | None, performed_by: str | None, resent_as: int | None = None
) -> None:
    row.status = outbox.RESOLVED
    row.resolution = resolution
    row.resolution_note = note
    row.resolved_by = performed_by
    row.resolved_at = uow.now
    row.resent_as = resent_as
    uow.session.flush()

