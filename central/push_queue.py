"""Group commit for pushes: one applier thread per worker takes every push waiting and
applies them together, in one transaction, answering each till separately.

Fifty tills pushing ten mutations each would otherwise be fifty transactions, each with
its own dozen round trips to the database and its own commit, all fighting for the
GIL. Grouped, they share the round trips and the commit. If a group fails on its fast
way (a mutation that breaks something other than a rule: a figure too large for the
database, a bug), it is applied again with each mutation in a savepoint of its own, so
that mutation is rejected and the rest applied (`push_group(isolate=True)`); if even
that fails (the database going away), each push is tried on its own, so one request
cannot fail the others.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from central.store.db import Store
from central.store.push import Push, push_group

log = logging.getLogger("central.push")

#: The most mutations one group transaction takes (the rest wait for the next group).
MAX_GROUP_MUTATIONS = 200


@dataclass
class _Waiting:
    tenant_id: int
    push: Push
    answer: Future = field(default_factory=Future)


class PushQueue:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._waiting: deque[_Waiting] = deque()
        self._wake = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="push-applier", daemon=True)
        self._thread.start()

    def submit(self, tenant_id: int, push: Push) -> Future:
        item = _Waiting(tenant_id, push)
        with self._wake:
            self._waiting.append(item)
            self._wake.notify()
        return item.answer

    def close(self) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._waiting and not self._stopping:
                    self._wake.wait()
                if self._stopping and not self._waiting:
                    return
                group = self._take()
            by_tenant: dict[int, list[_Waiting]] = {}
            for item in group:
                by_tenant.setdefault(item.tenant_id, []).append(item)
            for tenant_id, items in by_tenant.items():
                self._apply(tenant_id, items)

    def _take(self) -> list[_Waiting]:
        group, size = [], 0
        while self._waiting and (not group or size + len(self._waiting[0].push.batch) <= MAX_GROUP_MUTATIONS):
            item = self._waiting.popleft()
            group.append(item)
            size += len(item.push.batch)
        return group

    def _apply(self, tenant_id: int, items: list[_Waiting], *, isolate: bool = False) -> None:
        try:
            answers: list[Any] = self.store.run(
                lambda unit: push_group(unit, [item.push for item in items], isolate=isolate),
                write=True,
                tenant_id=tenant_id,
            )
        except Exception as error:  # a mutation that breaks more than a rule, or the database
            if not isolate:
                log.warning("a group of %d pushes failed (%s); applying each mutation on its own", len(items), error)
                self._apply(tenant_id, items, isolate=True)
                return
            if len(items) > 1:
                for item in items:
                    self._apply(tenant_id, [item], isolate=True)
                return
            items[0].answer.set_exception(error)
            return
        for item, answer in zip(items, answers):
            if isinstance(answer, Exception):
                item.answer.set_exception(answer)
            else:
                item.answer.set_result(answer)
