"""The cards of an imported file as both stores write them: each card's opening balance as the
rules make its row, and what an import wrote.

The till (`services/card_import.py`) and the central service (`central/store/card_import.py`)
write a file's cards in bulk rather than through their ledgers' one-row-at-a-time paths,
so the row of an opening balance is made here, once, by the rules
(`rules.postings.adjustment_posting`, moved by `rules.ledger.move`), and each store only
adds who wrote it and when.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pos_loyalty.amounts import points
from pos_loyalty.rules.ledger import move
from pos_loyalty.rules.postings import adjustment_posting

#: The description of the ADJUSTED row that carries a card's opening balance (central-api.md).
OPENING_BALANCE = "opening balance"


@dataclass(frozen=True)
class Imported:
    cards: int
    opening_balances: int  # cards with an opening balance (one ADJUSTED row each)
    opening_points: int  # hundredths, all of them
    numbers_given: int  # cards that came without a number, numbered by the store

    def to_json(self) -> dict[str, Any]:
        return {
            "imported": self.cards,
            "openingBalances": self.opening_balances,
            "openingPoints": points(self.opening_points),
            "numbersGiven": self.numbers_given,
        }


class Figures:
    """A new card's figures as `rules.ledger.move` moves them, and its row id."""

    __slots__ = ("id", "points_balance", "total_points_earned", "total_points_redeemed", "total_referral_points_earned")

    def __init__(self, card_id: int) -> None:
        self.id = card_id
        self.points_balance = self.total_points_earned = self.total_points_redeemed = 0
        self.total_referral_points_earned = 0


def opening_rows(cards: Iterable[tuple[Figures, int]]) -> Iterator[dict[str, Any]]:
    """The opening balance of each (card, points) with points: its row's columns (as the rules
    make an ADJUSTED row), the card's figures moved with it. Both stores write these."""
    for card, amount in cards:
        if amount:
            posting = adjustment_posting(card, amount, OPENING_BALANCE)
            yield posting.columns(move(card, posting.transaction_type, posting.points))
