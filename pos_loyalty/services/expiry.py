"""Expired and held points at the till: a card's lots as the central service last sent them
(`card_lots`), with this till's own rows since replayed on top (`rules/expiry.py`), and the
points held on it (`rules/holds.py`).

The central service writes the EXPIRED rows; until the till has pulled them, it must not
let the customer redeem points of a lot it knows has expired. A till never connected
works the lots out from its own ledger alone (every row is then "since").

Held points are those of the card's holds as last pulled (a web shop's pending payment),
until each one's `expiresAt` passes, and those of the bills parked at this till that
redeem them (`services/parked.py`), until the bill is taken back or thrown away.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select

from pos_loyalty.replica.db import UnitOfWork
from pos_loyalty.replica.models import CardHold, CardLot, LedgerEntry
from pos_loyalty.rules.config import LoyaltyConfig
from pos_loyalty.rules.expiry import Entry, Lot, Lots
from pos_loyalty.rules.holds import Hold, held_points
from pos_loyalty.services.card_records import CardRecord

_LOTS = select(CardLot.expires_at, CardLot.points).where(CardLot.card_id == bindparam("card")).order_by(CardLot.id)
_SINCE = (
    select(LedgerEntry.id, LedgerEntry.transaction_type, LedgerEntry.points, LedgerEntry.created_at, LedgerEntry.reverses_id)
    .where(LedgerEntry.card_id == bindparam("card"), LedgerEntry.device_seq > bindparam("seq"))
    .order_by(LedgerEntry.id)
)
_ALL = (
    select(LedgerEntry.id, LedgerEntry.transaction_type, LedgerEntry.points, LedgerEntry.created_at, LedgerEntry.reverses_id)
    .where(LedgerEntry.card_id == bindparam("card"))
    .order_by(LedgerEntry.id)
)


_PULLED_HOLDS = select(CardHold.points, CardHold.expires_at).where(CardHold.card_id == bindparam("card"))


@dataclass(frozen=True)
class CardExpiry:
    """What the till knows of a card's lots and holds now."""

    expired: int  # points of lots that have expired and are not yet taken off by an EXPIRED row
    expiring: int  # points that expire in the next 30 days
    next_expiry_at: datetime | None
    held: int = 0  # points held for a payment pending elsewhere or by a bill parked here


def of_card(uow: UnitOfWork, card: CardRecord, config: LoyaltyConfig) -> CardExpiry:
    held = held_of(uow, card)
    if not expires(config):
        return CardExpiry(0, 0, None, held)
    lots = lots_of(uow, card, config.points_expiry_days)
    now = uow.now
    return CardExpiry(lots.expired(now), lots.expiring(now), lots.next_expiry(now), held)


def expires(config: LoyaltyConfig) -> bool:
    """Whether points expire under `config`: then a card's lots are read (`of_card`)."""
    return config.points_expiry_days > 0


def read_with_card(card: CardRecord, config: LoyaltyConfig) -> bool:
    """Whether `of_card` needs nothing but what was read with the card: no pulled holds
    to read, no lots (so a lookup may be the card's one statement, `cards.find`)."""
    return not card.has_pulled_holds and not expires(config)


def held_of(uow: UnitOfWork, card: CardRecord) -> int:
    """The card's points held now: its pulled holds not yet lapsed, and its parked bills'
    (as read with the card, in this unit of work: `card_records`)."""
    pulled = []
    if card.has_pulled_holds:
        rows = uow.connection.execute(_PULLED_HOLDS, {"card": card.id})
        pulled = [Hold(points, expires_at) for points, expires_at in rows]
    return held_points(pulled, uow.now) + card.parked_held


def lots_of(uow: UnitOfWork, card: CardRecord, days: int) -> Lots:
    """The card's lots: the server's, then this till's rows it has not seen yet."""
    lots = Lots(days)
    pulled = uow.connection.execute(_LOTS, {"card": card.id}).all()
    if pulled or card.server_id is not None:
        for index, (expires_at, points) in enumerate(pulled):
            lots.lots.append(Lot(("pulled", index), expires_at, points, points))
        rows = uow.connection.execute(_SINCE, {"card": card.id, "seq": card.synced_seq})
    else:
        rows = uow.connection.execute(_ALL, {"card": card.id})
    times: dict[object, datetime] = {}
    for row_id, kind, points, at, reverses in rows:
        times[row_id] = at
        lots.add(Entry(row_id, kind, points, at, reverses), times)
    return lots
