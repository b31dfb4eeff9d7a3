"""Slow work off the UI thread: `run(work, on_done, on_failed)`.

`work` runs on Qt's thread pool; its result or exception comes back to the UI thread
through queued signals, so the callbacks may touch widgets. A finalize that waits for
the sync daemon's write lock, a long history, a sync round: none of them freezes the
screen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

_alive: set["_Relay"] = set()  # relays whose work is still running (kept from the collector)


class _Relay(QObject):
    done = Signal(object)
    failed = Signal(object)


class _Job(QRunnable):
    def __init__(self, work: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.work: Callable[[], Any] | None = work
        self.relay = relay

    def run(self) -> None:
        assert self.work is not None, "a job runs once"
        try:
            result = self.work()
        except Exception as error:  # delivered to the UI thread; nothing escapes the pool
            self._deliver(self.relay.failed, error)
        else:
            self._deliver(self.relay.done, result)

    @staticmethod
    def _deliver(signal: Signal, value: Any) -> None:
        try:
            signal.emit(value)
        except RuntimeError:  # the app is closing and the relay is gone: nobody to tell
            pass


def run(
    work: Callable[[], Any],
    on_done: Callable[[Any], None],
    on_failed: Callable[[Exception], None],
    *,
    owner: QObject | None = None,
) -> None:
    """Run `work` off the UI thread; then `on_done(result)` or `on_failed(error)` on it.

    `owner`: the widget the callbacks update; if it was closed and deleted meanwhile,
    they are not called (there is nothing left to show the answer in).
    """
    relay = _Relay()  # made here, so it lives on the UI thread and its signals queue to it
    _alive.add(relay)

    job = _Job(work, relay)

    def finish(callback: Callable[[Any], None], value: Any) -> None:
        _alive.discard(relay)
        # PySide keeps a finished job's Python object: it must not keep the work (a bill, a
        # quote, the widgets its lambda names) for the rest of the day. Let go of it here,
        # on the UI thread, where whatever it held may be destroyed.
        job.work = None
        relay.deleteLater()  # and with it the connections holding the callbacks
        if owner is not None and not shiboken6.isValid(owner):
            return
        callback(value)

    relay.done.connect(lambda value: finish(on_done, value))
    relay.failed.connect(lambda error: finish(on_failed, error))
    QThreadPool.globalInstance().start(job)
