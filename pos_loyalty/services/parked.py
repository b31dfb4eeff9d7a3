"""Parked bills: a bill put aside before it is finalized, kept in the replica so a restart
of the till (or a crash) loses nothing. Parking writes nothing the central service needs.

A parked bill that redeems points (or buys reward products with them) holds them at this
till until it is taken back or thrown away (`sync-protocol.md`, Wave 2): the card's
available balance leaves them out (`services/expiry.held_of`), so they cannot be spent
twice while the customer is away."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from pos_loyalty import cardnumber, jsonio
from pos_loyalty.amounts import parse_points
from pos_loyalty.errors import InvalidInput, LoyaltyError
from pos_loyalty.replica.db import Replica
from pos_loyalty.replica.models import ParkedBill
from pos_loyalty.rules import bill_from_json
from pos_loyalty.rules.config import LoyaltyConfig
from pos_loyalty.rules.holds import parked_points
from pos_loyalty.services import configuration

NOT_PARKED = "NOT_PARKED"


@dataclass(frozen=True)
class Parked:
    id: int
    label: str
    created_at: datetime
    document: dict[str, Any]  # the bill as parked (`park`'s document): what the list shows of it


def park(replica: Replica, document: dict[str, Any], label: str) -> int:
    """Keep a bill in progress (its card, lines, redemption, flat discount) under `label`."""
    with replica.writing() as uow:
        number, held = _holds(document, configuration.current(uow))
        row = ParkedBill(
            label=label[:255] or "Bill", document=jsonio.dumps(document), created_at=uow.now,
            card_number=number, held_points=held,
        )
        uow.session.add(row)
        uow.session.flush()
        uow.commit()
        return row.id


def parked(replica: Replica) -> list[Parked]:
    with replica.reading() as uow:
        rows = uow.connection.execute(
            select(ParkedBill.id, ParkedBill.label, ParkedBill.created_at, ParkedBill.document).order_by(ParkedBill.id)
        )
        return [Parked(row.id, row.label, row.created_at, jsonio.loads(row.document)) for row in rows]


def resume(replica: Replica, parked_id: int) -> dict[str, Any]:
    """Take a parked bill back to the counter (it is no longer parked)."""
    with replica.writing() as uow:
        row = uow.session.get(ParkedBill, parked_id)
        if row is None:
            raise LoyaltyError(NOT_PARKED, "That bill is no longer parked")
        document = jsonio.loads(row.document)
        uow.session.delete(row)
        uow.commit()
        return document


def discard(replica: Replica, parked_id: int) -> None:
    with replica.writing() as uow:
        uow.connection.execute(delete(ParkedBill).where(ParkedBill.id == parked_id))
        uow.commit()


def _holds(document: dict[str, Any], config: LoyaltyConfig) -> tuple[str | None, int]:
    """The card whose points the bill would take, and how many (`rules.holds.parked_points`).
    A bill still being typed (a line without its amount) holds the points it redeems."""
    try:
        number = cardnumber.validate(document.get("cardNumber"))
    except InvalidInput:
        return None, 0
    try:
        bill = bill_from_json(document)
        return number, parked_points(bill.redeem_points, bill.rewards, config)
    except InvalidInput:
        try:
            return number, parse_points(document.get("redeemPoints") or 0, "redeemPoints")
        except InvalidInput:
            return number, 0
