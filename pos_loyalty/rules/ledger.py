"""The ledger's vocabulary (seed 002's `point_transactions`), and how a row moves a card's totals.

Shared by the till's ledger, the central service's and the till's reading of pulled
cards, so that a card's figures follow one rule wherever they are worked out.
"""

from __future__ import annotations

from typing import Any, Protocol

from pos_loyalty.amounts import points

# transaction_type
EARNED = "EARNED"
REDEEMED = "REDEEMED"
REFERRAL_EARNED = "REFERRAL_EARNED"
EXPIRED = "EXPIRED"
ADJUSTED = "ADJUSTED"
REVERSED = "REVERSED"

# reference_type
BILL = "BILL"
MANUAL = "MANUAL"
REFERRAL = "REFERRAL"
REWARD = "REWARD"  # a reward product bought with points: a REDEEMED row of the bill
TRANSFER = "TRANSFER"  # an ADJUSTED pair moving a card's points to the card that replaced it

Moved = tuple[int, int, int]  # (earned, redeemed, referral) a row moves of a card's totals


def totals_moved(
    kind: str, amount: int, *, reversing: str | None = None, moved: Moved | None = None
) -> Moved:
    """How a row of `amount` points (signed) of type `kind` moves a card's totals:
    (earned, redeemed, referral). A REVERSED row counts against the type of the row it
    reverses (`reversing`); a TRANSFER row moves what it says it moves (`moved`); other
    ADJUSTED rows and EXPIRED rows move the balance only."""
    if moved is not None:
        return moved
    counted_as = reversing or kind
    if counted_as == EARNED:
        return amount, 0, 0
    if counted_as == REDEEMED:
        return 0, -amount, 0
    if counted_as == REFERRAL_EARNED:
        return 0, 0, amount
    return 0, 0, 0


class Figures(Protocol):
    """A card's balance and totals, as the till's and the central's card records both hold them."""

    points_balance: int
    total_points_earned: int
    total_points_redeemed: int
    total_referral_points_earned: int


def move(
    card: Figures, kind: str, amount: int, *, reversing: str | None = None, moved: Moved | None = None
) -> int:
    """Move `card`'s balance and totals by one row (`totals_moved`); the balance after it."""
    earned, redeemed, referral = totals_moved(kind, amount, reversing=reversing, moved=moved)
    card.points_balance += amount
    card.total_points_earned += earned
    card.total_points_redeemed += redeemed
    card.total_referral_points_earned += referral
    return card.points_balance


def moved_json(earned: int | None, redeemed: int | None, referral: int | None) -> dict[str, Any] | None:
    """What a TRANSFER row moves of the totals, as a row's JSON says it (`totalsMoved`);
    None for any other row."""
    if earned is None:
        return None
    return {"earned": points(earned), "redeemed": points(redeemed or 0), "referral": points(referral or 0)}
