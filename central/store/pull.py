"""`GET /sync/pull`: the tenant's changes after a cursor, in commit order, a page at a time.

The feed is the tenant's cards and its newest configuration, ordered by
(change_seq, kind, id): configuration before cards within one change number, cards by
id. A page shows only changes that can no longer be overtaken by one committing later
(`store/db.py`, `change_number`): on SQLite every change, since its writers take turns;
on PostgreSQL the changes of transactions older than the snapshot's xmin. A page is read in one snapshot together with the
till's `appliedSeq`: every card in it already holds the effects of exactly this till's
mutations up to `appliedSeq`.

Cursor: `"0"` (bootstrap) or `"<epoch>.<change_seq>.<kind>.<id>"`. The epoch is random
per tenant and database; a cursor from another database (a restore, a different
server), or one ahead of the tenant's newest change, is refused with 410 and the till
starts again from 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select, text

from central.store import cards as card_store
from central.store import hold_rows
from central.store import config as configs
from central.store.db import Unit
from central.store.expiry import lots_of
from central.store.models import Card, ConfigVersion, Device, Tenant
from central.store.tenants import device_blocks
from pos_loyalty.amounts import points
from pos_loyalty.errors import InvalidInput, LoyaltyError
from pos_loyalty.rules.expiry import Lots
from pos_loyalty.rules.holds import Hold, held_points

DEFAULT_LIMIT = 1000
MAX_LIMIT = 5000
CONFIG, CARD = 0, 1


@dataclass(frozen=True, order=True)
class Position:
    change_seq: int
    kind: int
    id: int


START = Position(0, 0, 0)


class CursorExpired(LoyaltyError):
    def __init__(self, reason: str) -> None:
        super().__init__("CURSOR_EXPIRED", f"This cursor is no longer accepted ({reason}): pull again from 0")


def parse_cursor(cursor: str | None, epoch: str, newest: int) -> Position:
    if cursor in (None, "", "0"):
        return START
    parts = cursor.split(".")
    if len(parts) != 4 or not all(p.isdigit() for p in parts[1:]):
        raise InvalidInput("cursor", f"{cursor!r} is not a cursor this service gave out")
    if parts[0] != epoch:
        raise CursorExpired("it belongs to another database")
    position = Position(int(parts[1]), int(parts[2]), int(parts[3]))
    if position.change_seq > newest:
        raise CursorExpired("it is ahead of this database")
    return position


def format_cursor(epoch: str, position: Position) -> str:
    return f"{epoch}.{position.change_seq}.{position.kind}.{position.id}"


def pull(unit: Unit, device_id: int, cursor: str | None, limit: int) -> dict[str, Any]:
    """One page of changes after `cursor`; call inside a read-only snapshot."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput("limit", f"limit must be between 1 and {MAX_LIMIT}")
    epoch, newest = unit.connection.execute(
        select(Tenant.epoch, Tenant.change_seq).where(Tenant.id == unit.tenant)
    ).one()
    horizon = None
    if unit.connection.dialect.name == "postgresql":
        # Change numbers are transaction ids (store/db.py): show only changes of
        # transactions that have all finished, and know which numbers are yet to come.
        horizon, newest = unit.connection.execute(
            text(
                "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint,"
                " pg_snapshot_xmax(pg_current_snapshot())::text::bigint"
            )
        ).one()
    after = parse_cursor(cursor, epoch, newest)
    device = unit.connection.execute(
        select(Device.name, Device.last_applied_seq).where(Device.id == device_id, Device.tenant_id == unit.tenant)
    ).one()

    feed: list[tuple[Position, dict[str, Any]]] = []
    config = configs.current(unit)
    config_row = unit.connection.execute(
        select(ConfigVersion.id, ConfigVersion.change_seq)
        .where(ConfigVersion.tenant_id == unit.tenant)
        .order_by(ConfigVersion.version.desc())
        .limit(1)
    ).first()
    if config_row is not None:
        position = Position(config_row.change_seq, CONFIG, config_row.id)
        if position > after and (horizon is None or position.change_seq < horizon):
            feed.append((position, {"type": "config", "op": "upsert", "version": config.version, "config": configs.document(unit, config)}))

    found = _cards_after(unit, after, limit + 1, horizon)
    lots = lots_of(unit, [card.id for card, _seq in found], config.points_expiry_days)
    holds = hold_rows.active(unit, [card.id for card, _seq in found])
    for card, (change_seq,) in found:
        shown = card.to_json(config) | _lots_json(lots[card.id], unit.now) | _holds_json(holds[card.id], unit.now)
        feed.append((Position(change_seq, CARD, card.id), {"type": "card", "op": "upsert", "card": shown}))

    feed.sort(key=lambda item: item[0])
    page, more = feed[:limit], len(feed) > limit
    last = page[-1][0] if page else after
    return {
        "changes": [change for _position, change in page],
        "cursor": format_cursor(epoch, last),
        "hasMore": more,
        "appliedSeq": device.last_applied_seq,
        "device": {
            "id": device_id,
            "name": device.name,
            "tenantId": unit.tenant,
            "cardBlocks": device_blocks(unit, device_id),
        },
    }


def _lots_json(lots: Lots, now: Any) -> dict[str, Any]:
    """What a till needs of a card's lots to keep expired points unavailable while offline:
    each open lot's expiry and what is left in it (none when points never expire)."""
    return {
        "expiringPoints": points(lots.expiring(now)),
        "nextExpiryAt": lots.next_expiry(now),
        "lots": [{"expiresAt": lot.expires_at, "points": points(lot.left)} for lot in lots.open_lots()]
        if lots.days > 0
        else [],
    }


def _holds_json(holds: list[Hold], now: Any) -> dict[str, Any]:
    """The card's held points, and each active hold with the time it lapses, so that a till
    stops keeping them from the customer when that time comes, without waiting for a pull."""
    return {
        "heldPoints": points(held_points(holds, now)),
        "holds": [{"expiresAt": hold.expires_at, "points": points(hold.points)} for hold in holds],
    }


def _cards_after(unit: Unit, after: Position, count: int, horizon: int | None) -> list:
    """Up to `count` cards after the cursor in (change_seq, id) order, with their change_seq.

    Two range scans of the (tenant, change_seq, id) index: the rest of the cursor's own
    change number, then the later ones. One `(change_seq, id) > (a, b)` comparison is
    the same set, but SQLite seeks only on `change_seq >= a` and skips the ids one by
    one: when many cards share a change number (a bulk import), each page re-read every
    card before the cursor, and a bootstrap took time quadratic in the cards.
    """
    first_card_id = after.id if after.kind == CARD else 0
    same = _card_feed(unit, horizon).where(Card.change_seq == after.change_seq, Card.id > first_card_id)
    found = card_store.rows(unit, same.limit(count), extra=("change_seq",))
    if len(found) < count:
        later = _card_feed(unit, horizon).where(Card.change_seq > after.change_seq)
        found += card_store.rows(unit, later.limit(count - len(found)), extra=("change_seq",))
    return found


def _card_feed(unit: Unit, horizon: int | None) -> Select:
    statement = card_store.query(unit).add_columns(Card.change_seq).order_by(Card.change_seq, Card.id)
    return statement if horizon is None else statement.where(Card.change_seq < horizon)
