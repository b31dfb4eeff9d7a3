"""Points expire on the central service: the EXPIRED rows due (`central expire`, and once a
day in `central serve`), and what a card shows of its lots (`rules/expiry.py`).

A run as of time T writes, per card of a pharmacy whose `pointsExpiryDays` is set, one
EXPIRED row (reference EXPIRY) for what is left in its lots that expired by T. The lots
are replayed from the card's own rows, EXPIRED ones included, so a second run as of the
same T finds nothing left to expire: the run is idempotent, and safe to repeat after a
crash (each pharmacy's rows go in one transaction).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from central.store import cards
from central.store import config as configs
from central.store.db import Store, Unit
from central.store.ledger import Postings
from central.store.models import Card, PointTransaction, Tenant
from pos_loyalty.amounts import points
from pos_loyalty.rules.expiry import EXPIRY, Entry, Lots
from pos_loyalty.rules.ledger import EXPIRED
from pos_loyalty.rules.postings import Posting

log = logging.getLogger("central")
#: How often `central serve` looks for points to expire.
DAILY = timedelta(days=1)
EXPIRY_PERFORMER = "system:expiry"


@dataclass(frozen=True)
class ExpiryRun:
    tenant_id: int
    cards: int
    points: int  # hundredths expired


def lots_of(unit: Unit, card_ids: list[int], days: int) -> dict[int, Lots]:
    """Each card's lots, replayed from its rows in the order they were written."""
    found: dict[int, Lots] = {card_id: Lots(days) for card_id in card_ids}
    if not card_ids or days <= 0:
        return found
    times: dict[int, dict[int, datetime]] = {card_id: {} for card_id in card_ids}
    result = unit.connection.execute(
        select(
            PointTransaction.id,
            PointTransaction.card_id,
            PointTransaction.transaction_type,
            PointTransaction.points,
            PointTransaction.created_at,
            PointTransaction.reverses_id,
        )
        .where(PointTransaction.tenant_id == unit.tenant, PointTransaction.card_id.in_(card_ids))
        .order_by(PointTransaction.id)
    )
    for row_id, card_id, kind, amount, at, reverses in result:
        times[card_id][row_id] = at
        found[card_id].add(Entry(row_id, kind, amount, at, reverses), times[card_id])
    return found


def known_state(unit: Unit, card: cards.CardRow, days: int) -> Any:
    """The card as the rules see it, its expired lots unavailable (`CardRow.state`)."""
    if days <= 0:
        return card.state()
    return card.state(lots=lots_of(unit, [card.id], days)[card.id], now=unit.now)


def card_expiry(unit: Unit, card: cards.CardRow) -> dict[str, Any]:
    """What a card shows of its lots: `availableBalance`, `heldPoints`, `expiringPoints`,
    `nextExpiryAt` (`central-api.md`, Returns and expiry)."""
    days = configs.current(unit).points_expiry_days
    lots = lots_of(unit, [card.id], days)[card.id]
    now = unit.now
    return {
        "availableBalance": points(lots.available(card.points_balance, now)),
        "heldPoints": points(0),
        "expiringPoints": points(lots.expiring(now)),
        "nextExpiryAt": lots.next_expiry(now),
    }


def expire_tenant(unit: Unit, as_of: datetime) -> ExpiryRun:
    """The EXPIRED rows due as of `as_of` for the unit's pharmacy (nothing when its
    configuration keeps points for ever)."""
    days = configs.current(unit).points_expiry_days
    if days <= 0:
        return ExpiryRun(unit.tenant, 0, 0)
    # Only cards with points can have an open lot.
    candidates = list(
        unit.connection.execute(
            select(Card.id).where(Card.tenant_id == unit.tenant, Card.points_balance > 0).order_by(Card.id)
        ).scalars()
    )
    expired_cards = total = 0
    postings = Postings(unit)
    for start in range(0, len(candidates), 500):
        chunk = candidates[start : start + 500]
        locked = cards.lock(unit, chunk)  # first: two runs at once must not both expire a lot
        lots = lots_of(unit, chunk, days)
        due = {card_id: lots[card_id].expired(as_of) for card_id in chunk}
        due = {card_id: amount for card_id, amount in due.items() if amount}
        if not due:
            continue
        for card_id, amount in due.items():
            postings.post(
                Posting(
                    locked[card_id],
                    EXPIRED,
                    -amount,
                    EXPIRY,
                    as_of.date().isoformat(),
                    description=f"{points(amount)} points older than {days} days expired",
                ),
                performed_by=EXPIRY_PERFORMER,
                device_id=None,
            )
            expired_cards += 1
            total += amount
        postings.flush(with_ids=False)
    return ExpiryRun(unit.tenant, expired_cards, total)


def expire_all(store: Store, as_of: datetime | None = None) -> list[ExpiryRun]:
    """Every pharmacy's EXPIRED rows due as of `as_of` (default now), one transaction each."""
    tenants = store.run(
        lambda unit: list(unit.connection.execute(select(Tenant.id).order_by(Tenant.id)).scalars()),
        write=False,
        tenant_id=None,
    )
    runs = []
    for tenant_id in tenants:
        runs.append(
            store.run(lambda unit: expire_tenant(unit, as_of or unit.now), write=True, tenant_id=tenant_id)
        )
    return runs


class DailyExpiry:
    """`central serve`'s daily run: once at start and then every `every`, in a thread."""

    def __init__(self, store: Store, every: timedelta = DAILY) -> None:
        self.store, self.every = store, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="expiry", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                for run in expire_all(self.store):
                    if run.points:
                        log.info("tenant %s: %s points expired on %s cards", run.tenant_id, points(run.points), run.cards)
            except Exception:  # the service keeps serving; the next day tries again
                log.exception("the daily expiry run failed")
            self._stop.wait(self.every.total_seconds())
