"""The holds of cards as the other stores read them (`store/holds.py` makes and closes them).

Kept apart from the hold routes' work so that what shows a card (`store/expiry.py`, pull,
webhooks) can ask for its held points without importing the billing it builds on. Which
holds still count is `rules/holds.is_active`; the query only leaves out closed ones and,
as an index range, those whose time has passed.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from central.store.db import Unit
from central.store.models import PointHold
from pos_loyalty.rules.holds import ACTIVE, Hold, held_points


def active(unit: Unit, card_ids: Iterable[int]) -> dict[int, list[Hold]]:
    """Each card's active holds, soonest to lapse first (an empty list for a card with none)."""
    ids = sorted(set(card_ids))
    found: dict[int, list[Hold]] = {card_id: [] for card_id in ids}
    if not ids:
        return found
    result = unit.connection.execute(
        select(PointHold.card_id, PointHold.points, PointHold.expires_at)
        .where(
            PointHold.card_id.in_(ids),
            PointHold.tenant_id == unit.tenant,
            PointHold.status == ACTIVE,
            PointHold.expires_at > unit.now,
        )
        .order_by(PointHold.expires_at, PointHold.id)
    )
    for card_id, points, expires_at in result:
        found[card_id].append(Hold(points, expires_at))
    return found


def held(unit: Unit, card_ids: Iterable[int]) -> dict[int, int]:
    """Each card's held points now."""
    return {card_id: held_points(holds, unit.now) for card_id, holds in active(unit, card_ids).items()}
