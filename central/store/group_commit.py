"""Group commit for SQLite: the write units of work that queue up while one transaction runs
are run together in the next, each in a savepoint of its own, and share its commit.

SQLite runs one write transaction at a time, and each commit of a durable transaction
(WAL, `synchronous=FULL`) waits for the disk. With sixteen billing calls at once, each
its own transaction, the writer's turn was mostly waiting: for the disk, and for the
GIL between statements. Here the first writer to arrive leads: it takes every unit
waiting (its own first), runs them in one transaction and commits once; the others wait
for their answers, which they get only after that commit, so nothing is answered before
it is durable. Whoever arrives meanwhile waits for the next group, led by the first of
them. A writer alone runs alone, with no savepoint and no thread in between.

A unit that raises (a refused request: `CARD_NOT_FOUND`, a replayed idempotent request,
a bug) is rolled back to its savepoint and gets its own error; the others are committed.
If the group cannot commit, or a failure leaves its transaction unusable, every unit of
it is run again on its own, so one request cannot fail the others (as
`central/push_queue.py` does for pushes). A unit of work may therefore run twice; as
with `Store.run`'s retries, it must do nothing but its work on the database.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import OperationalError

from central.store.sqlite_writer import WAIT_SECONDS

#: The most units one group transaction takes; the rest wait for the next group.
MAX_GROUP = 32
#: A group that has run this long commits without its remaining units (a long import
#: must not hold many short answers back); they go first in the next group.
GROUP_SECONDS = 0.02


class _Waiting:
    __slots__ = ("work", "tenant_id", "result", "error", "done", "lead", "signal")

    def __init__(self, work: Callable[[Any], Any], tenant_id: int | None) -> None:
        self.work = work
        self.tenant_id = tenant_id
        self.result: Any = None
        self.error: BaseException | None = None
        self.done = False
        self.lead = False
        self.signal = threading.Event()  # set when done, or when it is this unit's turn to lead

    def finish(self, result: Any = None, error: BaseException | None = None) -> None:
        self.result, self.error, self.done = result, error, True
        self.signal.set()


class GroupCommit:
    """`run(work, tenant_id)`: run a write unit of work in the next group transaction.

    `transaction(units)` is the store's: it runs `units` (a list of (work, tenant_id)), or the
    first of them if the group has run `GROUP_SECONDS`, in one write transaction and returns,
    for each unit it ran, ("ok", result) or ("failed", error); it raises if the transaction
    as a whole failed (nothing of it committed).
    """

    def __init__(self, transaction: Callable[[list[tuple[Callable[[Any], Any], int | None]]], list[tuple[str, Any]]]) -> None:
        self._transaction = transaction
        self._mutex = threading.Lock()
        self._waiting: deque[_Waiting] = deque()
        self._leading = False
        self._local = threading.local()

    def run(self, work: Callable[[Any], Any], tenant_id: int | None) -> Any:
        if getattr(self._local, "in_group", False):
            raise RuntimeError("a write unit of work cannot start another one inside it (SQLite has one writer)")
        item = _Waiting(work, tenant_id)
        with self._mutex:
            self._waiting.append(item)
            if not self._leading:
                self._leading = item.lead = True
        while not item.done:
            if item.lead:
                self._lead()
                continue
            if not item.signal.wait(WAIT_SECONDS):
                with self._mutex:
                    if item in self._waiting:  # not yet taken: give up, as SQLite's busy timeout would
                        self._waiting.remove(item)
                        raise OperationalError(
                            "BEGIN IMMEDIATE", None, Exception("database is locked (waited for the writers ahead)")
                        )
                continue  # taken into a group that is running: its answer comes
            item.signal.clear()
        if item.error is not None:
            raise item.error
        return item.result

    def _lead(self) -> None:
        with self._mutex:
            group = [self._waiting.popleft() for _ in range(min(MAX_GROUP, len(self._waiting)))]
        requeued: list[_Waiting] = []
        try:
            requeued = self._apply(group)
        finally:
            for item in group:  # a BaseException (interrupt) in the middle: none left waiting
                # (those put back for the next group are not done yet, and must not be
                # answered: they will run, and be answered, there)
                if not item.done and not any(item is back for back in requeued):
                    item.finish(error=RuntimeError("the group commit was interrupted"))
            with self._mutex:
                if self._waiting:
                    following = self._waiting[0]
                    following.lead = True
                    following.signal.set()
                else:
                    self._leading = False

    def _apply(self, group: list[_Waiting]) -> list[_Waiting]:
        """Run `group`; the units it put back for the next group (GROUP_SECONDS)."""
        self._local.in_group = True
        try:
            try:
                outcomes = self._transaction([(item.work, item.tenant_id) for item in group])
            except Exception as error:
                if len(group) == 1:
                    group[0].finish(error=error)
                else:  # the group could not commit: each on its own
                    for item in group:
                        self._alone(item)
                return []
            for item, (status, value) in zip(group, outcomes):
                item.finish(result=value) if status == "ok" else item.finish(error=value)
            rest = group[len(outcomes):]  # the transaction stopped taking units (GROUP_SECONDS)
            if rest:
                with self._mutex:
                    self._waiting.extendleft(reversed(rest))
            return rest
        finally:
            self._local.in_group = False

    def _alone(self, item: _Waiting) -> None:
        try:
            [(status, value)] = self._transaction([(item.work, item.tenant_id)])
        except Exception as error:
            item.finish(error=error)
        else:
            item.finish(result=value) if status == "ok" else item.finish(error=value)
