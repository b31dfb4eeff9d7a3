"""A billing system's calls on the central service: quote, earn, redeem and reverse on a bill.

Every figure comes from the shared rules (`pos_loyalty.rules`): `quote_bill` for a
quote, `earning` for a bill the caller has already priced, `redemption` for points
taken off a bill. Points move only through `Postings`, under row locks (`cards.lock`, in
id order), so requests on the same card wait for each other instead of losing an update,
and a redemption checks the balance it is about to write. The order is always the
bill's row (when it exists), then the cards. On PostgreSQL a foreign key check takes a
KEY SHARE lock, which waits for a FOR UPDATE; so a new bill's row, which names its
card, is inserted only once that card is locked.

A bill (seed 002's `billId`) has one row in `bills`: made by its first earn or redeem,
marked REVERSED by its reversal; a reversed bill takes no more points either way.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from central.store import cards
from central.store.cards import CardRow
from central.store.db import Unit
from central.store.ledger import Postings, posted, row_json, rows_of_bill
from central.store.models import Bill, PointTransaction
from central.store.returns import earn_record
from pos_loyalty import errors
from pos_loyalty.amounts import money, points
from pos_loyalty.errors import InvalidInput, LoyaltyError
from pos_loyalty.rules import BillRequest, LoyaltyConfig, earning, quote_bill, redemption
from pos_loyalty.rules.ledger import BILL, EARNED, REDEEMED, REVERSED
from pos_loyalty.rules.programme import local_date
from pos_loyalty.rules.postings import BillFigures, bill_postings, reversal_postings

if TYPE_CHECKING:
    from central.auth import Principal

FINALIZED = "FINALIZED"
_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
#: A bill amount so large that no cap binds: a redemption without `billAmount`.


@dataclass(frozen=True)
class EarnRequest:
    card_number: str
    bill_id: str
    bill_amount: int  # money paid for the whole bill, hundredths
    items: tuple[tuple[int, int], ...]  # (categoryId, money paid in it), as sent

    def __post_init__(self) -> None:
        # The customer's points come from the items and the referrer's from billAmount: both
        # must be the one bill (docs/decisions.md, "earn-points items add up to the bill").
        paid = sum(amount for _category, amount in self.items)
        if paid != self.bill_amount:
            raise InvalidInput(
                "billAmount",
                f"billAmount is {money(self.bill_amount)} but the items add up to {money(paid)}: "
                "send the amount paid for each item and their total",
            )


@dataclass(frozen=True)
class RedeemRequest:
    bill_id: str
    points: int  # hundredths of a point
    card_number: str | None = None
    card_id: int | None = None
    bill_amount: int | None = None  # None: the caller did not say, so no cap is applied


def canonical(request: EarnRequest | RedeemRequest) -> dict[str, Any]:
    """What makes two requests the same request, for `idempotency.Claim.of`."""
    return asdict(request)


def quote(unit: Unit, card_number: str | None, bill: BillRequest) -> dict[str, Any]:
    """The bill worked out against the card as it stands; writes nothing."""
    config = cards.current_config(unit)
    card = None
    if card_number is not None:
        card = active_card(cards.by_number(unit, card_number))
    state = cards.known_state(unit, card, config.points_expiry_days) if card else None
    return quote_bill(config, state, bill, local_date(unit.now, config.time_zone)).to_json()


def earn(unit: Unit, request: EarnRequest, by: Principal) -> dict[str, Any]:
    """Points on money the caller says was paid: one EARNED row per category that earns,
    and the referrer's REFERRAL_EARNED row on `billAmount`."""
    config = _config_checking_bill(unit, request.bill_id, EARNED)
    _known_categories(config, request.items)
    bill, card, referrer = _bill_card_and_referrer(unit, request.bill_id, request.card_number)
    paid_by_category: dict[int, int] = {}
    for category_id, amount in request.items:
        paid_by_category[category_id] = paid_by_category.get(category_id, 0) + amount
    earned = earning(config, card.state(), paid_by_category, request.bill_amount, local_date(unit.now, config.time_zone))
    record = earn_record(request.items, {line.category_id: line.multiplier for line in earned.breakdown}, earned.referral_percent)
    if not open_bill(unit, bill, request.bill_id, card.id, by, config, payable=request.bill_amount, bill_json=record):
        # The bill was there (or made meanwhile by another request): checked again under its lock.
        not_posted_elsewhere(unit, request.bill_id, EARNED)
    figures = BillFigures(
        payable=request.bill_amount, earned=earned.breakdown, referrer_points=earned.referrer_points_earned
    )
    postings = Postings(unit)
    postings.post_all(
        bill_postings(figures, request.bill_id, card, card.card_number, referrer), **written_by(by)
    )
    postings.flush()
    return {
        "billId": request.bill_id,
        "cardNumber": card.card_number,
        "pointsEarned": points(earned.points_earned),
        "newBalance": points(card.points_balance),
        "referrerPointsEarned": points(earned.referrer_points_earned),
        "earnBreakdown": [line.to_json() for line in earned.breakdown],
    }


def redeem(unit: Unit, request: RedeemRequest, by: Principal) -> dict[str, Any]:
    """Take `points` off the card for money off the bill: minimum, balance and (with
    `billAmount`) the maximum-% rule, all from `redemption`."""
    config = _config_checking_bill(unit, request.bill_id, REDEEMED)
    found = active_card(_card_of(unit, request))
    bill = lock_bill(unit, request.bill_id)
    card = active_card(cards.relock(unit, found))
    if not open_bill(unit, bill, request.bill_id, card.id, by, config):
        not_posted_elsewhere(unit, request.bill_id, REDEEMED)  # as in `earn`
    result = redemption(config, cards.known_state(unit, card, config.points_expiry_days), request.points, request.bill_amount)
    return post_redemption(unit, card, request.bill_id, request.points, result.amount_deducted, request.bill_amount, by)


def post_redemption(
    unit: Unit, card: CardRow, bill_id: str, redeemed: int, amount_deducted: int, bill_amount: int | None, by: Principal
) -> dict[str, Any]:
    """The REDEEMED row of a redemption the rules allowed (just now, or when its points were
    held: `store/holds.py`) on the bill's open row, and `redeem-points`' answer."""
    figures = BillFigures(points_redeemed=redeemed, amount_deducted=amount_deducted, net_amount=bill_amount)
    postings = Postings(unit)
    cards.load_webhooks(unit)
    postings.post_all(bill_postings(figures, bill_id, card, card.card_number, None), **written_by(by))
    postings.flush()
    return {
        "billId": bill_id,
        "cardId": card.id,
        "cardNumber": card.card_number,
        "pointsRedeemed": points(redeemed),
        "amountDeducted": money(amount_deducted),
        "newBalance": points(card.points_balance),
    }


def reverse(unit: Unit, bill_id: str, by: Principal) -> dict[str, Any]:
    """One REVERSED row per row of the bill, the referrer's too, each counted against the
    type it reverses; the bill is then REVERSED and takes no more points."""
    bill = lock_bill(unit, bill_id)
    if bill is None:
        raise LoyaltyError(errors.BILL_NOT_FOUND, f"No bill {bill_id} here", billId=bill_id)
    if bill.status == REVERSED:
        raise _reversed(bill_id)
    named = rows_of_bill(unit, bill_id)
    locked = cards.lock(unit, sorted({row.card_id for row in named}))
    postings = Postings(unit)
    rows = postings.post_all(
        reversal_postings([posted(row, locked) for row in named], bill_id), **written_by(by)
    )
    postings.flush()
    unit.connection.execute(
        update(Bill).where(Bill.id == bill.id).values(status=REVERSED, reversed_at=unit.now)
    )
    numbers = {card.id: card.card_number for card in locked.values()}
    return {"billId": bill_id, "reversedAt": unit.now, "rows": [row_json(row, numbers) for row in rows]}


# --- the bill's row -------------------------------------------------------------------


def open_bill(
    unit: Unit,
    bill: Row[Any] | None,
    bill_id: str,
    card_id: int,
    by: Principal,
    config: LoyaltyConfig,
    *,
    payable: int | None = None,
    bill_json: Any = None,
) -> bool:
    """Make the bill's row unless `bill` (locked) is it; a bill has one card and is never
    reopened. With `payable` (and `bill_json`, what an earn keeps of it), the row says so.
    True when this request made the row (no other can have put points on the bill since)."""
    if bill is None:
        made = unit.connection.execute(
            _NEW_BILL[unit.connection.dialect.name],
            {
                "tenant": unit.tenant,
                "bill": bill_id,
                "card": card_id,
                "device": by.device_id,
                "version": config.version,
                "at": unit.now,
                "payable": payable,
                "bill_json": bill_json,
            },
        ).first()
        if made is not None:  # the common case: one statement
            return True
        bill = lock_bill(unit, bill_id)  # made just now by another request, which has committed
        assert bill is not None
    refuse_closed(bill, bill_id, card_id)
    if payable is not None:
        values = {"payable": payable} if bill_json is None else {"payable": payable, "bill_json": bill_json}
        unit.connection.execute(update(Bill).where(Bill.id == bill.id).values(**values))
    return False


def refuse_closed(bill: Row[Any], bill_id: str, card_id: int) -> None:
    """A reversed bill takes no more points, and a bill has one card."""
    if bill.status == REVERSED:
        raise _reversed(bill_id)
    if bill.card_id != card_id:
        raise LoyaltyError(
            errors.IDEMPOTENCY_CONFLICT,
            f"Bill {bill_id} is another card's bill; a bill has one card",
            billId=bill_id,
            field="cardNumber",
        )


def lock_bill(unit: Unit, bill_id: str) -> Row[Any] | None:
    return unit.connection.execute(_LOCK_BILL, {"tenant": unit.tenant, "bill": bill_id}).first()


def _config_checking_bill(unit: Unit, bill_id: str, transaction_type: str) -> LoyaltyConfig:
    """The configuration and the webhooks (`cards.config_and_webhooks`), having made sure in
    the same statement that the bill has no points of this type yet (`not_posted_elsewhere`).
    This is before the bill is locked: points posted another way meanwhile come with the
    bill's row, so a request that then finds the row made checks again (`open_bill`)."""
    config, posted = cards.config_and_webhooks(unit, _CONFIG_WEBHOOKS_POSTED, bill=bill_id, type=transaction_type)
    if posted:
        raise _posted_elsewhere(bill_id, transaction_type)
    return config


def not_posted_elsewhere(unit: Unit, bill_id: str, transaction_type: str) -> None:
    """Points of this type already on the bill came another way (a till's finalized bill):
    earning or redeeming them again here would count them twice."""
    posted = unit.connection.execute(
        _POSTED, {"tenant": unit.tenant, "bill": bill_id, "type": transaction_type}
    ).first()
    if posted is not None:
        raise _posted_elsewhere(bill_id, transaction_type)


def _posted_elsewhere(bill_id: str, transaction_type: str) -> LoyaltyError:
    return LoyaltyError(
        errors.IDEMPOTENCY_CONFLICT,
        f"Bill {bill_id} already has {transaction_type} points, recorded another way (at a till)",
        billId=bill_id,
    )


# Built once, their values given as parameters (building and keying a statement costs far
# more than running it: issue 18).
_LOCK_BILL = (
    select(Bill.id, Bill.status, Bill.card_id)
    .where(Bill.tenant_id == bindparam("tenant"), Bill.bill_id == bindparam("bill"))
    .with_for_update()
)
_POSTED = (
    select(PointTransaction.id)
    .where(
        PointTransaction.tenant_id == bindparam("tenant"),
        PointTransaction.reference_id == bindparam("bill"),
        PointTransaction.reference_type == BILL,
        PointTransaction.transaction_type == bindparam("type"),
    )
    .limit(1)
)
_CONFIG_WEBHOOKS_POSTED = cards.with_config_and_webhooks(_POSTED)  # `_config_checking_bill`


def _new_bill(insert: Any) -> Any:
    """The bill's row, unless another request made it just now (then no row comes back)."""
    return (
        insert(Bill)
        .values(
            tenant_id=bindparam("tenant"),
            bill_id=bindparam("bill"),
            card_id=bindparam("card"),
            device_id=bindparam("device"),
            status=FINALIZED,
            config_version=bindparam("version"),
            created_at=bindparam("at"),
            payable=bindparam("payable"),
            bill_json=bindparam("bill_json", type_=Bill.__table__.c.bill_json.type),
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "bill_id"])
        .returning(Bill.id)
    )


_NEW_BILL = {dialect: _new_bill(insert) for dialect, insert in _INSERT.items()}


def _reversed(bill_id: str) -> LoyaltyError:
    return LoyaltyError(errors.ALREADY_REVERSED, f"Bill {bill_id} has been reversed", billId=bill_id)


# --- cards ----------------------------------------------------------------------------


def _card_of(unit: Unit, request: RedeemRequest) -> CardRow:
    if request.card_id is None:
        return cards.by_number(unit, request.card_number)
    card = cards.by_id(unit, request.card_id)
    if request.card_number is not None and card.card_number != request.card_number:
        raise InvalidInput("cardNumber", f"Card {request.card_id} is not card {request.card_number}")
    return card


def active_card(card: CardRow) -> CardRow:
    cards.refuse_replaced(card)
    if not card.is_active:
        raise LoyaltyError(
            errors.CARD_INACTIVE, f"Card {card.card_number} is not active", cardNumber=card.card_number
        )
    return card


def _bill_card_and_referrer(unit: Unit, bill_id: str, number: str) -> tuple[Row[Any] | None, CardRow, CardRow | None]:
    """The bill's row (if it exists), the active card that earns on it and that card's
    referrer (only if active), all locked, in that order (the cards in id order)."""
    if unit.connection.dialect.name == "sqlite":
        # The write transaction is exclusive from its start: the card as read is the card as
        # locked; only its referrer is still to read.
        card = active_card(cards.by_number(unit, number))
        bill = lock_bill(unit, bill_id)
        referrer_id = card.referrer_card_id
        locked = cards.lock(unit, [referrer_id]) if referrer_id is not None else {}
    else:
        bill = lock_bill(unit, bill_id)
        locked = cards.lock_with_referrer(unit, number)  # one round trip for the usual case
        named = [card for card in locked.values() if card.card_number == number]
        if not named:
            raise LoyaltyError(errors.CARD_NOT_FOUND, f"No card {number}", cardNumber=number)
        card = active_card(named[0])
        referrer_id = card.referrer_card_id
        while referrer_id is not None and referrer_id not in locked:  # relinked before the lock
            locked = cards.lock(unit, [card.id, referrer_id])
            card = locked[card.id]
            if card.referrer_card_id == referrer_id:
                break
            referrer_id = card.referrer_card_id
    referrer = locked.get(referrer_id) if referrer_id is not None else None
    card.referrer_active = referrer is not None and referrer.is_active  # as locked, not as first read
    return bill, card, referrer if card.referrer_active else None


def _known_categories(config: LoyaltyConfig, items: tuple[tuple[int, int], ...]) -> None:
    for index, (category_id, _amount) in enumerate(items):
        if not config.knows_category(category_id):
            raise InvalidInput(
                f"items[{index}].categoryId",
                f"Category {category_id} is not in this pharmacy's configuration",
            )


def written_by(by: Principal) -> dict[str, Any]:
    """Who a row was written by: the caller's name, and its device when it is a till's."""
    return {"performed_by": by.performed_by, "device_id": by.device_id}
