"""Applying a till's bills on the central service: `bill.finalized` and `bill.reversed`.

What the till recorded is what the customer saw, so a finalized bill is applied as the
till wrote it: its ledger rows, on the service's own balances. The service recomputes
the bill with the configuration version the till named and flags what differs
(RULES_MISMATCH); a redemption that leaves a card below zero is applied and flagged
(OVERDRAFT). A reversal reverses the service's own rows of that bill. Both check
everything before they change anything (see `mutations.py`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select, update

from central.store import config as configs
from central.store.cards import CardRow
from central.store.flags import OVERDRAFT, REFERRER_UNKNOWN, RULES_MISMATCH
from central.store.models import Bill, PointTransaction
from central.store.mutations import SIGNED_LIMIT, Batch, _time
from pos_loyalty import cardnumber, customer, errors, jsonio
from pos_loyalty.amounts import MAX_FIGURE, parse_money, parse_percent, parse_points, points
from pos_loyalty.errors import InvalidInput, LoyaltyError
from pos_loyalty.rules import bill_from_json, quote_bill
from pos_loyalty.rules.ledger import BILL, EARNED, REDEEMED, REFERRAL, REFERRAL_EARNED, REVERSED
from pos_loyalty.rules.quote import CardState

_BILL_ROW_TYPES = {EARNED, REDEEMED, REFERRAL_EARNED}
#: The figures of a bill the service recomputes and compares with the till's.
COMPARED = (
    "billAmount",
    "categoryDiscount",
    "flatDiscount",
    "netAmount",
    "pointsRedeemed",
    "amountDeducted",
    "payable",
    "pointsEarned",
    "referrerPointsEarned",
)


def bill_finalized(batch: Batch, mutation: Any) -> None:
    payload = mutation.payload
    bill_id = _bill_id(payload.get("billId"))
    if bill_id in batch.bill_status:
        raise LoyaltyError(errors.IDEMPOTENCY_CONFLICT, f"Bill {bill_id} is already recorded", billId=bill_id)
    bill = bill_from_json(payload)
    card = batch.card(payload["cardNumber"]) if payload.get("cardNumber") else None
    result = payload.get("result")
    if not isinstance(result, dict):
        raise InvalidInput("result", "A finalized bill carries the result the customer saw")
    rows = [_bill_row(batch, row, index, card) for index, row in enumerate(_list(payload, "ledger"))]
    lifetime_before = card.lifetime_points if card else 0
    when = _time(payload.get("finalizedAt"), batch.unit.now)

    for row, target in rows:
        if target is None:  # the till's referrer is unknown here: keep the rest, flag it
            batch.flags.raise_flag(
                REFERRER_UNKNOWN,
                f"Bill {bill_id} credited referrer card {row['cardNumber']}, which this service does not know",
                bill_id=bill_id, device_id=batch.device_id, mutation_id=mutation.mutation_id,
                referrerCardNumber=row["cardNumber"], points=row["points"],
            )
            continue
        batch.postings.post(
            target,
            row["type"],
            row["amount"],
            reference_type=REFERRAL if row["type"] == REFERRAL_EARNED else BILL,
            reference_id=bill_id,
            bill_amount=row["bill_amount"],
            category_id=row["category_id"],
            category_name=row["category_name"],
            point_percentage=row["point_percentage"],
            referred_card_id=card.id if row["type"] == REFERRAL_EARNED and card else None,
            referred_bill_id=bill_id if row["type"] == REFERRAL_EARNED else None,
            description=row["description"],
            performed_by=row["performed_by"] or payload.get("performedBy") or batch.performed_by,
            device_id=batch.device_id,
            created_at=when,
        )
    if card is not None and card.points_balance < 0 and bill.redeem_points:
        batch.flags.raise_flag(
            OVERDRAFT,
            f"Card {card.card_number} is at {points(card.points_balance)} points after bill {bill_id}",
            card_id=card.id, bill_id=bill_id, device_id=batch.device_id, mutation_id=mutation.mutation_id,
            pointsBalance=points(card.points_balance), pointsRedeemed=points(bill.redeem_points),
        )
    _compare(batch, mutation, bill_id, bill, card, result, lifetime_before)
    batch.bill_status[bill_id] = "FINALIZED"
    batch.new_bills.append(
        {
            "tenant_id": batch.unit.tenant,
            "bill_id": bill_id,
            "card_id": card.id if card else None,
            "device_id": batch.device_id,
            "status": "FINALIZED",
            "config_version": mutation.config_version,
            "payable": _money_or_none(result.get("payable")),
            "result_json": jsonio.dumps(result),
            "created_at": when,
            "reversed_at": None,
        }
    )

def _bill_row(batch: Batch, row: Any, index: int, card: CardRow | None) -> tuple[dict[str, Any], CardRow | None]:
    where = f"ledger[{index}]"
    if not isinstance(row, dict):
        raise InvalidInput(where, f"{where} must be an object")
    kind = row.get("transactionType")
    if kind not in _BILL_ROW_TYPES:
        raise InvalidInput(f"{where}.transactionType", f"{where} has no bill transaction type ({kind!r})")
    amount = parse_points(row.get("points"), f"{where}.points", minimum=SIGNED_LIMIT)
    if (amount < 0) != (kind == REDEEMED) or amount == 0:
        raise InvalidInput(f"{where}.points", f"{where}: {kind} points have the wrong sign ({amount / 100})")
    number = cardnumber.validate(row.get("cardNumber"), f"{where}.cardNumber")
    if kind == REFERRAL_EARNED:
        target = batch.by_number.get(number)
        if target is None:
            try:
                target = batch.card(number, f"{where}.cardNumber")
            except LoyaltyError as error:
                if error.code != errors.CARD_NOT_FOUND:
                    raise
    else:
        if card is None or number != card.card_number:
            raise InvalidInput(f"{where}.cardNumber", f"{where} is not on the bill's card")
        target = card
    return (
        {
            "type": kind,
            "amount": amount,
            "cardNumber": number,
            "points": points(amount),
            "bill_amount": _money_or_none(row.get("billAmount"), f"{where}.billAmount"),
            "category_id": row.get("categoryId") if isinstance(row.get("categoryId"), int) else None,
            "category_name": customer.text(row.get("categoryName"), f"{where}.categoryName", required=False),
            "point_percentage": None
            if row.get("pointPercentage") is None
            else parse_percent(row["pointPercentage"], f"{where}.pointPercentage"),
            "description": customer.text(row.get("description"), f"{where}.description", required=False, limit=500),
            "performed_by": customer.text(row.get("performedBy"), f"{where}.performedBy", required=False),
        },
        target,
    )

def _compare(
    batch, mutation: Any, bill_id: str, bill: Any, card: CardRow | None, result: dict, lifetime: int
) -> None:
    """Recompute with the till's configuration version; flag what differs."""
    config = configs.at_version(batch.unit, mutation.config_version) if mutation.config_version else None
    problem: dict[str, Any] = {}
    if config is None:
        problem = {"reason": f"configuration version {mutation.config_version} is unknown here"}
    else:
        state = None
        if card is not None:
            available = result.get("availablePoints", 0)
            state = CardState(
                card_number=card.card_number,
                is_active=card.is_active,
                points_balance=parse_points(available, "result.availablePoints"),
                lifetime_points=lifetime,
                has_active_referrer=card.referrer_card_id is not None and bool(card.referrer_active),
            )
        try:
            recomputed = quote_bill(config, state, bill).to_json()
        except LoyaltyError as error:
            problem = {"reason": error.message, "code": error.code}
        else:
            differing = {
                name: {"till": result.get(name), "service": recomputed[name]}
                for name in COMPARED
                if _decimal(result.get(name)) != recomputed[name]
            }
            if differing:
                problem = {"differences": differing}
    if problem:
        batch.flags.raise_flag(
            RULES_MISMATCH,
            f"Bill {bill_id} from the till does not match the rules of configuration {mutation.config_version}",
            card_id=card.id if card else None, bill_id=bill_id, device_id=batch.device_id,
            mutation_id=mutation.mutation_id, configVersion=mutation.config_version, **problem,
        )


def bill_reversed(batch: Batch, mutation: Any) -> None:
    bill_id = _bill_id(mutation.payload.get("billId"))
    status = batch.bill_status.get(bill_id)
    if status is None:
        raise LoyaltyError(errors.BILL_NOT_FOUND, f"No bill {bill_id} here", billId=bill_id)
    if status == "REVERSED":
        raise LoyaltyError(errors.ALREADY_REVERSED, f"Bill {bill_id} was already reversed", billId=bill_id)
    batch.flush()  # rows of a bill finalized earlier in this batch must be in the table
    originals = batch.unit.connection.execute(
        select(PointTransaction)
        .where(
            PointTransaction.tenant_id == batch.unit.tenant,
            PointTransaction.reference_id == bill_id,
            PointTransaction.transaction_type != REVERSED,
        )
        .order_by(PointTransaction.id)
    ).all()
    performed_by = customer.text(mutation.payload.get("performedBy"), "performedBy", required=False)
    for original in originals:
        batch.postings.post(
            batch.card_by_id(original.card_id),
            REVERSED,
            -original.points,
            reference_type=original.reference_type,  # the referrer's stays REFERRAL
            counts_as=original.transaction_type,
            reverses_id=original.id,
            reference_id=bill_id,
            category_id=original.category_id,
            category_name=original.category_name,
            referred_card_id=original.referred_card_id,
            referred_bill_id=original.referred_bill_id,
            description=f"Reversal of bill {bill_id}",
            performed_by=performed_by or batch.performed_by,
            device_id=batch.device_id,
        )
    batch.unit.connection.execute(
        update(Bill)
        .where(Bill.tenant_id == batch.unit.tenant, Bill.bill_id == bill_id)
        .values(status="REVERSED", reversed_at=batch.unit.now)
    )
    batch.bill_status[bill_id] = "REVERSED"


APPLIERS = {"bill.finalized": bill_finalized, "bill.reversed": bill_reversed}


def _bill_id(value: object) -> str:
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not 1 <= len(text) <= 64:
        raise InvalidInput("billId", "A bill id of 1 to 64 characters is needed")
    return text


def _list(payload: dict[str, Any], key: str) -> list[Any]:
    value = payload.get(key) or []
    if not isinstance(value, list):
        raise InvalidInput(key, f"{key} must be a list")
    return value


def _money_or_none(value: object, field: str = "payable") -> int | None:
    return None if value is None else parse_money(value, field, minimum=-MAX_FIGURE * 100)


def _decimal(value: object) -> object:
    return Decimal(value) if isinstance(value, (int, str)) and not isinstance(value, bool) else value
