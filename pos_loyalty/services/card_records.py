"""A card as the till's hot paths read it: one prebuilt SELECT into a `CardRecord`.

Looking a card up is the counter's commonest action and every quote and finalize starts
with it, so a card is read with one Core statement (its columns, and its referrer's
number and state) on the unit of work's connection, not loaded as an ORM object.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import bindparam, exists, func, select
from sqlalchemy.orm import aliased

from pos_loyalty import cardnumber, errors
from pos_loyalty.errors import LoyaltyError
from pos_loyalty.replica.db import UnitOfWork
from pos_loyalty.replica.models import Card, CardHold, ParkedBill
from pos_loyalty.rules.quote import CardState
from pos_loyalty.services import configuration


@dataclass(slots=True)
class CardRecord:
    """A card's row as a unit of work read it, with its referrer's number and state.

    `ledger.store` moves the figures here in step with the row it updates.
    """

    id: int
    card_number: str
    customer_id: str | None
    customer_name: str
    customer_phone: str
    customer_email: str | None
    referrer_id: int | None
    points_balance: int
    total_points_earned: int
    total_points_redeemed: int
    total_referral_points_earned: int
    is_active: bool
    issued_at: datetime
    last_transaction_at: datetime | None
    updated_at: datetime
    referrer_number: str | None  # None when the card has no referrer
    server_id: int | None
    synced_balance: int
    synced_earned: int
    synced_redeemed: int
    synced_referral: int
    synced_seq: int
    referrer_active: bool | None  # None when the referrer's card is not in this replica (yet)
    replaced_by_number: str | None = None  # the card that replaced this one, or it was merged into
    #: Read with the row, in the same snapshot (`services/expiry.held_of`): the points held by
    #: bills parked at this till, and whether any hold was pulled for the card at all.
    parked_held: int = 0
    has_pulled_holds: bool = True
    #: The row id of the newest configuration, read with the card (`configuration.saved`):
    #: a card looked up is shown with it, and a lookup is then one statement.
    newest_config: int | None = None

    @property
    def lifetime_points(self) -> int:
        """What tiers are measured on: points earned on purchases and by referrals."""
        return self.total_points_earned + self.total_referral_points_earned


_referrer = aliased(Card, name="referrer")
# A card is read with what `held_of` needs of its holds, so that a lookup is one statement
# and not three (issue 18: each statement costs the till more than SQLite's work on it).
_PARKED_HELD = (
    select(func.coalesce(func.sum(ParkedBill.held_points), 0))
    .where(ParkedBill.card_number == Card.card_number)
    .scalar_subquery()
)
_HAS_PULLED_HOLDS = exists().where(CardHold.card_id == Card.id)
_NEWEST_CONFIG = configuration.NEWEST_ID.scalar_subquery()
_COMPUTED = {
    "referrer_active": _referrer.is_active,
    "parked_held": _PARKED_HELD,
    "has_pulled_holds": _HAS_PULLED_HOLDS,
    "newest_config": _NEWEST_CONFIG,
}
# The columns in the order of CardRecord's fields, so that a row makes a record positionally
# (by name, through the row's mapping, took a third of a lookup's Python time).
_CARDS = select(
    *(
        _COMPUTED[field.name].label(field.name) if field.name in _COMPUTED else Card.__table__.c[field.name]
        for field in fields(CardRecord)
    )
).outerjoin(_referrer, Card.referrer_id == _referrer.id)
_BY_NUMBER = _CARDS.where(Card.card_number == bindparam("number"))
_BY_ID = _CARDS.where(Card.id == bindparam("card"))
_BY_PHONE = _CARDS.where(Card.customer_phone == bindparam("phone")).order_by(
    Card.is_active.desc(), Card.id.desc()
)


def load(uow: UnitOfWork, number: object, *, field: str = "cardNumber") -> CardRecord:
    """The card with this number (with its referrer's number), or CARD_NOT_FOUND."""
    normalized = cardnumber.validate(number, field)
    row = uow.connection.execute(_BY_NUMBER, {"number": normalized}).first()
    if row is None:
        where = {"field": field} if field != "cardNumber" else {}  # a referrer, say: name the field
        raise LoyaltyError(
            errors.CARD_NOT_FOUND, f"No card {normalized} at this pharmacy", cardNumber=normalized, **where
        )
    return CardRecord(*row)


def refuse_replaced(card: CardRecord) -> None:
    """A bill, a return or an adjustment on a card that was replaced is refused, naming the
    card that took its place (the central service answers the same)."""
    if card.replaced_by_number is not None:
        raise LoyaltyError(
            errors.CARD_REPLACED,
            f"Card {card.card_number} was replaced by card {card.replaced_by_number}; use that card",
            cardNumber=card.card_number,
            replacedByCardNumber=card.replaced_by_number,
        )


def find(uow: UnitOfWork, number: str) -> CardRecord | None:
    """The card with this (valid) number, or None."""
    row = uow.connection.execute(_BY_NUMBER, {"number": number}).first()
    return None if row is None else CardRecord(*row)


def load_by_id(uow: UnitOfWork, card_id: int) -> CardRecord:
    """A card this replica holds, by its row id (a referrer, a reversed row's card)."""
    return CardRecord(*uow.connection.execute(_BY_ID, {"card": card_id}).one())


def with_phone(uow: UnitOfWork, phone: str) -> list[CardRecord]:
    """Every card issued to this (normalised) phone, active first, then newest first."""
    rows = uow.connection.execute(_BY_PHONE, {"phone": phone})
    return [CardRecord(*row) for row in rows]


def state(
    card: CardRecord,
    *,
    offline_allowance: int | None = None,
    expired: int = 0,
    expiring: int = 0,
    next_expiry_at: datetime | None = None,
    held: int = 0,
) -> CardState:
    """What the rules need from a card (offline, what it may still redeem today; with
    expiry, the points of its lots that have expired and what expires next; the points
    held on it, `services/expiry.held_of`)."""
    return CardState(
        card_number=card.card_number,
        is_active=card.is_active,
        points_balance=card.points_balance,
        lifetime_points=card.lifetime_points,
        has_active_referrer=card.referrer_id is not None and bool(card.referrer_active),
        offline_allowance=offline_allowance,
        expired_points=expired,
        expiring_points=expiring,
        next_expiry_at=next_expiry_at,
        held_points=held,
    )


def numbers(uow: UnitOfWork, card_ids: Iterable[int]) -> dict[int, str]:
    """Card numbers by row id, for the cards named in ledger rows."""
    rows = uow.connection.execute(select(Card.id, Card.card_number).where(Card.id.in_(card_ids)))
    return {card_id: number for card_id, number in rows}
