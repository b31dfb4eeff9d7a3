"""Storing points on the central service: the rows `rules.postings` works out, cards moved with them.

`Postings` collects a unit of work's rows: each `post` moves the (locked) card's figures
in memory by the same rule as the till's ledger (`pos_loyalty/rules/ledger.py`) and
queues its row; `flush` writes all queued rows and the final figures of every card
touched in two bulk statements. What a row is (its type, points, what it refers to)
comes from `pos_loyalty/rules/postings.py`; this module only stores it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, insert, select, update

from central.store import cards as card_store
from central.store import webhooks
from central.store.cards import CardRow
from central.store.db import PG_CHANGE_NUMBER, Unit, bulk_insert
from central.store.models import Card, PointTransaction
from pos_loyalty.amounts import money, percent, points
from pos_loyalty.rules.ledger import BILL, REFERRAL, REWARD, move, moved_json
from pos_loyalty.rules.postings import Posted, Posting, forwarded

_SET_FIGURES = (
    update(Card)
    .where(Card.id == bindparam("card"))
    .values(
        points_balance=bindparam("balance"),
        total_points_earned=bindparam("earned"),
        total_points_redeemed=bindparam("redeemed"),
        total_referral_points_earned=bindparam("referral"),
        last_transaction_at=bindparam("last_at"),
        updated_at=bindparam("at"),
    )
)
# With the unit of work's change number (`Unit.change_number`): SQLite's counter as a
# value, or PostgreSQL's expression; each statement built once (issue 18).
_SET_FIGURES_NUMBERED = _SET_FIGURES.values(change_seq=bindparam("change_seq"))
_SET_FIGURES_PG = _SET_FIGURES.values(change_seq=PG_CHANGE_NUMBER)
_INSERT_RETURNING_IDS = insert(PointTransaction).returning(PointTransaction.id, sort_by_parameter_order=True)


class Postings:
    """A unit of work's rows. A row posted to a card that was replaced or merged is also
    forwarded to the card that took its place (`rules.postings.forwarded`): `find` gives
    that card, locked, as the caller holds it (a push's batch keeps one object per card)."""

    def __init__(self, unit: Unit, find: Callable[[int], CardRow] | None = None) -> None:
        self.unit = unit
        self.rows: list[dict[str, Any]] = []
        self.cards: dict[int, CardRow] = {}
        #: Each card's lifetime points before this unit's first row on it: a tier crossed is an event.
        self.lifetime_before: dict[int, int] = {}
        self._find = find

    def post(
        self,
        posting: Posting[CardRow],
        *,
        performed_by: str | None,
        device_id: int | None,
        created_at: datetime | None = None,
    ) -> dict[str, Any]:
        """Queue the posting's row on its (locked) card and move the card's figures."""
        card = posting.card
        self.lifetime_before.setdefault(card.id, card.lifetime_points)
        balance_after = move(card, posting.transaction_type, posting.points, reversing=posting.counts_as, moved=posting.moved)
        row_time = created_at or self.unit.now  # a till's bill: when it was sold
        if card.last_transaction_at is None or row_time > card.last_transaction_at:
            card.last_transaction_at = row_time
        self.cards[card.id] = card
        row = {
            "tenant_id": self.unit.tenant,
            **posting.columns(balance_after),
            "performed_by": performed_by,
            "device_id": device_id,
            "created_at": row_time,
        }
        self.rows.append(row)
        if card.replaced_by_card_id is not None:
            survivor = self.card(card.replaced_by_card_id)
            for onward in forwarded(posting, survivor, source_number=card.card_number, survivor_number=survivor.card_number):
                self.post(onward, performed_by=performed_by, device_id=device_id, created_at=created_at)
        return row

    def card(self, card_id: int) -> CardRow:
        """A card this unit of work moves, locked: the same object for every posting."""
        if card_id in self.cards:
            return self.cards[card_id]
        if self._find is not None:
            return self._find(card_id)
        return card_store.by_id(self.unit, card_id, lock=True)

    def post_all(self, postings: Iterable[Posting[CardRow]], **columns: Any) -> list[dict[str, Any]]:
        return [self.post(posting, **columns) for posting in postings]

    def flush(self, *, with_ids: bool = True) -> None:
        """Write the queued rows and the cards' figures; `with_ids` puts each row's id in its dict.

        Without ids the rows go in bulk (COPY on PostgreSQL), far cheaper than an INSERT
        ... RETURNING of many rows.
        """
        if self.rows and with_ids:
            ids = self.unit.connection.execute(_INSERT_RETURNING_IDS, self.rows).scalars().all()
            for row, row_id in zip(self.rows, ids):
                row["id"] = row_id
        elif self.rows:
            bulk_insert(self.unit, PointTransaction.__table__, self.rows)
        if self.cards:
            number = self.unit.change_number()
            numbered = {} if number is PG_CHANGE_NUMBER else {"change_seq": number}
            figures = [
                {
                    **numbered,
                    "card": card.id,
                    "balance": card.points_balance,
                    "earned": card.total_points_earned,
                    "redeemed": card.total_points_redeemed,
                    "referral": card.total_referral_points_earned,
                    "last_at": card.last_transaction_at,
                    "at": self.unit.now,
                }
                for card in self.cards.values()
            ]
            # One card (the usual bill) as one set of parameters: a prepared statement (db.py).
            self.unit.connection.execute(
                _SET_FIGURES_PG if number is PG_CHANGE_NUMBER else _SET_FIGURES_NUMBERED,
                figures[0] if len(figures) == 1 else figures,
            )
            for card_id in self.cards:
                self.unit.card_changed(card_id)
                self.unit.stamped_cards.add(card_id)
        webhooks.posted(self.unit, self.rows, self.cards, self.lifetime_before)  # in the same transaction
        self.rows = []
        self.cards = {}
        self.lifetime_before = {}


def row_json(row: Any, numbers: dict[int, str]) -> dict[str, Any]:
    """A `point_transactions` row in camelCase (a mapping or a Row), cards also by number."""
    get = row.get if isinstance(row, dict) else row._mapping.get
    return {
        "id": get("id"),
        "cardId": get("card_id"),
        "cardNumber": numbers.get(get("card_id")),
        "transactionType": get("transaction_type"),
        "points": points(get("points")),
        "balanceAfter": points(get("balance_after")),
        "referenceType": get("reference_type"),
        "referenceId": get("reference_id"),
        "billAmount": None if get("bill_amount") is None else money(get("bill_amount")),
        "categoryId": get("category_id"),
        "categoryName": get("category_name"),
        "pointPercentage": None if get("point_percentage") is None else percent(get("point_percentage")),
        "referredCardId": get("referred_card_id"),
        "referredBillId": get("referred_bill_id"),
        "reversesId": get("reverses_id"),
        "description": get("description"),
        "rewardId": get("reward_id"),
        "totalsMoved": moved_json(get("moved_earned"), get("moved_redeemed"), get("moved_referral")),
        "performedBy": get("performed_by"),
        "createdAt": get("created_at"),
    }


def card_numbers(unit: Unit, card_ids: set[int]) -> dict[int, str]:
    ids = sorted(i for i in card_ids if i is not None)
    if not ids:
        return {}
    result = unit.connection.execute(
        select(Card.id, Card.card_number).where(Card.tenant_id == unit.tenant, Card.id.in_(ids))
    )
    return dict(result.all())


class CardId(NamedTuple):
    """A card a row only refers to (the referred card of a referral): its id is all a row needs."""

    id: int


def rows_of_bill(unit: Unit, bill_id: str) -> list[Any]:
    """Every row that names the bill (its own, the referrer's, what took them back), in the
    order they were written: what `reversal_postings` and `return_postings` read."""
    return list(
        unit.connection.execute(
            select(PointTransaction)
            .where(
                PointTransaction.tenant_id == unit.tenant,
                PointTransaction.reference_id == bill_id,
                PointTransaction.reference_type.in_((BILL, REFERRAL, REWARD)),
            )
            .order_by(PointTransaction.id)
        ).all()
    )


def posted(row: Any, cards: dict[int, CardRow]) -> Posted[CardRow]:
    """A `point_transactions` row as the rules read it, its cards from `cards` (locked)."""
    return Posted(
        row=row.id,
        card=cards[row.card_id],
        transaction_type=row.transaction_type,
        points=row.points,
        reference_type=row.reference_type,
        reverses=row.reverses_id,
        category_id=row.category_id,
        category_name=row.category_name,
        referred_card=None if row.referred_card_id is None else cards.get(row.referred_card_id) or CardId(row.referred_card_id),
        referred_bill_id=row.referred_bill_id,
        reward_id=row.reward_id,
    )
