"""Retrying: capped exponential backoff with full jitter, and the server's Retry-After.

Pure (no clock, no network): the sync daemon (`sync/protocol.py`) waits with it between
failed rounds, and the central service's webhook deliveries (`central/webhook_delivery.py`)
between attempts to a receiver.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


def retry_after_seconds(header: str | None) -> float | None:
    """Retry-After as seconds (the HTTP-date form is read as 'no advice')."""
    if header is None:
        return None
    try:
        value = float(header.strip())
    except ValueError:
        return None
    return value if value >= 0 else None


@dataclass
class Backoff:
    """Capped exponential backoff with full jitter: wait a random time in
    [0, min(cap, base x 2^failures)], but never less than the server's Retry-After."""

    base: float = 1.0
    cap: float = 60.0
    failures: int = 0

    def next_delay(self, rng: random.Random, retry_after: float | None = None) -> float:
        ceiling = min(self.cap, self.base * (2**self.failures))
        self.failures += 1
        delay = rng.uniform(0, ceiling)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.cap * 10))
        return delay

    def reset(self) -> None:
        self.failures = 0
