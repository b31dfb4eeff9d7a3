"""Bills at the till: quote, finalize (once), reverse (once), recent bills.

Finalizing is one SQLite transaction: the card's ledger rows, the referrer's row, both
cards' figures, the bill, and its `bill.finalized` outbox mutation. It runs under
`BEGIN IMMEDIATE`, so the balance it checks is the balance it writes, whoever else has
the replica open. Quoting and finalizing are the counter's hot path: they run prebuilt
Core statements on the unit of work's connection, not the ORM session.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, bindparam, insert, select

from pos_loyalty import cardnumber, errors, jsonio
from pos_loyalty.amounts import money, points
from pos_loyalty.errors import InvalidInput, LoyaltyError
from pos_loyalty.replica.db import Replica, UnitOfWork
from pos_loyalty.replica.models import Bill, Card, LedgerEntry
from pos_loyalty.rules.bill import BillRequest
from pos_loyalty.rules.quote import Quote, quote_bill
from pos_loyalty.services import card_records, configuration, ledger, offline, outbox
from pos_loyalty.services.card_records import CardRecord

FINALIZED = "FINALIZED"
REVERSED = "REVERSED"

_BILL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
_EARLIER = select(Bill.bill_id, Bill.request_hash, Bill.result_json).where(
    Bill.bill_id == bindparam("bill")
)
_INSERT_BILL = insert(Bill)


def quote(replica: Replica, card_number: object, bill: BillRequest) -> Quote:
    """The bill worked out against the card as it stands; writes nothing."""
    with replica.reading() as uow:
        return _quote(uow, card_number, bill)[1]


@dataclass(frozen=True)
class Finalized:
    """What the customer saw: the quote plus `billId`, `newBalance`, `finalizedAt`."""

    result: dict[str, Any]
    replayed: bool  # True when this billId had already been finalized: nothing was written


def finalize(
    replica: Replica,
    card_number: object,
    bill: BillRequest,
    *,
    bill_id: object = None,
    performed_by: str | None = None,
) -> Finalized:
    bill_key = _bill_id(bill_id) if bill_id not in (None, "") else str(uuid.uuid4())
    request_hash = _request_hash(card_number, bill)
    with replica.writing() as uow:
        earlier = uow.connection.execute(_EARLIER, {"bill": bill_key}).first()
        if earlier is not None:
            return _replay(earlier, request_hash)
        card, result = _quote(uow, card_number, bill)
        seq = outbox.reserve(uow)
        rows, card_numbers = _post_rows(uow, card, result, bill_key, seq, performed_by)
        record = {
            **result.to_json(),
            "billId": bill_key,
            "newBalance": points(card.points_balance) if card is not None else None,
            "finalizedAt": uow.now,
        }
        result_text = jsonio.dumps(record)
        uow.connection.execute(
            _INSERT_BILL,
            {
                "bill_id": bill_key,
                "card_id": card.id if card is not None else None,
                "status": FINALIZED,
                "config_version": result.config_version,
                "request_hash": request_hash,
                "result_json": result_text,
                "bill_amount": result.bill_amount,
                "payable": result.payable,
                "points_earned": result.points_earned,
                "points_redeemed": result.points_redeemed,
                "performed_by": performed_by,
                "finalized_at": uow.now,
            },
        )
        outbox.append(
            uow,
            "bill.finalized",
            {
                "billId": bill_key,
                "cardNumber": result.card_number,
                **bill.to_json(),
                "performedBy": performed_by,
                "finalizedAt": uow.now,
                "result": record,
                "ledger": [ledger.entry_to_mutation(row, card_numbers) for row in rows],
            },
            config_version=result.config_version,
            device_seq=seq,
        )
        uow.commit()
        return Finalized(jsonio.loads(result_text), replayed=False)


def reverse(replica: Replica, bill_id: object, *, performed_by: str | None = None) -> dict[str, Any]:
    """Write one REVERSED row per row of the bill (the referrer's too); once per bill."""
    bill_key = _bill_id(bill_id)
    with replica.writing() as uow:
        session = uow.session
        bill = session.get(Bill, bill_key)
        if bill is None:
            raise LoyaltyError(errors.BILL_NOT_FOUND, f"No bill {bill_key} at this till", billId=bill_key)
        if bill.status == REVERSED:
            raise LoyaltyError(
                errors.ALREADY_REVERSED,
                f"Bill {bill_key} was already reversed on {bill.reversed_at:%Y-%m-%d %H:%M}",
                billId=bill_key,
            )
        originals = (
            uow.connection.execute(
                select(LedgerEntry)
                .where(
                    LedgerEntry.reference_type.in_((ledger.BILL, ledger.REFERRAL)),
                    LedgerEntry.reference_id == bill_key,
                    LedgerEntry.transaction_type != ledger.REVERSED,
                )
                .order_by(LedgerEntry.id)
            )
            .mappings()
            .all()
        )
        seq = outbox.reserve(uow)
        touched: dict[int, CardRecord] = {}
        rows = [
            ledger.post(
                uow,
                _card(uow, touched, original["card_id"]),
                ledger.REVERSED,
                -original["points"],
                reference_type=original["reference_type"],  # the referrer's stays REFERRAL
                reverses=original,
                reference_id=bill_key,
                category_id=original["category_id"],
                category_name=original["category_name"],
                referred_card_id=original["referred_card_id"],
                referred_bill_id=original["referred_bill_id"],
                description=f"Reversal of bill {bill_key}",
                performed_by=performed_by,
                device_seq=seq,
            )
            for original in originals
        ]
        bill.status = REVERSED
        bill.reversed_at = uow.now
        bill.reversed_by = performed_by
        card_ids = {row["card_id"] for row in rows} | {row["referred_card_id"] for row in rows}
        named = card_records.numbers(uow, card_ids - {None})
        wire_rows = [ledger.entry_to_mutation(row, named) for row in rows]
        outbox.append(
            uow,
            "bill.reversed",
            {
                "billId": bill_key,
                "reversedAt": uow.now,
                "performedBy": performed_by,
                "ledger": wire_rows,
            },
            config_version=configuration.current(uow).version,
            device_seq=seq,
        )
        uow.commit()
        return {"billId": bill_key, "reversedAt": uow.now, "rows": wire_rows}


def recent(replica: Replica, *, limit: int = 20) -> list[dict[str, Any]]:
    """The newest bills at this till, for the recent-bills list."""
    with replica.reading() as uow:
        rows = uow.session.execute(
            select(Bill, Card.card_number)
            .outerjoin(Card, Bill.card_id == Card.id)
            .order_by(Bill.finalized_at.desc(), Bill.bill_id)
            .limit(limit)
        ).all()
        return [
            {
                "billId": bill.bill_id,
                "cardNumber": number,
                "status": bill.status,
                "billAmount": money(bill.bill_amount),
                "payable": money(bill.payable),
                "pointsEarned": points(bill.points_earned),
                "pointsRedeemed": points(bill.points_redeemed),
                "finalizedAt": bill.finalized_at,
                "reversedAt": bill.reversed_at,
            }
            for bill, number in rows
        ]


def _quote(
    uow: UnitOfWork, card_number: object, bill: BillRequest
) -> tuple[CardRecord | None, Quote]:
    config = configuration.current(uow)
    card = None
    if card_number not in (None, ""):
        card = card_records.load(uow, card_number)
        if not card.is_active:
            raise LoyaltyError(
                errors.CARD_INACTIVE, f"Card {card.card_number} is not active", cardNumber=card.card_number
            )
    if card is None:
        return None, quote_bill(config, None, bill)
    allowance = offline.allowance(uow, card.id, config)
    return card, quote_bill(config, card_records.state(card, offline_allowance=allowance), bill)


def _post_rows(
    uow: UnitOfWork,
    card: CardRecord | None,
    result: Quote,
    bill_id: str,
    seq: int,
    performed_by: str | None,
) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """The bill's ledger rows, and the numbers of the cards they were posted to."""
    if card is None:
        return [], {}
    common = {"reference_id": bill_id, "performed_by": performed_by, "device_seq": seq}
    rows = []
    card_numbers = {card.id: card.card_number}
    if result.points_redeemed:
        rows.append(
            ledger.post(
                uow,
                card,
                ledger.REDEEMED,
                -result.points_redeemed,
                reference_type=ledger.BILL,
                bill_amount=result.net_amount,
                description=f"Redeemed for {money(result.amount_deducted)} off bill {bill_id}",
                **common,
            )
        )
    for earned in result.earn_breakdown:
        if earned.points:
            rows.append(
                ledger.post(
                    uow,
                    card,
                    ledger.EARNED,
                    earned.points,
                    reference_type=ledger.BILL,
                    bill_amount=earned.amount,
                    category_id=earned.category_id,
                    category_name=earned.category_name,
                    point_percentage=earned.point_percentage,
                    **common,
                )
            )
    if result.referrer_points_earned and card.referrer_id is not None:
        referrer = card_records.load_by_id(uow, card.referrer_id)
        card_numbers[referrer.id] = referrer.card_number
        rows.append(
            ledger.post(
                uow,
                referrer,
                ledger.REFERRAL_EARNED,
                result.referrer_points_earned,
                reference_type=ledger.REFERRAL,
                bill_amount=result.payable,
                referred_card_id=card.id,
                referred_bill_id=bill_id,
                description=f"Referral: bill {bill_id} of card {card.card_number}",
                **common,
            )
        )
    return rows, card_numbers


def _card(uow: UnitOfWork, touched: dict[int, CardRecord], card_id: int) -> CardRecord:
    """The card of a row being reversed, read once per unit of work so its figures add up."""
    if card_id not in touched:
        touched[card_id] = card_records.load_by_id(uow, card_id)
    return touched[card_id]


def _replay(earlier: Row[Any], request_hash: str) -> Finalized:
    if earlier.request_hash != request_hash:
        raise LoyaltyError(
            errors.IDEMPOTENCY_CONFLICT,
            f"Bill {earlier.bill_id} was already finalized with different items or card",
            billId=earlier.bill_id,
        )
    return Finalized(jsonio.loads(earlier.result_json), replayed=True)


def _bill_id(value: object) -> str:
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not _BILL_ID.fullmatch(text):
        raise InvalidInput(
            "billId", "A bill id is 1 to 64 letters, digits, '.', '_', ':' or '-' (not starting with a sign)"
        )
    return text


def _request_hash(card_number: object, bill: BillRequest) -> str:
    card = "" if card_number in (None, "") else cardnumber.normalize(str(card_number))
    return hashlib.sha256(jsonio.dumps({"card": card, **bill.to_json()}).encode()).hexdigest()
