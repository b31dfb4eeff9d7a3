"""The sync daemon: rounds of "push the outbox, then pull the changes", for ever.

A round pushes every unacknowledged mutation in `deviceSeq` order, a batch at a time,
recording each answer; then pulls pages until the server has nothing more, storing each
page with its cursor in one transaction. Network trouble, timeouts, 429 and 5xx end the
round; the next one waits (capped exponential backoff with full jitter, never less than
the server's Retry-After). A refused token (401/403) stops syncing until the till's
configuration changes. Between rounds the daemon checkpoints the replica (it is idle).
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy import func, select

from pos_loyalty.errors import InvalidInput
from pos_loyalty.replica.db import Replica
from pos_loyalty.replica.models import OutboxMutation
from pos_loyalty.services import outbox, replication
from sync.protocol import (
    PULL_PAGE,
    PUSH_BATCH,
    PUSH_BYTES,
    Backoff,
    Next,
    classify,
    pull_page_problem,
    push_answer_problem,
    resend_position,
    retry_after_seconds,
)
from sync.transport import Answer, CentralService, Unreachable

log = logging.getLogger("pos_loyalty.sync")

#: How often an idle daemon pulls anyway, to learn what other tills did.
PULL_INTERVAL_SECONDS = 30.0
#: How often an idle daemon looks for new mutations in the outbox.
OUTBOX_POLL_SECONDS = 1.0


class SyncFailed(Exception):
    """This round did not finish; the next one will try again after a wait."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SyncStopped(Exception):
    """Syncing cannot go on until a person changes the till's configuration (a refused token)."""


@dataclass
class RoundReport:
    pushed: dict[str, int] = field(default_factory=lambda: {"applied": 0, "duplicate": 0, "rejected": 0})
    cards_pulled: int = 0
    config_version: int | None = None

    def sentence(self) -> str:
        pushed = sum(self.pushed.values())
        parts = [f"pushed {pushed}" + (f" ({self.pushed['rejected']} rejected)" if self.pushed["rejected"] else "")]
        parts.append(f"pulled {self.cards_pulled} card{'s' if self.cards_pulled != 1 else ''}")
        if self.config_version is not None:
            parts.append(f"configuration version {self.config_version}")
        return ", ".join(parts)


class Syncer:
    def __init__(
        self,
        replica: Replica,
        central: CentralService,
        *,
        push_batch: int = PUSH_BATCH,
        push_bytes: int = PUSH_BYTES,
        page: int = PULL_PAGE,
        rng: random.Random | None = None,
    ) -> None:
        self.replica = replica
        self.central = central
        self.push_batch = push_batch
        self.push_bytes = push_bytes
        self.page = page
        self.rng = rng or random.Random()
        #: What the next push says is waiting, worked out before it went (`push_all`); None: count then.
        self._told: int | None = None
        if getattr(central, "pending", None) is None:  # each push and pull tells the service how many wait
            central.pending = self._pending_told

    def pending_count(self) -> int:
        """The outbox's mutations not yet accepted by the service (what `status` calls pending)."""
        with self.replica.reading() as uow:
            return uow.connection.execute(
                select(func.count()).select_from(OutboxMutation).where(OutboxMutation.status == outbox.PENDING)
            ).scalar_one()

    def _pending_told(self) -> int:
        told, self._told = self._told, None
        return self.pending_count() if told is None else told

    # --- one round ----------------------------------------------------------------------

    def round(self) -> RoundReport:
        """Push, then pull; record the outcome in the replica for `status` and the app."""
        report = RoundReport()
        try:
            self.push_all(report)
            self.pull_all(report)
        except SyncStopped as stop:
            replication.record_failure(self.replica, str(stop), stopped=True)
            raise
        except SyncFailed as failure:
            replication.record_failure(self.replica, str(failure))
            raise
        replication.record_success(self.replica)
        return report

    def push_all(self, report: RoundReport) -> None:
        """Push batches until none is left, one at a time. The next batch is read while this
        one is being applied, and sent as soon as this one is answered, before the answer is
        recorded, unless recording it renumbers what was read (a mutation queued after that
        read goes in the next round)."""
        position = replication.first_unsent(self.replica)
        if position is None:
            return
        batch = self._batch(position)
        resends = 0
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="push") as sender:
            pending: Future | None = sender.submit(self.central.push, batch) if batch else None
            while batch:
                following = self._batch(batch[-1]["deviceSeq"] + 1)
                answer = self._wait(pending)
                step = classify(answer.status)
                if step is Next.OK:
                    problem = push_answer_problem(answer.body, [mutation["deviceSeq"] for mutation in batch])
                    if problem is not None:
                        raise SyncFailed(problem)
                    ahead = bool(following) and not replication.renumbers(answer.body["results"])
                    if ahead:  # every mutation of this batch leaves the queue with its answer
                        self._told = self.pending_count() - len(batch)
                        pending = sender.submit(self.central.push, following)
                    counts = replication.record_push(self.replica, answer.body["results"], answer.body["lastAppliedSeq"])
                    renumbered = counts.pop("renumbered")
                    for outcome, count in counts.items():
                        report.pushed[outcome] += count
                    if renumbered:  # what was read ahead has new numbers now (never sent ahead)
                        position = replication.first_unsent(self.replica)
                        following = [] if position is None else self._batch(position)
                    batch = following
                    if batch and not ahead:
                        pending = sender.submit(self.central.push, batch)
                elif step is Next.RESEND_FROM:
                    resends += 1
                    if resends > 3:
                        raise SyncFailed("the central service keeps asking for mutations it then refuses (409)")
                    last = answer.body.get("lastAppliedSeq") if isinstance(answer.body, dict) else None
                    try:
                        position = resend_position(last)
                    except ValueError as error:
                        raise SyncFailed(str(error)) from None
                    log.warning("the central service has applied up to %s; pushing again from %s", last, position)
                    batch = self._batch(position)
                    if not batch or batch[0]["deviceSeq"] != position:  # this till has no such change
                        replication.realign(self.replica, last)
                        batch = self._batch(position)
                    if batch:
                        pending = sender.submit(self.central.push, batch)
                else:
                    self._refuse(step, answer, "push")

    def _batch(self, position: int) -> list[dict]:
        """The next push from `position`: within the count and byte limits (`protocol`)."""
        return replication.batch_from(self.replica, position, self.push_batch, self.push_bytes)

    def pull_all(self, report: RoundReport, on_page: Callable[[RoundReport], None] | None = None) -> None:
        """Pull pages until the last; fetch the next page while this one is being stored."""
        cursor = replication.pull_cursor(self.replica)
        restarts = 0
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pull") as fetcher:
            pending: Future = fetcher.submit(self.central.pull, cursor, self.page)
            while True:
                answer = self._wait(pending)
                step = classify(answer.status)
                if step is Next.RESTART_PULL:
                    restarts += 1
                    if restarts > 2:
                        raise SyncFailed("the central service refuses every cursor (410)")
                    log.warning("the central service no longer accepts the cursor: pulling everything again")
                    replication.restart_pull(self.replica)
                    pending = fetcher.submit(self.central.pull, "0", self.page)
                    continue
                if step is not Next.OK:
                    self._refuse(step, answer, "pull")
                problem = pull_page_problem(answer.body)
                if problem is not None:
                    raise SyncFailed(problem)
                page = answer.body
                if page.get("hasMore"):
                    pending = fetcher.submit(self.central.pull, page["cursor"], self.page)
                try:
                    stored = replication.store_page(self.replica, page)
                except InvalidInput as error:
                    raise SyncFailed(f"the central service sent a page this till cannot store: {error.message}") from None
                report.cards_pulled += stored.cards
                if stored.config_version is not None:
                    report.config_version = stored.config_version
                if on_page is not None:
                    on_page(report)
                if stored.done:
                    return

    # --- answers ---------------------------------------------------------------------------

    def _wait(self, pending: Future) -> Answer:
        try:
            return pending.result()
        except Unreachable as error:
            raise SyncFailed(str(error)) from None

    def _refuse(self, step: Next, answer: Answer, what: str) -> None:
        if step is Next.STOP:
            raise SyncStopped(
                f"The central service refused this till's token (HTTP {answer.status}: {answer.error_message}). "
                "Connect the till again with a valid device token: pos-loyalty connect URL --token TOKEN"
            )
        if step is Next.RETRY:
            raise SyncFailed(
                f"the central service is busy or failing (HTTP {answer.status})",
                retry_after=retry_after_seconds(answer.retry_after),
            )
        raise SyncFailed(f"the central service refused a {what} (HTTP {answer.status}: {answer.error_message})")

    # --- for ever -----------------------------------------------------------------------------

    def run(self, stop: threading.Event, *, on_round: Callable[[RoundReport], None] | None = None) -> None:
        """Rounds until `stop` is set; returns early (SyncStopped) if the token is refused."""
        backoff = Backoff()
        while not stop.is_set():
            try:
                report = self.round()
            except SyncFailed as failure:
                delay = backoff.next_delay(self.rng, failure.retry_after)
                log.warning("sync round failed: %s; next try in %.1f s", failure, delay)
                stop.wait(delay)
                continue
            except SyncStopped:
                raise
            except Exception as error:  # a bug or a surprise: logged, and the daemon carries on
                delay = backoff.next_delay(self.rng)
                log.exception("sync round failed unexpectedly; next try in %.1f s", delay)
                self._record_unexpected(error)
                stop.wait(delay)
                continue
            backoff.reset()
            if on_round is not None:
                on_round(report)
            self._idle(stop)

    def _record_unexpected(self, error: Exception) -> None:
        try:
            replication.record_failure(self.replica, f"unexpected {type(error).__name__}: {error}"[:500])
        except Exception:  # the replica itself may be what failed; the log has it
            log.debug("could not record the failure", exc_info=True)

    def _idle(self, stop: threading.Event) -> None:
        """Checkpoint, then wait for new mutations in the outbox, or for the next pull."""
        try:
            self.replica.checkpoint()
        except Exception:  # an idle-time tidy-up; the next idle moment will do
            log.debug("checkpoint skipped", exc_info=True)
        waited = 0.0
        while waited < PULL_INTERVAL_SECONDS and not stop.wait(OUTBOX_POLL_SECONDS):
            waited += OUTBOX_POLL_SECONDS
            if replication.first_unsent(self.replica) is not None:
                return
