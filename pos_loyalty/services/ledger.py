"""Storing points at the till: the rows `rules.postings` works out, and the cards' figures with them.

`store` is the only code that changes a card's balance or totals, and it only writes
what the rules returned (`pos_loyalty/rules/postings.py`), so the invariant "balance =
sum of rows, each total = sum of its type" holds by construction; `totals` recomputes
the figures from the rows to check it. Storing is on the till's hot path (every
finalize stores several rows), so it runs two prebuilt Core statements; a stored row is
handed back as a dict of the ledger's columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import aliased

from pos_loyalty.amounts import money, percent, points
from pos_loyalty.replica.db import UnitOfWork
from pos_loyalty.replica.models import Card, LedgerEntry
from pos_loyalty.rules.ledger import Moved, move, moved_json, totals_moved
from pos_loyalty.rules.postings import Posted, Posting, forwarded
from pos_loyalty.services import card_records
from pos_loyalty.services.card_records import CardRecord

_INSERT = insert(LedgerEntry)
_SET_FIGURES = update(Card).where(Card.id == bindparam("card"))


def store(
    uow: UnitOfWork,
    postings: Iterable[Posting[CardRecord]],
    *,
    performed_by: str | None,
    device_seq: int,
) -> list[dict[str, Any]]:
    """Append each posting's row to its card and move the card's figures with it. A row on
    a card that was replaced or merged is forwarded to the card that took its place (its
    TRANSFER pair follows it: `rules.postings.forwarded`), when that card is here.

    Each card's row is updated once, after its last posting (a bill's five rows on one
    card: one UPDATE, not five), and before any card is read again."""
    moved: dict[int, CardRecord] = {}
    stored: list[dict[str, Any]] = []
    _store_all(uow, postings, performed_by, device_seq, moved, stored)
    _insert(uow, stored)
    _set_figures(uow, moved)
    return stored


def _store_all(
    uow: UnitOfWork,
    postings: Iterable[Posting[CardRecord]],
    performed_by: str | None,
    device_seq: int,
    moved: dict[int, CardRecord],
    stored: list[dict[str, Any]],
) -> None:
    """Move the cards by the postings and add their rows to `stored`, in order; rows are
    inserted together (`_insert`), the ones waiting always before a card is read."""
    for posting in postings:
        stored.append(_moved_by(uow, posting, performed_by, device_seq))
        moved[posting.card.id] = posting.card
        successor = posting.card.replaced_by_number
        if successor is not None:
            _insert(uow, stored)
            _set_figures(uow, moved)  # the survivor is read as it stands now
            if (survivor := card_records.find(uow, successor)) is not None:
                onward = forwarded(posting, survivor, source_number=posting.card.card_number, survivor_number=successor)
                _store_all(uow, onward, performed_by, device_seq, moved, stored)


def _insert(uow: UnitOfWork, stored: list[dict[str, Any]]) -> None:
    """Insert the rows of `stored` not inserted yet (those without an id), in one call."""
    waiting = [entry for entry in stored if "id" not in entry]
    for entry, key in zip(waiting, uow.connection.insert_rows(_INSERT, waiting)):
        entry["id"] = key


def _set_figures(uow: UnitOfWork, moved: dict[int, CardRecord]) -> None:
    """Write the figures of the cards rows were stored on, and forget them."""
    for card in moved.values():
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
    moved.clear()


def _moved_by(uow: UnitOfWork, posting: Posting[CardRecord], performed_by: str | None, device_seq: int) -> dict[str, Any]:
    """Move the posting's card and give its row's columns (without its id: not inserted yet)."""
    card = posting.card
    balance_after = move(card, posting.transaction_type, posting.points, reversing=posting.counts_as, moved=posting.moved)
    card.last_transaction_at = uow.now
    card.updated_at = uow.now
    entry = {
        **posting.columns(balance_after),
        "performed_by": performed_by,
        "device_seq": device_seq,
        "created_at": uow.now,
    }
    return entry


def posted(entry: Mapping[str, Any], card: CardRecord, referred: CardRecord | None) -> Posted[CardRecord]:
    """A ledger row (a mapping of its columns) as the rules read it."""
    return Posted(
        row=entry["id"],
        card=card,
        transaction_type=entry["transaction_type"],
        points=entry["points"],
        reference_type=entry["reference_type"],
        reverses=entry["reverses_id"],
        category_id=entry["category_id"],
        category_name=entry["category_name"],
        referred_card=referred,
        referred_bill_id=entry["referred_bill_id"],
        reward_id=entry.get("reward_id"),
    )


@dataclass(frozen=True)
class Totals:
    points_balance: int
    total_points_earned: int
    total_points_redeemed: int
    total_referral_points_earned: int


#: In a query summing ledger rows grouped by type and `moved_earned IS NULL`: the sums of
#: what TRANSFER rows move of the totals, and whether the group is of such rows.
MOVED_SUMS = "SUM(l.moved_earned), SUM(l.moved_redeemed), SUM(l.moved_referral), l.moved_earned IS NOT NULL"


def summed_moves(kind: str, reversed_kind: str | None, total: int, summed: Sequence[Any]) -> Moved:
    """How rows summing to `total` points move a card's totals (`totals_moved`), with the
    sums of `MOVED_SUMS` (TRANSFER rows move what they carry)."""
    *moved, has_moved = summed
    return totals_moved(kind, total, reversing=reversed_kind, moved=tuple(moved) if has_moved else None)


def totals(uow: UnitOfWork, card_id: int) -> Totals:
    """A card's figures worked out from its ledger rows alone."""
    original = aliased(LedgerEntry)
    rows = uow.session.execute(
        select(
            LedgerEntry.transaction_type,
            LedgerEntry.points,
            original.transaction_type,
            LedgerEntry.moved_earned,
            LedgerEntry.moved_redeemed,
            LedgerEntry.moved_referral,
        )
        .outerjoin(original, LedgerEntry.reverses_id == original.id)
        .where(LedgerEntry.card_id == card_id)
    ).all()
    moves = [
        (amount, *summed_moves(kind, reversed_kind, amount, (*moved, moved[0] is not None)))
        for kind, amount, reversed_kind, *moved in rows
    ]
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
        "rewardId": entry.get("reward_id"),
        "totalsMoved": moved_json(entry.get("moved_earned"), entry.get("moved_redeemed"), entry.get("moved_referral")),
        "performedBy": entry["performed_by"],
        "createdAt": entry["created_at"],
    }


def rows_to_mutation(uow: UnitOfWork, rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows just stored, as their mutation carries them (`entry_to_mutation`), their cards
    looked up by number once."""
    rows = list(rows)
    card_ids = {row["card_id"] for row in rows} | {row["referred_card_id"] for row in rows}
    named = card_records.numbers(uow, card_ids - {None}) if rows else {}
    return [entry_to_mutation(row, named) for row in rows]


def entry_to_mutation(entry: Mapping[str, Any], card_numbers: Mapping[int, str]) -> dict[str, Any]:
    """A row as an outbox payload carries it: cards by number, no ids local to this till."""
    doc = entry_to_json(entry, card_numbers)
    del doc["id"], doc["reversesId"]
    return doc
