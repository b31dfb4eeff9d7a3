"""Returns on the central service: `POST /internal/cards/return-points` and a till's
`bill.returned`, both stored from the one rule (`pos_loyalty/rules/returns.py`).

A return names its bill, its `returnId` (the idempotency key) and what comes back. The
bill's state is what its earlier returns left (`bill_returns`); the rule gives the next
state, the figures and the REVERSED rows, each against the bill's row it takes back from,
so a reversal afterwards takes only what is left.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, insert, select

from central.store import cards
from central.store.cards import CardRow
from central.store.db import Unit
from central.store.ledger import Postings, posted, row_json, rows_of_bill
from central.store.models import Bill, BillReturn
from pos_loyalty import errors, jsonio
from pos_loyalty.amounts import (
    money,
    parse_money,
    parse_percent,
    percent,
    points,
)
from pos_loyalty.errors import LoyaltyError
from pos_loyalty.rules import bill_from_json
from pos_loyalty.rules.ledger import BILL, EARNED, REDEEMED, REFERRAL, REFERRAL_EARNED
from pos_loyalty.rules.bill import parse_bill_id
from pos_loyalty.rules.returns import (
    Kept,
    ReturnLineAsk,
    RewardAsk,
    SoldBill,
    parse_return_id,
    parse_return_lines,
    parse_return_rewards,
    return_figures,
    return_postings,
    take_back,
)

REVERSED_BILL = "REVERSED"
#: `bills.bill_json` of a bill a billing system reported, as against a till's bill.
FROM_EARN_POINTS = "earn-points"


@dataclass(frozen=True)
class ReturnRequest:
    bill_id: str
    return_id: str
    lines: tuple[ReturnLineAsk, ...]
    rewards: tuple[RewardAsk, ...] = ()

    def canonical(self) -> dict[str, Any]:
        """What makes two requests the same return (compared after parsing)."""
        return {
            "billId": self.bill_id,
            "lines": [[ask.line, ask.quantity, ask.amount] for ask in self.lines],
            "rewards": [[ask.reward_id, ask.quantity] for ask in self.rewards],
        }


def earn_record(items: tuple[tuple[int, int], ...], multipliers: dict[int, int], referral_percent: int) -> str:
    """`bills.bill_json` of an `earn-points` bill: what a return of it needs later."""
    return jsonio.dumps(
        {
            "source": FROM_EARN_POINTS,
            "items": [{"categoryId": category, "amount": money(amount)} for category, amount in items],
            # per category, the tier's x the day's promotion's (ten-thousandths)
            "multipliers": [{"categoryId": c, "multiplier": m} for c, m in sorted(multipliers.items())],
            "referralPointsPercent": percent(referral_percent),
        }
    )


def return_points(unit: Unit, request: ReturnRequest, performed_by: str, device_id: int | None) -> dict[str, Any]:
    """A return through the API; the first answer again for a repeat."""
    bill = _bill(unit, request.bill_id)
    _not_elsewhere(unit, request)
    earlier = _earlier(unit, request.bill_id)
    if request.return_id in earlier:
        return _same_return(earlier[request.return_id], request)
    rows = rows_of_bill(unit, request.bill_id)
    locked = cards.lock(unit, sorted({row.card_id for row in rows} | ({bill.card_id} if bill.card_id else set())))
    return _apply(unit, bill, rows, locked, request, list(earlier.values()), performed_by, device_id, unit.now)


def apply_till_return(
    unit: Unit,
    postings: Postings,
    card_by_id: Any,
    request: ReturnRequest,
    performed_by: str,
    device_id: int | None,
    when: Any,
) -> dict[str, Any] | None:
    """A till's `bill.returned`: the same rule on the service's own state of the bill. A
    repeat of a return already recorded (the same returnId, the same lines) writes nothing."""
    bill = _bill(unit, request.bill_id)
    _not_elsewhere(unit, request)
    earlier = _earlier(unit, request.bill_id)
    if request.return_id in earlier:
        _same_return(earlier[request.return_id], request)
        return None
    rows = rows_of_bill(unit, request.bill_id)
    locked = {row.card_id: card_by_id(row.card_id) for row in rows}
    if bill.card_id:
        locked[bill.card_id] = card_by_id(bill.card_id)
    return _apply(unit, bill, rows, locked, request, list(earlier.values()), performed_by, device_id, when, postings)


# --- the rule, stored -------------------------------------------------------------------


def _apply(
    unit: Unit,
    bill: Row[Any],
    rows: list[Row[Any]],
    locked: dict[int, CardRow],
    request: ReturnRequest,
    earlier: list[Row[Any]],
    performed_by: str,
    device_id: int | None,
    when: Any,
    postings: Postings | None = None,
) -> dict[str, Any]:
    sold = sold_bill(bill, rows)
    before = Kept.all_of(sold)
    for record in earlier:
        before = before.less(Kept.from_json(jsonio.loads(record.back_json)))
    after = take_back(sold, before, request.lines, request.rewards)
    figures = return_figures(sold, before, after)
    ledger = [posted(row, locked) for row in rows]
    own = postings is None
    postings = postings or Postings(unit)
    written = postings.post_all(
        return_postings(figures, ledger, request.bill_id, request.return_id),
        performed_by=performed_by,
        device_id=device_id,
        created_at=when,
    )
    if own:
        postings.flush()
    card = locked.get(bill.card_id) if bill.card_id else None
    numbers = {c.id: c.card_number for c in locked.values()}
    answer = {
        "returnId": request.return_id,
        "billId": request.bill_id,
        **figures.to_json(),
        "newBalance": points(card.points_balance) if card is not None else None,
        "rows": [row_json(row, numbers) for row in written] if own else [],
    }
    unit.connection.execute(
        insert(BillReturn).values(
            tenant_id=unit.tenant,
            bill_id=request.bill_id,
            return_id=request.return_id,
            device_id=device_id,
            request_json=jsonio.dumps(request.canonical()),
            back_json=jsonio.dumps(after.back_since(before).to_json()),
            answer_json=jsonio.dumps(answer),
            created_at=when,
        )
    )
    return answer


def sold_bill(bill: Row[Any], rows: list[Row[Any]]) -> SoldBill:
    """The bill as the rule needs it: a till's from its items and recorded result, a billing
    system's from its items and the rows its earn and redeem wrote."""
    if not bill.bill_json:
        raise LoyaltyError(
            errors.BILL_NOT_FOUND,
            f"Bill {bill.bill_id} has no items here to return (only points were redeemed on it): reverse it instead",
            billId=bill.bill_id,
        )
    record = jsonio.loads(bill.bill_json)
    if record.get("source") != FROM_EARN_POINTS:
        return SoldBill.of_result(bill.bill_id, bill_from_json(record), jsonio.loads(bill.result_json or "{}"))
    items = tuple((item["categoryId"], parse_money(item["amount"], "amount")) for item in record["items"])
    own = [row for row in rows if row.reference_id == bill.bill_id]
    multipliers = {entry["categoryId"]: entry["multiplier"] for entry in record.get("multipliers") or []}
    return SoldBill.of_paid_items(
        bill.bill_id,
        items,
        points_redeemed=-sum(r.points for r in own if r.transaction_type == REDEEMED and r.reference_type == BILL),
        earned={r.category_id: r.points for r in own if r.transaction_type == EARNED and r.reference_type == BILL},
        rates={
            r.category_id: (r.point_percentage or 0, multipliers.get(r.category_id, 10_000))
            for r in own
            if r.transaction_type == EARNED and r.reference_type == BILL
        },
        referral_percent=parse_percent(record.get("referralPointsPercent", 0), "referralPointsPercent"),
        referrer_points=sum(
            r.points for r in own if r.transaction_type == REFERRAL_EARNED and r.reference_type == REFERRAL
        ),
    )


def _bill(unit: Unit, bill_id: str) -> Row[Any]:
    bill = unit.connection.execute(
        select(Bill).where(Bill.tenant_id == unit.tenant, Bill.bill_id == bill_id).with_for_update()
    ).first()
    if bill is None:
        raise LoyaltyError(errors.BILL_NOT_FOUND, f"No bill {bill_id} here", billId=bill_id)
    if bill.status == REVERSED_BILL:
        raise LoyaltyError(
            errors.ALREADY_REVERSED, f"Bill {bill_id} was reversed: nothing is left to return", billId=bill_id
        )
    return bill


def _not_elsewhere(unit: Unit, request: ReturnRequest) -> None:
    """A returnId is one return of one bill: used for another bill, it is a conflict."""
    other = unit.connection.execute(
        select(BillReturn.bill_id).where(BillReturn.tenant_id == unit.tenant, BillReturn.return_id == request.return_id)
    ).scalar()
    if other is not None and other != request.bill_id:
        raise LoyaltyError(
            errors.IDEMPOTENCY_CONFLICT,
            f"Return {request.return_id} is a return of bill {other}, not of {request.bill_id}",
            returnId=request.return_id,
        )


def _earlier(unit: Unit, bill_id: str) -> dict[str, Row[Any]]:
    return {
        row.return_id: row
        for row in unit.connection.execute(
            select(BillReturn)
            .where(BillReturn.tenant_id == unit.tenant, BillReturn.bill_id == bill_id)
            .order_by(BillReturn.id)
        )
    }


def _same_return(record: Row[Any], request: ReturnRequest) -> dict[str, Any]:
    if jsonio.loads(record.request_json) != jsonio.loads(jsonio.dumps(request.canonical())):
        raise LoyaltyError(
            errors.IDEMPOTENCY_CONFLICT,
            f"Return {request.return_id} was already made with other lines",
            returnId=request.return_id,
        )
    return jsonio.loads(record.answer_json)


def parse_request(doc: dict[str, Any]) -> ReturnRequest:
    rewards = parse_return_rewards(doc.get("rewards"))
    return ReturnRequest(
        bill_id=parse_bill_id(doc.get("billId")),
        return_id=parse_return_id(doc.get("returnId")),
        lines=parse_return_lines(doc.get("lines"), required=not rewards),
        rewards=rewards,
    )
