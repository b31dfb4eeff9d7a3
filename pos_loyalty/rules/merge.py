"""Two cards of one customer made one: which referrer and customer id the kept card ends with.

Both stores merge by this rule (`central/store/card_lifecycle.merge`,
`pos_loyalty/services/card_lifecycle.merge`); the points and totals move by
`rules.postings.transfer_postings`. Cards are named by whatever the store uses (ids).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Links:
    """A card's referrer (None: nobody referred it) and its customer id in the billing system."""

    referrer: Any
    customer_id: str | None


def merged_links(keep: Any, kept: Links, other: Any, merged: Links) -> Links:
    """The kept card keeps its own referrer and customer id; where it has none it takes the
    other card's. It never ends up referring itself (the other card referred it, or the
    other card's referrer is the kept card)."""
    referrer = None if kept.referrer == other else kept.referrer
    if referrer is None and merged.referrer not in (None, keep):
        referrer = merged.referrer
    return Links(referrer, kept.customer_id if kept.customer_id is not None else merged.customer_id)
