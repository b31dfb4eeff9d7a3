"""The sync protocol's decisions, as pure functions: no network, no clock, no replica.

`classify` turns an HTTP status into what the daemon does next; `Backoff` is the
capped exponential schedule with full jitter, honouring the server's Retry-After.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import Enum

#: Mutations per push, cards per page. A page is one replica transaction: small enough
#: that a cashier's finalize never waits long for it.
PUSH_BATCH = 200
PULL_PAGE = 1000
BOOTSTRAP_PAGE = 5000


class Next(Enum):
    OK = "ok"  # use the answer
    RESEND_FROM = "resend_from"  # 409: the server wants an earlier (or later) deviceSeq
    RESTART_PULL = "restart_pull"  # 410: pull again from cursor 0
    RETRY = "retry"  # network trouble, 429, 5xx: wait, then the same again
    STOP = "stop"  # 401/403: the token is refused; wait for a person
    BROKEN = "broken"  # any other answer: this till and the server disagree on the protocol


def classify(status: int) -> Next:
    if status == 200:
        return Next.OK
    if status == 409:
        return Next.RESEND_FROM
    if status == 410:
        return Next.RESTART_PULL
    if status in (401, 403):
        return Next.STOP
    if status in (408, 425, 429) or status >= 500:
        return Next.RETRY
    return Next.BROKEN


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


def resend_position(last_applied_seq: object) -> int:
    """Where to push from after a 409: the server's `lastAppliedSeq` + 1.

    A 409 means our batch started past the server's next number: the server has lost
    mutations it once acknowledged (restored from an older backup), so those go again,
    from the acknowledged ones kept in the outbox.
    """
    if isinstance(last_applied_seq, bool) or not isinstance(last_applied_seq, int) or last_applied_seq < 0:
        raise ValueError(f"a 409 without a usable lastAppliedSeq ({last_applied_seq!r})")
    return last_applied_seq + 1
