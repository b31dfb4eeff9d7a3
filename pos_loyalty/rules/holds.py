"""Holds (`loyalty-rules.md`, Holds; seed 004): points reserved for a payment still pending.

A hold writes no ledger row. While it is active it takes its points out of what the card
may redeem: the **available balance** is the balance, less the points of lots that have
expired but that no EXPIRED row has taken off yet (`rules/expiry.py`), less the points of
active holds, never below zero. The central service and the till both ask
`available_balance`, so neither ever lets held points be spent.

A hold is active from when it is made until it is confirmed (its points become the
REDEEMED row that `redeem-points` would have written, `rules/postings.bill_postings`),
released, or its `expiresAt` comes: a lapsed hold stops counting by itself, because every
reader asks `is_active(hold, now)`; no job has to run. A bill parked at a till holds the
points it would take (`parked_points`) until it is taken back or thrown away.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pos_loyalty.errors import InvalidInput, LoyaltyError

#: What a hold's row says of it; a hold whose `expiresAt` has come is shown LAPSED.
ACTIVE = "ACTIVE"
CONFIRMED = "CONFIRMED"
RELEASED = "RELEASED"
LAPSED = "LAPSED"

DEFAULT_TTL_SECONDS = 900
MAX_TTL_SECONDS = 86_400

HOLD_NOT_FOUND = "HOLD_NOT_FOUND"
HOLD_EXPIRED = "HOLD_EXPIRED"
HOLD_RELEASED = "HOLD_RELEASED"
HOLD_CONFIRMED = "HOLD_CONFIRMED"


@dataclass(frozen=True)
class Hold:
    """Points held on a card until `expires_at`, unless confirmed or released first."""

    points: int  # hundredths
    expires_at: datetime
    status: str = ACTIVE


def status_at(hold: Hold, now: datetime) -> str:
    """ACTIVE, CONFIRMED, RELEASED, or LAPSED: active on its row, but its time has come."""
    if hold.status == ACTIVE and now >= hold.expires_at:
        return LAPSED
    return hold.status


def is_active(hold: Hold, now: datetime) -> bool:
    return status_at(hold, now) == ACTIVE


def held_points(holds: Iterable[Hold], now: datetime) -> int:
    """The points the card's active holds keep from being spent at `now`."""
    return sum(hold.points for hold in holds if is_active(hold, now))


def available_balance(balance: int, expired: int, held: int) -> int:
    """What the customer may redeem: the balance less expired-but-unwritten and held points."""
    return max(balance - expired - held, 0)


def parked_points(redeem_points: int, rewards: Iterable[tuple[str, int]], config: Any) -> int:
    """What a bill parked at a till holds of its card's points: those it redeems, and the
    price of its reward products (one no longer on offer holds nothing)."""
    priced = 0
    for reward_id, quantity in rewards:
        reward = config.reward(reward_id)
        if reward is not None:
            priced += reward.points_price * quantity
    return redeem_points + priced


def parse_ttl(value: object, field: str = "ttlSeconds") -> int:
    """How long a hold lasts, in whole seconds: 900 unless given, at most a day."""
    if value is None:
        return DEFAULT_TTL_SECONDS
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TTL_SECONDS:
        raise InvalidInput(field, f"{field} must be a whole number of seconds from 1 to {MAX_TTL_SECONDS:,} (a day)")
    return value


def expiry(now: datetime, ttl_seconds: int) -> datetime:
    return now + timedelta(seconds=ttl_seconds)


def refuse_confirm(hold: Hold, now: datetime, hold_id: object) -> None:
    """A hold may be confirmed while it is active (a confirmed one answers its first confirm again)."""
    state = status_at(hold, now)
    if state == LAPSED:
        raise LoyaltyError(
            HOLD_EXPIRED,
            f"Hold {hold_id} lapsed at {hold.expires_at:%Y-%m-%d %H:%M:%S} UTC; its points are free again: "
            "hold them anew",
            holdId=hold_id,
        )
    if state == RELEASED:
        raise LoyaltyError(
            HOLD_RELEASED, f"Hold {hold_id} was released; its points are free again: hold them anew", holdId=hold_id
        )


def refuse_release(hold: Hold, hold_id: object, bill_id: str) -> None:
    """Any hold may be released except a confirmed one: its points were redeemed on the bill."""
    if hold.status == CONFIRMED:
        raise LoyaltyError(
            HOLD_CONFIRMED,
            f"Hold {hold_id} was confirmed: its points were redeemed on bill {bill_id}; "
            "reverse the bill to give them back",
            holdId=hold_id,
            billId=bill_id,
        )
