"""Bills at the till: quote, finalize (once), reverse (once), recent bills.

Finalizing is one SQLite transaction: the card's ledger rows, the referrer's row, both
cards' figures, the bill, and its `bill.finalized` outbox mutation. It runs under
`BEGIN IMMEDIATE`, so the balance it checks is the balance it writes, whoever else has
the replica open. Quoting and finalizing are the counter's hot path: they run prebuilt
Core statements on the unit of work's connection, not the ORM session.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, bindparam, insert, select, update

from pos_loyalty import bill_numbers, cardnumber, errors, jsonio
from pos_loyalty.amounts import money, points
from pos_loyalty.errors import InvalidInput, LoyaltyError
from pos_loyalty.replica.db import Replica, UnitOfWork
from pos_loyalty.replica.models import Bill, BillReturn, Card, LedgerEntry, SyncState
from pos_loyalty.rules.bill import BillRequest, parse_bill_id
from pos_loyalty.rules.config import LoyaltyConfig, config_to_json
from pos_loyalty.rules.ledger import BILL, REFERRAL, REWARD
from pos_loyalty.rules.postings import BillFigures, Posting, bill_postings, reversal_postings
from pos_loyalty.rules.programme import local_date
from pos_loyalty.rules.quote import CardState, Quote, quote_bill
from pos_loyalty.services import bill_names, card_records, configuration, expiry, ledger, offline, outbox
from pos_loyalty.services.card_records import CardRecord

FINALIZED = "FINALIZED"
REVERSED = "REVERSED"

_EARLIER = select(Bill.bill_id, Bill.request_hash, Bill.result_json, Bill.number_prefix, Bill.number).where(
    Bill.bill_id == bindparam("bill")
)
_INSERT_BILL = insert(Bill)

#: A finalize's first statement, on the till's counter row: it takes the bill's deviceSeq
#: and short number (a sale that does not commit gives both back), and reads whether the
#: bill id was finalized before, how the till stands with the central service, the
#: settings its prefix is made from and the configuration in use: one statement, not six.
_OPEN = (
    update(SyncState)
    .where(SyncState.id == 1)
    .values({**outbox.TAKE_SEQ, **bill_names.TAKE_NUMBER})
    .returning(
        outbox.SEQ_TAKEN.label("seq"),
        bill_names.NUMBER_TAKEN.label("number"),
        select(Bill.bill_id).where(Bill.bill_id == bindparam("bill")).exists().label("finalized_before"),
        *(column.label(name) for column, name in zip(offline.STANDING, ("last_success", "connected"))),
        *(column.label(name) for column, name in zip(bill_names.NAMING, ("prefix", "device_name"))),
        *(column.label(name) for column, name in zip(configuration.IN_USE, ("config_row", "config_origin"))),
    )
)


def quote(replica: Replica, card_number: object, bill: BillRequest) -> Quote:
    """The bill worked out against the card as it stands; writes nothing."""
    with replica.reading() as uow:
        return _quote(uow, card_number, bill)[2]


@dataclass(frozen=True)
class Finalized:
    """What the customer saw: the quote plus `billId`, `newBalance`, `finalizedAt`, and the
    bill's short number at this till, `billNumber` ("T1-000123": for people; not sent to the
    central service, which knows the bill by its id)."""

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
    bill_key = parse_bill_id(bill_id) if bill_id not in (None, "") else str(uuid.uuid4())
    # The bill's document is stored, hashed and sent: each of its members is written as
    # JSON once (`jsonio.Raw`), and so is the result (the bill's row and the mutation's).
    bill_doc = {key: jsonio.Raw(jsonio.dumps(value)) for key, value in bill.to_json().items()}
    request_hash = _request_hash(card_number, bill_doc)
    with replica.writing() as uow:
        opened = uow.connection.execute(_OPEN, {"bill": bill_key}).one()
        if opened.finalized_before:
            return _replay(uow.connection.execute(_EARLIER, {"bill": bill_key}).one(), request_hash)
        seq, number = opened.seq, opened.number
        number_prefix = bill_numbers.prefix_of(opened.prefix, opened.device_name)
        config, unshared = configuration.of_columns(uow, opened.config_row, opened.config_origin)
        card, state, result = _quote(uow, card_number, bill, config, (opened.last_success, opened.connected))
        postings = _bill_rows(uow, card, result, bill_key)
        rows = ledger.store(uow, postings, performed_by=performed_by, device_seq=seq)
        card_numbers = {p.card.id: p.card.card_number for p in postings}
        referrer = next((p.card.card_number for p in postings if p.card is not card), None)
        record = {
            **result.to_json(),
            "billId": bill_key,
            "newBalance": points(card.points_balance) if card is not None else None,
            "finalizedAt": jsonio.iso(uow.now),
        }
        # Written once; `record` is what the text reads back as (`Quote.to_json`), so the
        # answer is `record` itself, as a repeat of the bill answers with the text parsed.
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
                "bill_json": jsonio.dumps(bill_doc),
                "number": number,
                "number_prefix": number_prefix,
            },
        )
        outbox.append(
            uow,
            "bill.finalized",
            {
                "billId": bill_key,
                "cardNumber": result.card_number,
                "cardState": state.to_json() if state is not None else None,
                **_unshared_config(unshared),
                "referrerCardNumber": referrer,
                **bill_doc,
                "performedBy": performed_by,
                "finalizedAt": uow.now,
                "result": jsonio.Raw(result_text),
                "ledger": [ledger.entry_to_mutation(row, card_numbers) for row in rows],
            },
            config_version=result.config_version,
            device_seq=seq,
        )
        uow.commit()
        return Finalized({**record, "billNumber": bill_numbers.name(number_prefix, number)}, replayed=False)


def reverse(replica: Replica, bill_id: object, *, performed_by: str | None = None) -> dict[str, Any]:
    """Take back every row of the bill (the referrer's too) that is left; once per bill."""
    bill_key = parse_bill_id(bill_id)
    with replica.writing() as uow:
        session = uow.session
        bill = session.get(Bill, bill_key)
        if bill is None:
            raise LoyaltyError(errors.BILL_NOT_FOUND, f"No bill {bill_key} at this till", billId=bill_key)
        if bill.status == REVERSED:
            raise LoyaltyError(
                errors.ALREADY_REVERSED,
                f"Bill {bill_numbers.name(bill.number_prefix, bill.number)} was already reversed on "
                f"{bill.reversed_at:%Y-%m-%d %H:%M}",
                billId=bill_key,
            )
        seq = outbox.reserve(uow)
        postings = reversal_postings(rows_of(uow, bill_key), bill_key)
        rows = ledger.store(uow, postings, performed_by=performed_by, device_seq=seq)
        bill.status = REVERSED
        bill.reversed_at = uow.now
        bill.reversed_by = performed_by
        wire_rows = ledger.rows_to_mutation(uow, rows)
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
        number = bill_numbers.name(bill.number_prefix, bill.number)
        return {"billId": bill_key, "billNumber": number, "reversedAt": uow.now, "rows": wire_rows}


#: The most bills one list shows (a figure SQLite's LIMIT can hold, and a screen can).
MAX_RECENT = 10_000


def recent(replica: Replica, *, limit: int = 20) -> list[dict[str, Any]]:
    """The newest bills at this till, for the recent-bills list."""
    if not 1 <= limit <= MAX_RECENT:
        raise InvalidInput("limit", f"limit must be between 1 and {MAX_RECENT}")
    with replica.reading() as uow:
        returned = select(BillReturn.bill_id).where(BillReturn.bill_id == Bill.bill_id).exists()
        rows = uow.session.execute(
            select(Bill, Card.card_number, Card.customer_name, returned)
            .outerjoin(Card, Bill.card_id == Card.id)
            .order_by(Bill.finalized_at.desc(), Bill.bill_id)
            .limit(limit)
        ).all()
        return [
            {
                "billId": bill.bill_id,
                "billNumber": bill_numbers.name(bill.number_prefix, bill.number),
                "cardNumber": number,
                "customerName": customer,
                "status": bill.status,
                "billAmount": money(bill.bill_amount),
                "payable": money(bill.payable),
                "pointsEarned": points(bill.points_earned),
                "pointsRedeemed": points(bill.points_redeemed),
                "finalizedAt": bill.finalized_at,
                "reversedAt": bill.reversed_at,
                "returned": has_returns,
            }
            for bill, number, customer, has_returns in rows
        ]


def show(replica: Replica, typed: object) -> dict[str, Any]:
    """One bill of this till, named by its short number or its id: the result the customer
    saw (with `billNumber`), the bill's items as rung up, its customer, who finalized it, whether it was reversed, and
    the answers of its returns, oldest first."""
    bill_id = bill_names.find(replica, typed).bill_id
    with replica.reading() as uow:
        bill, customer = uow.session.execute(
            select(Bill, Card.customer_name).outerjoin(Card, Bill.card_id == Card.id).where(Bill.bill_id == bill_id)
        ).one()
        answers = uow.connection.execute(
            select(BillReturn.answer_json).where(BillReturn.bill_id == bill_id).order_by(BillReturn.returned_at)
        ).scalars()
        return {
            **_numbered(bill.result_json, bill.number_prefix, bill.number),
            "items": jsonio.loads(bill.bill_json)["items"],
            "customerName": customer,
            "status": bill.status,
            "performedBy": bill.performed_by,
            "reversedAt": bill.reversed_at,
            "reversedBy": bill.reversed_by,
            "returns": [jsonio.loads(answer) for answer in answers],
        }


def _quote(
    uow: UnitOfWork,
    card_number: object,
    bill: BillRequest,
    config: LoyaltyConfig | None = None,
    standing: tuple[object, bool] | None = None,
) -> tuple[CardRecord | None, CardState | None, Quote]:
    """The card on the bill, what the rules were told of it, and the quote. `config` and
    `standing` (`offline.STANDING`), when the caller read them already."""
    if config is None:
        config = configuration.current(uow)
    if card_number in (None, ""):
        return None, None, quote_bill(config, None, bill, local_date(uow.now, config.time_zone))
    card = card_records.load(uow, card_number)
    card_records.refuse_replaced(card)
    if not card.is_active:
        raise LoyaltyError(
            errors.CARD_INACTIVE, f"Card {card.card_number} is not active", cardNumber=card.card_number
        )
    allowance = offline.allowance(uow, card.id, config, standing)
    known = expiry.of_card(uow, card, config)
    state = card_records.state(
        card,
        offline_allowance=allowance,
        expired=known.expired,
        expiring=known.expiring,
        next_expiry_at=known.next_expiry_at,
        held=known.held,
    )
    return card, state, quote_bill(config, state, bill, local_date(uow.now, config.time_zone))


def _bill_rows(uow: UnitOfWork, card: CardRecord | None, result: Quote, bill_id: str) -> list[Posting[CardRecord]]:
    """The bill's rows, by the rules; the referrer's card is read only when it earns."""
    if card is None:
        return []
    referrer = None
    if result.referrer_points_earned and card.referrer_id is not None:
        referrer = card_records.load_by_id(uow, card.referrer_id)
    return bill_postings(BillFigures.of_quote(result), bill_id, card, card.card_number, referrer)


_ROWS_OF_BILL = (
    select(LedgerEntry)
    .where(LedgerEntry.reference_type.in_((BILL, REFERRAL, REWARD)), LedgerEntry.reference_id == bindparam("bill"))
    .order_by(LedgerEntry.id)
)


def rows_of(uow: UnitOfWork, bill_id: str) -> list:
    """Every row that names the bill, with the cards it is on (each read once, so their
    figures add up however many rows move them)."""
    cards: dict[int, CardRecord] = {}

    def card(card_id: int | None) -> CardRecord | None:
        if card_id is None:
            return None
        if card_id not in cards:
            cards[card_id] = card_records.load_by_id(uow, card_id)
        return cards[card_id]

    entries = uow.connection.execute(_ROWS_OF_BILL, {"bill": bill_id}).mappings().all()
    return [ledger.posted(entry, card(entry["card_id"]), card(entry["referred_card_id"])) for entry in entries]


def _unshared_config(config: LoyaltyConfig | None) -> dict[str, Any]:
    """The configuration itself, when the central service may know its version number as
    another configuration (`configuration.unshared`: an edit made here and not pulled back
    yet): it checks the bill with what the till really used."""
    if config is None:
        return {}
    # A configuration never changes once saved: its JSON is written once, not on every bill.
    # Each entry holds its configuration, so the id it is found by is never another's.
    known = _CONFIG_JSON.get(id(config))
    if known is None or known[0] is not config:
        if len(_CONFIG_JSON) >= 16:
            _CONFIG_JSON.clear()
        known = _CONFIG_JSON[id(config)] = (config, jsonio.Raw(jsonio.dumps(config_to_json(config))))
    return {"config": known[1]}


_CONFIG_JSON: dict[int, tuple[LoyaltyConfig, jsonio.Raw]] = {}


def _replay(earlier: Row[Any], request_hash: str) -> Finalized:
    if earlier.request_hash != request_hash:
        raise LoyaltyError(
            errors.IDEMPOTENCY_CONFLICT,
            f"Bill {earlier.bill_id} was already finalized with different items or card",
            billId=earlier.bill_id,
        )
    return Finalized(_numbered(earlier.result_json, earlier.number_prefix, earlier.number), replayed=True)


def _numbered(result_json: str, number_prefix: str, number: int) -> dict[str, Any]:
    """The stored result (as the central service got it) with the bill's short number."""
    return {**jsonio.loads(result_json), "billNumber": bill_numbers.name(number_prefix, number)}


def _request_hash(card_number: object, bill_doc: dict[str, Any]) -> str:
    """What a repeat of the bill (`bill_doc`: `BillRequest.to_json`) must match to be a replay."""
    card = "" if card_number in (None, "") else cardnumber.normalize(str(card_number))
    return hashlib.sha256(jsonio.dumps({"card": card, **bill_doc}).encode()).hexdigest()
