"""Sending webhook deliveries (`store/webhooks.py` writes them with their events): `central
serve` runs one `Deliverer` thread, in its main process only, as it runs the daily expiry.

Each round takes, webhook by webhook, its pending deliveries in the order their events were
written, and POSTs each one that is due: the event's body as it was written, signed with
`X-Loyalty-Signature: sha256=<hex HMAC-SHA256 of the body with the webhook's secret>`.

- A 2xx answer: delivered.
- Anything else (no connection, a timeout, another status): tried again after a capped
  exponential backoff with full jitter (`pos_loyalty/backoff.py`, a Retry-After honoured),
  for 24 hours from the event; then given up (FAILED in the webhook's log).
- In order per card: a card's delivery waits while an earlier one of that card to that
  webhook is pending; and a webhook's round ends at its first failure, so a receiver that
  is down is knocked on once a round, not once per event.

What a round's attempts came to is written after them: a crash in between sends them again
(at least once; a receiver deduplicates by `eventId`). The schedule is `Schedule`, from
`POS_LOYALTY_WEBHOOK_RETRY` (`base=5 cap=600 give-up=86400 timeout=10 poll=0.25`, in
seconds), so a test can compress a day of retries into a minute.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta

import requests

from central.store import webhooks
from central.store.db import Store, utc_now
from central.store.webhooks import DELIVERED, FAILED, PENDING, Outcome, Pending, Target
from pos_loyalty import __version__
from pos_loyalty.backoff import Backoff, retry_after_seconds

log = logging.getLogger("central.webhooks")
ENV = "POS_LOYALTY_WEBHOOK_RETRY"
SIGNATURE = "X-Loyalty-Signature"
#: How long the delivery log keeps what is done with, and how often it is pruned.
KEEP_LOG = timedelta(days=30)
PRUNE_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class Schedule:
    """When to try again, and how long to wait for a receiver (seconds)."""

    base: float = 5.0  # the first retry comes within this
    cap: float = 600.0  # no wait is longer
    give_up: float = 86_400.0  # after this long since its event, a delivery is given up
    timeout: float = 10.0  # to connect, and for the answer
    poll: float = 0.25  # how often an idle worker looks for new events
    batch: int = 200  # deliveries of one webhook per round

    @classmethod
    def from_text(cls, text: str | None) -> Schedule:
        """`base=0.05 cap=0.5 give-up=30`: the fields given, the defaults for the rest."""
        schedule = cls()
        names = {field.name.replace("_", "-"): field.name for field in fields(cls)}
        for part in (text or "").replace(",", " ").split():
            key, _, value = part.partition("=")
            if key not in names:
                raise ValueError(f"{ENV}: {key!r} is not one of {', '.join(names)}")
            kind = int if key == "batch" else float
            schedule = replace(schedule, **{names[key]: kind(value)})
        return schedule

    def after_failure(
        self, delivery: Pending, now: datetime, rng: random.Random, retry_after: float | None
    ) -> tuple[str, datetime]:
        """(PENDING, when to try again) or (FAILED, now): the attempt that just failed was the
        delivery's `attempts + 1`th."""
        if (now - delivery.created_at).total_seconds() >= self.give_up:
            return FAILED, now
        wait = Backoff(self.base, self.cap, failures=delivery.attempts).next_delay(rng, retry_after)
        return PENDING, now + timedelta(seconds=wait)


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: what a receiver computes again to trust a delivery."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Deliverer:
    """The worker: `run_round` once, or `start` its thread (`central serve`)."""

    def __init__(
        self,
        store: Store,
        schedule: Schedule | None = None,
        *,
        clock: Callable[[], datetime] = utc_now,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.schedule = schedule or Schedule.from_text(os.environ.get(ENV))
        self.clock = clock
        self.rng = rng or random.Random()
        self._sessions: dict[int, requests.Session] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="webhooks", daemon=True)
        self._pruned_at: datetime | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self.schedule.timeout + 5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                delivered = self.run_round()
                self._prune()
            except Exception:  # the service keeps serving; the next round tries again
                log.exception("a round of webhook deliveries failed")
                delivered = 0
            if not delivered:
                self._stop.wait(self.schedule.poll)

    def run_round(self) -> int:
        """One pass over every webhook with something due; how many deliveries were delivered."""
        delivered = 0
        for target in self.store.run(webhooks.targets, write=False):
            if self._stop.is_set():
                break
            delivered += self._deliver_to(target)
        return delivered

    def _deliver_to(self, target: Target) -> int:
        due = self.store.run(lambda unit: webhooks.pending(unit, target.webhook_id, self.schedule.batch), write=False)
        waiting: set[object] = set()  # cards with an earlier delivery still to go
        outcomes: list[Outcome] = []
        for delivery in due:
            card = delivery.card_id if delivery.card_id is not None else ("event", delivery.delivery_id)
            if card in waiting:
                continue
            if delivery.next_attempt_at > self.clock():
                waiting.add(card)
                continue
            outcome = self._attempt(target, delivery)
            outcomes.append(outcome)
            if outcome.status != DELIVERED:
                break  # the receiver is down or failing: the rest wait for the next round
            if self._stop.is_set():
                break
        if outcomes:
            self.store.run(lambda unit: webhooks.record(unit, outcomes), write=True)
        return sum(1 for outcome in outcomes if outcome.status == DELIVERED)

    def _attempt(self, target: Target, delivery: Pending) -> Outcome:
        body = delivery.body.encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"pos-loyalty/{__version__}",
            SIGNATURE: sign(target.secret, body),
            "X-Loyalty-Event": delivery.type,
            "X-Loyalty-Event-Id": delivery.event_id,
        }
        code: int | None = None
        error: str | None = None
        retry_after = None
        try:
            answer = self._session(target).post(
                target.url, data=body, headers=headers, timeout=self.schedule.timeout, allow_redirects=False
            )
            code = answer.status_code
            answer.close()
            if 200 <= code < 300:
                now = self.clock()
                return Outcome(delivery.delivery_id, DELIVERED, delivery.attempts + 1, now, code, None, now)
            error = f"the receiver answered {code}"
            retry_after = retry_after_seconds(answer.headers.get("Retry-After"))
        except requests.RequestException as failure:
            error = _said(failure)
        now = self.clock()
        status, next_at = self.schedule.after_failure(delivery, now, self.rng, retry_after)
        if status == FAILED:
            log.warning(
                "webhook %s: event %s given up after %s attempts (%s)",
                target.webhook_id, delivery.event_id, delivery.attempts + 1, error,
            )
        return Outcome(delivery.delivery_id, status, delivery.attempts + 1, now, code, error[:500], next_at)

    def _session(self, target: Target) -> requests.Session:
        session = self._sessions.get(target.webhook_id)
        if session is None:
            session = self._sessions[target.webhook_id] = requests.Session()
        return session

    def _prune(self) -> None:
        now = self.clock()
        if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY:
            return
        self._pruned_at = now
        self.store.run(lambda unit: webhooks.prune(unit, now - KEEP_LOG), write=True)


def _said(failure: requests.RequestException) -> str:
    """A failure in a few words, for the log: no answer in time, no connection, ..."""
    if isinstance(failure, requests.Timeout):
        return "no answer in time"
    if isinstance(failure, requests.ConnectionError):
        return "could not connect to the receiver"
    return f"the request failed: {type(failure).__name__}"
