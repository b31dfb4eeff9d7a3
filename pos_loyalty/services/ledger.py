"""Posting points to a card: one append-only ledger row, and the card's figures with it.

`post` is the only code that changes a card's balance or totals, so the invariant
"balance = sum of rows, each total = sum of its type" holds by construction; `totals`
recomputes the figures from the rows to check it. Posting is on the till's hot path
(every finalize posts several rows), so it runs two prebuilt Core statements; a posted
row is handed back as a dict of the ledger's columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import aliased

from pos_loyalty.amounts import money, percent, points
from pos_loyalty.replica.db import UnitOfWork
from pos_loyalty.replica.models import Card, LedgerEntry
from pos_loyalty.services.card_records import CardRecord

from pos_loyalty.rules.ledger import (  # noqa: F401  (the vocabulary, as ledger.BILL etc.)
    ADJUSTED,
    BILL,
    EARNED,
    EXPIRED,
    MANUAL,
    REDEEMED,
    REFERRAL,
    REFERRAL_EARNED,
    REVERSED,
    totals_moved,
)

#: The columns a caller of `post` may leave out (NULL in the row).
_OPTIONAL = (
    "reference_id",
    "bill_amount",
    "category_id",
    "category_name",
    "point_percentage",
    "referred_card_id",
    "referred_bill_id",
    "description",
    "performed_by",
    "device_seq",
)
_INSERT = insert(LedgerEntry)
_SET_FIGURES = update(Card).where(Card.id == bindparam("card"))


def post(
    uow: UnitOfWork,
    card: CardRecord,
    transaction_type: str,
    amount: int,
    *,
    reference_type: str,
    reverses: Mapping[str, Any] | None = None,
    **columns: Any,
) -> dict[str, Any]:
    """Append a row of `amount` points (signed) to `card` and move its figures with it."""
    reversing = reverses["transaction_type"] if reverses is not None else None
    earned, redeemed, referral = totals_moved(transaction_type, amount, reversing=reversing)
    card.points_balance += amount
    card.total_points_earned += earned
    card.total_points_redeemed += redeemed
    card.total_referral_points_earned += referral
    card.last_transaction_at = uow.now
    card.updated_at = uow.now
    uow.connection.execute(
        _SET_FIGURES,
        {
            "card": card.id,
            "points_balance": card.points_balance,
            "total_points_earned": card.total_points_earned,
            "total_points_redeemed": card.total_points_redeemed,
            "total_referral_points_earned": card.total_referral_points_earned,
            "last_transaction_at": uow.now,
            "updated_at": uow.now,
        },
    )
    entry = {
        **dict.fromkeys(_OPTIONAL),
        **columns,
        "card_id": card.id,
        "transaction_type": transaction_type,
        "points": amount,
        "balance_after": card.points_balance,
        "reference_type": reference_type,
        "reverses_id": reverses["id"] if reverses is not None else None,
        "created_at": uow.now,
    }
    entry["id"] = uow.connection.execute(_INSERT, entry).inserted_primary_key[0]
    return entry


@dataclass(frozen=True)
class Totals:
    points_balance: int
    total_points_earned: int
    total_points_redeemed: int
    total_referral_points_earned: int


def totals(uow: UnitOfWork, card_id: int) -> Totals:
    """A card's figures worked out from its ledger rows alone."""
    original = aliased(LedgerEntry)
    rows = uow.session.execute(
        select(LedgerEntry.transaction_type, LedgerEntry.points, original.transaction_type)
        .outerjoin(original, LedgerEntry.reverses_id == original.id)
        .where(LedgerEntry.card_id == card_id)
    ).all()
    moves = [(amount, *totals_moved(kind, amount, reversing=reversed_kind)) for kind, amount, reversed_kind in rows]
    return Totals(*([sum(column) for column in zip(*moves)] or [0, 0, 0, 0]))


def entry_to_json(entry: Mapping[str, Any], card_numbers: Mapping[int, str]) -> dict[str, Any]:
    """A ledger row with seed 002's `point_transactions` column names, in camelCase."""
    return {
        "id": entry["id"],
        "cardNumber": card_numbers.get(entry["card_id"]),
        "transactionType": entry["transaction_type"],
        "points": points(entry["points"]),
        "balanceAfter": points(entry["balance_after"]),
        "referenceType": entry["reference_type"],
        "referenceId": entry["reference_id"],
        "billAmount": None if entry["bill_amount"] is None else money(entry["bill_amount"]),
        "categoryId": entry["category_id"],
        "categoryName": entry["category_name"],
        "pointPercentage": None
        if entry["point_percentage"] is None
        else percent(entry["point_percentage"]),
        "referredCardNumber": card_numbers.get(entry["referred_card_id"])
        if entry["referred_card_id"]
        else None,
        "referredBillId": entry["referred_bill_id"],
        "reversesId": entry["reverses_id"],
        "description": entry["description"],
        "performedBy": entry["performed_by"],
        "createdAt": entry["created_at"],
    }


def entry_to_mutation(entry: Mapping[str, Any], card_numbers: Mapping[int, str]) -> dict[str, Any]:
    """A row as an outbox payload carries it: cards by number, no ids local to this till."""
    doc = entry_to_json(entry, card_numbers)
    del doc["id"], doc["reversesId"]
    return doc
