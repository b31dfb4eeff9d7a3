"""Reference cycles are freed on the UI thread, never on the thread pool's (ui/collector.py).

Without it, Python's collector runs on whichever thread allocates when a generation is
full: a background sync round would free a closed dialog on a pool thread, and Qt warns
("Timers cannot be stopped from another thread") or crashes."""

from __future__ import annotations

import gc
import threading

from PySide6.QtWidgets import QLineEdit

from ui import background


class _ClosedDialog:
    """A widget (a line edit has a cursor timer) in a cycle: only the collector frees it."""

    freed_on: list[str] = []

    def __init__(self) -> None:
        self.me = self
        self.edit = QLineEdit()

    def __del__(self) -> None:
        _ClosedDialog.freed_on.append(threading.current_thread().name)


def test_cycles_are_collected_on_the_ui_thread_only_however_much_the_pool_allocates(qtbot):
    collected_on: list[str] = []

    def seen(phase: str, _info: dict) -> None:
        if phase == "start":
            collected_on.append(threading.current_thread().name)

    gc.callbacks.append(seen)
    try:
        _ClosedDialog.freed_on.clear()
        for _ in range(20):
            _ClosedDialog()
        answers = []

        def allocate() -> int:  # what a sync round does: many small containers, kept a while
            return len([[index] for index in range(200_000)])

        background.run(allocate, answers.append, answers.append)
        qtbot.waitUntil(lambda: len(answers) == 1, timeout=10_000)
        assert answers == [200_000]
        kept = [[index] for index in range(1_000)]  # the screen's own allocations
        qtbot.waitUntil(lambda: len(_ClosedDialog.freed_on) == 20, timeout=10_000)  # the collector's timer
        del kept
    finally:
        gc.callbacks.remove(seen)
    ui_thread = threading.main_thread().name
    assert set(_ClosedDialog.freed_on) == {ui_thread}
    assert collected_on and set(collected_on) == {ui_thread}
