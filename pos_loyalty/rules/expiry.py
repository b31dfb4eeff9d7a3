"""Points expire (`spec/loyalty-rules.md`, wave 2: Expiry), as pure functions of a card's rows.

With `pointsExpiryDays = N > 0`, every row that adds points is a **lot** that expires N
days after it was written (a redemption given back: N days after that redemption). Rows
that take points draw on the open lots, soonest expiry first (ties: the older row), except
that taking back earned points draws on the lot of the row it takes back first; what
cannot be drawn is a debt that the next lots repay first.

`Lots.of(entries, days)` replays a card's rows in the order they were written. From the
result: `expired(at)` is what an `EXPIRED` row written at `at` takes (so a second run at
the same time finds nothing), `available(balance, at)` the balance a till may let the
customer redeem (never the points of a lot it knows has expired), and `expiring` /
`next_expiry` what the card, the quote and the receipt show.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pos_loyalty.rules.holds import available_balance
from pos_loyalty.rules.ledger import EXPIRED, REVERSED

#: "Expiring soon" on cards, quotes and receipts: the next 30 days.
EXPIRING_WINDOW = timedelta(days=30)
#: The most days a pharmacy may keep points before they expire (100 years).
MAX_EXPIRY_DAYS = 36_500
#: The reference of an EXPIRED row.
EXPIRY = "EXPIRY"


@dataclass(frozen=True)
class Entry:
    """A ledger row as expiry needs it: its id, type, signed points, time, and (a REVERSED
    row) the row it reverses."""

    row: Any
    transaction_type: str
    points: int
    at: datetime
    reverses: Any = None


@dataclass
class Lot:
    row: Any  # the row that added the points
    expires_at: datetime
    points: int  # what the row added
    left: int  # what is still in it

    @property
    def drawn(self) -> int:
        return self.points - self.left


@dataclass
class Lots:
    """A card's lots after its rows, oldest first, and the debt no lot covered."""

    days: int
    lots: list[Lot] = field(default_factory=list)
    debt: int = 0

    @classmethod
    def of(cls, entries: Iterable[Entry], days: int) -> Lots:
        state = cls(days)
        times: dict[Any, datetime] = {}
        for entry in entries:
            times[entry.row] = entry.at
            state.add(entry, times)
        return state

    def add(self, entry: Entry, times: dict[Any, datetime] | None = None) -> None:
        """One more row, written after those already in."""
        if entry.points > 0:
            since = entry.at
            if entry.transaction_type == REVERSED and times and entry.reverses in times:
                since = times[entry.reverses]  # a redemption given back keeps its own clock
            lot = Lot(entry.row, since + timedelta(days=self.days), entry.points, entry.points)
            repaid = min(self.debt, lot.left)
            lot.left -= repaid
            self.debt -= repaid
            self.lots.append(lot)
        elif entry.points < 0:
            first = entry.reverses if entry.transaction_type == REVERSED else None
            self._draw(-entry.points, entry.at, first=first, expiring=entry.transaction_type == EXPIRED)

    def _draw(self, amount: int, at: datetime, *, first: Any = None, expiring: bool = False) -> None:
        # Soonest expiry first (a stable sort: the older row on a tie), the reversed row's own
        # lot before all. A lot already expired when the row was written is drawn last, but by
        # the EXPIRED row itself: points that have expired pay for nothing.
        order = sorted(
            (lot for lot in self.lots if lot.left),
            key=lambda lot: (lot.row != first, not expiring and lot.expires_at <= at, lot.expires_at),
        )
        for lot in order:
            if not amount:
                break
            taken = min(lot.left, amount)
            lot.left -= taken
            amount -= taken
        self.debt += amount

    # --- what the card shows ----------------------------------------------------------------

    def open_lots(self) -> list[Lot]:
        return [lot for lot in self.lots if lot.left]

    def expired(self, at: datetime) -> int:
        """The points of lots that have expired by `at` and are still open: what an EXPIRED
        row written at `at` takes."""
        if self.days <= 0:
            return 0
        return sum(lot.left for lot in self.lots if lot.left and lot.expires_at <= at)

    def available(self, balance: int, at: datetime) -> int:
        """What the customer may redeem at `at` with nothing held: the balance without expired
        lots, never below 0 (`rules/holds.available_balance`)."""
        return available_balance(balance, self.expired(at), 0)

    def expiring(self, at: datetime, within: timedelta = EXPIRING_WINDOW) -> int:
        """Points that expire after `at` and within `within` of it."""
        if self.days <= 0:
            return 0
        return sum(lot.left for lot in self.lots if lot.left and at < lot.expires_at <= at + within)

    def next_expiry(self, at: datetime) -> datetime | None:
        """The soonest expiry after `at` of an open lot, or None."""
        if self.days <= 0:
            return None
        return min((lot.expires_at for lot in self.lots if lot.left and lot.expires_at > at), default=None)
