"""Expired points at the till: a card's lots as the central service last sent them
(`card_lots`), with this till's own rows since replayed on top (`rules/expiry.py`).

The central service writes the EXPIRED rows; until the till has pulled them, it must not
let the customer redeem points of a lot it knows has expired. A till never connected
works the lots out from its own ledger alone (every row is then "since").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select

from pos_loyalty.replica.db import UnitOfWork
from pos_loyalty.replica.models import CardLot, LedgerEntry
from pos_loyalty.rules.config import LoyaltyConfig
from pos_loyalty.rules.expiry import Entry, Lot, Lots
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


@dataclass(frozen=True)
class CardExpiry:
    """What the till knows of a card's lots now."""

    expired: int  # points of lots that have expired and are not yet taken off by an EXPIRED row
    expiring: int  # points that expire in the next 30 days
    next_expiry_at: datetime | None


NEVER = CardExpiry(0, 0, None)


def of_card(uow: UnitOfWork, card: CardRecord, config: LoyaltyConfig) -> CardExpiry:
    if config.points_expiry_days <= 0:
        return NEVER
    lots = lots_of(uow, card, config.points_expiry_days)
    now = uow.now
    return CardExpiry(lots.expired(now), lots.expiring(now), lots.next_expiry(now))


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
