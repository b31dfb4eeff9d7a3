"""What one device may ask for: limits answered `429 TOO_MANY_REQUESTS` with `Retry-After`.

- Card-number blocks (`POST /sync/card-blocks`): each is 100,000 numbers, so a till that
  needs more than `BLOCKS_PER_DAY` in a day is a fault or an abuse; counted from the
  database (`card_blocks.created_at`), so every worker process sees the same count.
- Pull pages: a token bucket per device in each worker process (`PAGES_PER_SECOND`,
  bursts of `PAGE_BURST`): ample for a new till's bootstrap of a million cards (a few
  hundred pages), not for a loop hammering the service.
"""

from __future__ import annotations

import math
import threading
import time
from datetime import datetime, timedelta

from sqlalchemy import func, select

from central.store.db import Unit
from central.store.models import CardBlock
from pos_loyalty.errors import TOO_MANY_REQUESTS, LoyaltyError

BLOCKS_PER_DAY = 3
PAGES_PER_SECOND = 20.0
PAGE_BURST = 100


class TooManyRequests(LoyaltyError):
    def __init__(self, message: str, retry_after: float) -> None:
        seconds = max(1, math.ceil(retry_after))
        super().__init__(TOO_MANY_REQUESTS, f"{message}; try again in {seconds} s", retryAfterSeconds=seconds)
        self.retry_after = seconds


def check_card_blocks(unit: Unit, device_id: int) -> None:
    """Refuse a block beyond BLOCKS_PER_DAY in the last 24 hours (run in the allocating unit)."""
    since = unit.now - timedelta(days=1)
    count, oldest = unit.connection.execute(
        select(func.count(), func.min(CardBlock.created_at)).where(
            CardBlock.tenant_id == unit.tenant, CardBlock.device_id == device_id, CardBlock.created_at > since
        )
    ).one()
    if count >= BLOCKS_PER_DAY:
        free_at = _naive(oldest) + timedelta(days=1)
        raise TooManyRequests(
            f"This till has had {count} blocks of card numbers in the last 24 hours, the most it may have",
            (free_at - unit.now).total_seconds(),
        )


class Buckets:
    """Token buckets by key (a device), refilled at `rate` a second up to `burst`."""

    def __init__(self, rate: float = PAGES_PER_SECOND, burst: int = PAGE_BURST, clock=time.monotonic) -> None:  # type: ignore[no-untyped-def]
        self.rate, self.burst, self.clock = rate, burst, clock
        self._levels: dict[object, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: object, what: str) -> None:
        with self._lock:
            now = self.clock()
            level, since = self._levels.get(key, (float(self.burst), now))
            level = min(self.burst, level + (now - since) * self.rate)
            if level < 1:
                self._levels[key] = (level, now)
                raise TooManyRequests(f"This till asks for {what} faster than {self.rate:g} a second", (1 - level) / self.rate)
            self._levels[key] = (level - 1, now)


def _naive(moment: datetime | str) -> datetime:
    return datetime.fromisoformat(moment) if isinstance(moment, str) else moment
