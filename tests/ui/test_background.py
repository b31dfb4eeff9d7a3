"""Work off the UI thread gives its answer on the UI thread and then lets go of everything
it held: a till rings up hundreds of bills a day, and each finalize's work (the bill, the
quote shown, the card) must not stay in memory until the till closes."""

from __future__ import annotations

import gc
import threading
import weakref

from PySide6.QtCore import QCoreApplication, QEvent

from ui import background


class Bill:
    """Something a finalize's work holds (a weakref can say whether it is still alive)."""


def test_the_answer_comes_back_on_the_ui_thread(qtbot):
    answers: list[tuple[int, bool]] = []
    background.run(lambda: 42, lambda value: answers.append((value, threading.current_thread() is threading.main_thread())),
                   lambda error: answers.append((-1, False)))
    qtbot.waitUntil(lambda: bool(answers), timeout=5000)
    assert answers == [(42, True)]


def test_finished_work_holds_nothing_it_was_given(qtbot):
    held: list[weakref.ref] = []
    answered: list[object] = []
    for _ in range(20):
        bill = Bill()
        held.append(weakref.ref(bill))
        background.run(lambda bill=bill: bill, lambda done, bill=bill: answered.append(type(done)), answered.append)
        del bill
    qtbot.waitUntil(lambda: len(answered) == 20, timeout=5000)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
    assert [ref() for ref in held] == [None] * 20


def test_a_failure_is_answered_and_let_go_of_too(qtbot):
    failures: list[str] = []
    bill = Bill()
    held = weakref.ref(bill)

    def work(bill: Bill = bill) -> None:
        raise ValueError("the replica is busy")

    background.run(work, lambda _value: failures.append("done?"), lambda error: failures.append(str(error)))
    del bill, work
    qtbot.waitUntil(lambda: bool(failures), timeout=5000)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
    assert failures == ["the replica is busy"] and held() is None
