"""Holds on the central service (`central-api.md`, Holds): points reserved for a payment that
a billing system (an app, a web shop) has still to take, then confirmed or released.

- `hold`: redeem-points' rules (`rules.redemption`) on the card's available balance (its
  balance less expired-but-unwritten lots and its other active holds), under the card's row
  lock, so holds made at once on one card never reserve more than it has. No ledger row is
  written; the card is stamped as changed, so tills learn its held points by pull.
- `confirm`: the REDEEMED row redeem-points would have written (`billing.post_redemption`,
  rows from `rules.postings`), for the points and money agreed when they were held; 409
  HOLD_EXPIRED after `expiresAt`, HOLD_RELEASED after a release; a repeat answers again.
- `release`: the points are free again; a repeat is the same answer.

Idempotent by billId: a hold asked again for a bill whose hold is active (or confirmed)
answers that hold again, another request for it is 409 IDEMPOTENCY_CONFLICT; once the
bill's hold was released or has lapsed, the bill may be held again (the customer pays
again). Locks, in billing's order: the bill's holds (a PostgreSQL advisory lock: a new
bill has no row to lock yet), the bill's row, then the card.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update

from central.store import billing, cards, expiry
from central.store import config as configs
from central.store.db import Unit, advisory_lock
from central.store.flags import OVERDRAFT, Flags
from central.store.idempotency import Replay
from central.store.models import PointHold
from pos_loyalty import errors, jsonio
from pos_loyalty.amounts import money, points
from pos_loyalty.errors import LoyaltyError
from pos_loyalty.rules import holds as rules
from pos_loyalty.rules import redemption
from pos_loyalty.rules.ledger import REDEEMED

if TYPE_CHECKING:
    from central.auth import Principal


@dataclass(frozen=True)
class HoldRequest:
    card_number: str
    points: int  # hundredths of a point, more than 0
    bill_id: str
    bill_amount: int  # money, hundredths: the redemption's cap applies to it
    ttl_seconds: int

    @property
    def digest(self) -> str:
        """What makes two holds the same request (`1000` and `1000.00` are)."""
        return hashlib.sha256(jsonio.dumps(asdict(self)).encode()).hexdigest()


def hold(unit: Unit, request: HoldRequest, by: Principal) -> dict[str, Any]:
    config = configs.current(unit)
    _one_hold_of_bill_at_a_time(unit, request.bill_id)
    found = cards.by_number(unit, request.card_number)
    bill = billing.lock_bill(unit, request.bill_id)
    card = cards.lock(unit, [found.id])[found.id]
    _answer_again(unit, request)
    billing.active_card(card)
    if bill is not None:
        billing.refuse_closed(bill, request.bill_id, card.id)
    billing.not_posted_elsewhere(unit, request.bill_id, REDEEMED)
    state = expiry.known_state(unit, card, config.points_expiry_days)
    allowed = redemption(config, state, request.points, request.bill_amount)
    expires_at = rules.expiry(unit.now, request.ttl_seconds)
    hold_id = unit.connection.execute(
        insert(PointHold)
        .values(
            tenant_id=unit.tenant,
            card_id=card.id,
            bill_id=request.bill_id,
            points=request.points,
            amount_deducted=allowed.amount_deducted,
            bill_amount=request.bill_amount,
            status=rules.ACTIVE,
            expires_at=expires_at,
            request_hash=request.digest,
            answer_json="",
            **billing.written_by(by),
            created_at=unit.now,
        )
        .returning(PointHold.id)
    ).scalar_one()
    answer = {
        "holdId": hold_id,
        "points": points(request.points),
        "amountDeducted": money(allowed.amount_deducted),
        "expiresAt": expires_at,
        "availableBalance": points(state.available_points - request.points),
    }
    unit.connection.execute(update(PointHold).where(PointHold.id == hold_id).values(answer_json=jsonio.dumps(answer)))
    unit.card_changed(card.id)  # tills learn its held points by pull
    return answer


def confirm(unit: Unit, hold_id: int, by: Principal) -> dict[str, Any]:
    row = _lock(unit, hold_id)
    if row.status == rules.CONFIRMED:
        raise Replay(200, jsonio.loads(row.confirmed_json))
    rules.refuse_confirm(_rule(row), unit.now, row.id)
    config = configs.current(unit)
    bill = billing.lock_bill(unit, row.bill_id)
    card = cards.lock(unit, [row.card_id])[row.card_id]
    # The hold is honoured as made: the card may have been deactivated or replaced since
    # (the row is then forwarded to the card that took its place, as every row is).
    billing.open_bill(unit, bill, row.bill_id, card.id, by, config)
    billing.not_posted_elsewhere(unit, row.bill_id, REDEEMED)
    _close(unit, row.id, rules.CONFIRMED)  # first: what the redemption's event shows holds no more
    answer = billing.post_redemption(unit, card, row.bill_id, row.points, row.amount_deducted, row.bill_amount, by)
    if card.points_balance < 0:  # its points went another way meanwhile (an offline till, expiry)
        flags = Flags(unit)
        flags.raise_flag(
            OVERDRAFT,
            f"Card {card.card_number} is at {points(card.points_balance)} points after hold {row.id} was confirmed",
            card_id=card.id,
            bill_id=row.bill_id,
            holdId=row.id,
            balance=points(card.points_balance),
        )
        flags.flush()
    unit.connection.execute(update(PointHold).where(PointHold.id == row.id).values(confirmed_json=jsonio.dumps(answer)))
    return answer


def release(unit: Unit, hold_id: int) -> dict[str, Any]:
    row = _lock(unit, hold_id)
    rules.refuse_release(_rule(row), row.id, row.bill_id)
    if row.status == rules.ACTIVE:
        _close(unit, row.id, rules.RELEASED)
        unit.card_changed(row.card_id)
    return {"released": True}


# --- the rows ---------------------------------------------------------------------------


def _lock(unit: Unit, hold_id: int) -> Any:
    row = unit.connection.execute(
        select(PointHold).where(PointHold.tenant_id == unit.tenant, PointHold.id == hold_id).with_for_update()
    ).first()
    if row is None:
        raise LoyaltyError(rules.HOLD_NOT_FOUND, f"No hold {hold_id} here", holdId=hold_id)
    return row


def _rule(row: Any) -> rules.Hold:
    return rules.Hold(row.points, row.expires_at, row.status)


def _close(unit: Unit, hold_id: int, status: str) -> None:
    unit.connection.execute(update(PointHold).where(PointHold.id == hold_id).values(status=status, closed_at=unit.now))


def _answer_again(unit: Unit, request: HoldRequest) -> None:
    """The bill's hold still holding (or confirmed): Replay of its answer for the same request,
    IDEMPOTENCY_CONFLICT for another; nothing when the bill has none (or it was let go)."""
    earlier = unit.connection.execute(
        select(PointHold)
        .where(PointHold.tenant_id == unit.tenant, PointHold.bill_id == request.bill_id)
        .order_by(PointHold.id.desc())
        .limit(1)
    ).first()
    if earlier is None or rules.status_at(_rule(earlier), unit.now) in (rules.RELEASED, rules.LAPSED):
        return
    if earlier.request_hash == request.digest:
        raise Replay(200, jsonio.loads(earlier.answer_json))
    raise LoyaltyError(
        errors.IDEMPOTENCY_CONFLICT,
        f"Bill {request.bill_id} already has hold {earlier.id} ({points(earlier.points)} points), made with another "
        "request; release it first or use a new bill id",
        billId=request.bill_id,
        holdId=earlier.id,
    )


def _one_hold_of_bill_at_a_time(unit: Unit, bill_id: str) -> None:
    """Two holds asked at once for one bill (perhaps on two cards) wait for each other."""
    advisory_lock(unit, f"hold-bill:{unit.tenant}:{bill_id}")
