"""Points expire on the central service: the EXPIRED rows due (`central expire`, and once a
day in `central serve`), and what a card shows of its lots (`rules/expiry.py`).

A run as of time T writes, per card of a pharmacy whose `pointsExpiryDays` is set, one
EXPIRED row (reference EXPIRY) for what is left in its lots that expired by T. The lots
are replayed from the card's own rows, EXPIRED ones included, so a second run as of the
same T finds nothing left to expire: the run is idempotent, and safe to repeat after a
crash. A run writes the cards with points due a few thousand to a transaction (each
card's row and its balance together), so that tills and the API are never kept waiting
on a card for longer than one such chunk (`expire_tenant`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import ARRAY, BigInteger, any_, bindparam, select

from central.store import cards, hold_rows, webhooks
from central.store import config as configs
from central.store.db import Store, Unit
from central.store.ledger import Postings
from central.store.models import Card, PointTransaction, Tenant
from pos_loyalty.amounts import points
from pos_loyalty.rules.expiry import EXPIRY, Entry, Lots
from pos_loyalty.rules.holds import available_balance
from pos_loyalty.rules.ledger import EXPIRED
from pos_loyalty.rules.postings import Posting

log = logging.getLogger("central")
#: How often `central serve` looks for points to expire.
DAILY = timedelta(days=1)
EXPIRY_PERFORMER = "system:expiry"
#: Cards with points due written in one transaction of a run.
CHUNK = 2000


@dataclass(frozen=True)
class ExpiryRun:
    tenant_id: int
    cards: int
    points: int  # hundredths expired


_ROW_COLUMNS = (
    PointTransaction.card_id,
    PointTransaction.id,
    PointTransaction.transaction_type,
    PointTransaction.points,
    PointTransaction.created_at,
    PointTransaction.reverses_id,
)


def lots_of(unit: Unit, card_ids: list[int], days: int) -> dict[int, Lots]:
    """Each card's lots, replayed from its rows in the order they were written."""
    found = {card_id: Lots(days) for card_id in card_ids}
    if not card_ids or days <= 0:
        return found
    result = unit.connection.execute(
        select(*_ROW_COLUMNS)
        .where(PointTransaction.tenant_id == unit.tenant, PointTransaction.card_id.in_(card_ids))
        .order_by(PointTransaction.card_id, PointTransaction.id)
    ).all()  # fetched at once: row by row, the driver's fetching took as long as the replay
    found.update((card_id, lots) for card_id, lots, _row in _replayed(result, days))
    return found


def _replayed(rows: Iterable[Any], days: int, *, expired_by: datetime | None = None) -> Iterator[tuple[int, Lots, Any]]:
    """(card id, its lots, its last row) for each card of (card_id, id, type, points, time,
    reverses, ...) rows in card, then id order. With `expired_by`, only the cards that can
    have a lot expired by then: a lot expires `days` after one of its card's rows."""
    cutoff = None if expired_by is None else expired_by - timedelta(days=days)
    for card_id, group in groupby(rows, key=itemgetter(0)):
        lots, times, listed = Lots(days), {}, list(group)
        if cutoff is not None and min(row[4] for row in listed) > cutoff:
            continue
        for row in listed:
            row_id, kind, amount, at, reverses = row[1:6]
            times[row_id] = at
            lots.add(Entry(row_id, kind, amount, at, reverses), times)
        yield card_id, lots, row


def known_state(unit: Unit, card: cards.CardRow, days: int) -> Any:
    """The card as the rules see it, its expired lots and its held points unavailable
    (`CardRow.state`)."""
    held = hold_rows.held(unit, [card.id])[card.id]
    if days <= 0:
        return card.state(held=held)
    return card.state(lots=lots_of(unit, [card.id], days)[card.id], now=unit.now, held=held)


def card_expiry(unit: Unit, card: cards.CardRow) -> dict[str, Any]:
    """What a card shows of its lots and holds: `availableBalance`, `heldPoints`,
    `expiringPoints`, `nextExpiryAt` (`central-api.md`, Returns and expiry)."""
    return cards_expiry(unit, [card])[card.id]


def cards_expiry(unit: Unit, shown: list[cards.CardRow]) -> dict[int, dict[str, Any]]:
    """`card_expiry` of several cards, by id, in two queries."""
    days = configs.current(unit).points_expiry_days
    lots = lots_of(unit, [card.id for card in shown], days)
    held = hold_rows.held(unit, [card.id for card in shown])
    now = unit.now
    return {
        card.id: {
            "availableBalance": points(available_balance(card.points_balance, lots[card.id].expired(now), held[card.id])),
            "heldPoints": points(held[card.id]),
            "expiringPoints": points(lots[card.id].expiring(now)),
            "nextExpiryAt": lots[card.id].next_expiry(now),
        }
        for card in shown
    }


def expire_tenant(store: Store, tenant_id: int, as_of: datetime) -> ExpiryRun:
    """The EXPIRED rows due as of `as_of` for the pharmacy (nothing when its configuration
    keeps points for ever).

    Without a lock, one pass over the rows of every card with points works out what is due
    (one query in card order: a million cards' rows are read once, not page by page again
    for each chunk). Meanwhile, in a second thread, the cards found due, `CHUNK` to a
    transaction, are locked and written; a card whose change number moved since the pass
    (a till's bill, an adjustment, another run at the same time) is replayed again under the
    lock, so a lot is never expired twice, nor what was redeemed meanwhile.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="expiry-writer") as writer:

        def write(days: int, chunk: dict[int, tuple[int, int]]) -> Future[ExpiryRun]:
            work = partial(_expire_cards, as_of=as_of, days=days, due=chunk)
            return writer.submit(store.run, work, write=True, tenant_id=tenant_id)

        pending = store.run(lambda unit: _due(unit, as_of, write), write=False, tenant_id=tenant_id)
        done = [future.result() for future in pending]
    return ExpiryRun(tenant_id, sum(run.cards for run in done), sum(run.points for run in done))


def _due(unit: Unit, as_of: datetime, write: Callable[[int, dict[int, tuple[int, int]]], Any]) -> list[Any]:
    """Every card with points that has some due as of `as_of`, `CHUNK` at a time, handed to
    `write(days, {card id: (points due, the card's change number)})`; what it returned."""
    days = configs.current(unit).points_expiry_days
    if days <= 0:
        return []
    rows = unit.connection.execution_options(stream_results=True, yield_per=10_000).execute(
        select(*_ROW_COLUMNS, Card.change_seq)
        .join(Card, Card.id == PointTransaction.card_id)
        .where(PointTransaction.tenant_id == unit.tenant, Card.tenant_id == unit.tenant, Card.points_balance > 0)
        .order_by(PointTransaction.card_id, PointTransaction.id)
    )
    written, chunk = [], {}
    for card_id, lots, last in _replayed(rows, days, expired_by=as_of):
        amount = lots.expired(as_of)
        if amount:
            chunk[card_id] = (amount, last[-1])
            if len(chunk) == CHUNK:
                written.append(write(days, chunk))
                chunk = {}
    if chunk:
        written.append(write(days, chunk))
    return written


def _expire_cards(unit: Unit, as_of: datetime, days: int, due: dict[int, tuple[int, int]]) -> ExpiryRun:
    """Lock these cards and write their EXPIRED rows: what the pass found due, or, for a
    card changed since (or if the pharmacy's days changed), what its rows now say."""
    now_days = configs.current(unit).points_expiry_days
    locked = cards.rows(
        unit,
        cards.query(unit)
        .add_columns(Card.change_seq)
        .where(_among(unit, Card.id, list(due)))
        .order_by(Card.id)
        .with_for_update(of=Card),
        extra=("change_seq",),
    )
    changed = [card.id for card, (seq,) in locked if now_days != days or seq != due[card.id][1]]
    amounts = {card.id: due[card.id][0] for card, _seq in locked}
    amounts.update((card_id, lots.expired(as_of)) for card_id, lots in lots_of(unit, changed, now_days).items())
    postings = Postings(unit)
    for card, _seq in locked:
        amount = amounts[card.id]
        if amount <= 0:
            continue
        postings.post(
            Posting(
                card,
                EXPIRED,
                -amount,
                EXPIRY,
                as_of.date().isoformat(),
                description=f"{points(amount)} points older than {now_days} days expired",
            ),
            performed_by=EXPIRY_PERFORMER,
            device_id=None,
        )
    postings.flush(with_ids=False)
    written = [amount for amount in amounts.values() if amount > 0]
    return ExpiryRun(unit.tenant, len(written), sum(written))


def _among(unit: Unit, column: Any, ids: list[int]) -> Any:
    """`column IN ids`; on PostgreSQL as one array (thousands of placeholders, one per id,
    took longer to turn into the query than to lock the cards)."""
    if unit.connection.dialect.name == "postgresql":
        return column == any_(bindparam("ids", ids, type_=ARRAY(BigInteger)))
    return column.in_(ids)


def expire_all(store: Store, as_of: datetime | None = None) -> list[ExpiryRun]:
    """Every pharmacy's EXPIRED rows due as of `as_of` (default now)."""
    as_of = as_of or store.clock()
    tenants = store.run(
        lambda unit: list(unit.connection.execute(select(Tenant.id).order_by(Tenant.id)).scalars()),
        write=False,
        tenant_id=None,
    )
    return [expire_tenant(store, tenant_id, as_of) for tenant_id in tenants]


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
                webhooks.notify_expiring_all(self.store)  # points.expiring, a week ahead
            except Exception:  # the service keeps serving; the next day tries again
                log.exception("the daily expiry run failed")
            self._stop.wait(self.every.total_seconds())
