"""Errors to people, one way: a typed domain error becomes its sentence; anything else
(disk full, a locked replica, a bug) becomes one sentence with what to do, and a bug's
traceback goes to the log file, never to the screen.

What no code caught goes the same way. PySide6 hands an exception raised in a slot or
an event handler to `sys.excepthook`, then carries on with the event loop; a Python
thread's goes to `threading.excepthook`. `catch_crashes(window)` takes both hooks: the
traceback goes to the log, the cashier reads one sentence, and the till keeps running.
Nothing on disk is ever half-written (every action is one SQLite transaction), which
is what lets the sentence say "carry on".
"""

from __future__ import annotations

import logging
import sqlite3
import sys
import threading
import time
from types import TracebackType

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox, QWidget
from sqlalchemy.exc import OperationalError

from pos_loyalty.errors import LoyaltyError

log = logging.getLogger("pos_loyalty.ui")

CRASH_TITLE = "Something went wrong"


def log_file() -> str:
    """Where tracebacks go: the file `pos-loyalty` opened at start (`cli.main._start_log`)."""
    for handler in logging.getLogger().handlers:
        if getattr(handler, "pos_loyalty_log", False) and getattr(handler, "baseFilename", None):
            return handler.baseFilename  # type: ignore[attr-defined]
    return "the till's log"


def crash_sentence() -> str:
    """What to tell the cashier when something no code expected went wrong."""
    return (
        f"Something went wrong inside the till (the details are in {log_file()}); nothing is ever half-saved, "
        "so carry on: a bill still on screen may be finalized again with F12 and is never counted twice, "
        "and if this keeps happening, call support."
    )


def sentence(error: BaseException) -> str:
    """What to tell the cashier about `error`."""
    if isinstance(error, LoyaltyError):
        return error.message
    if isinstance(error, (OperationalError, sqlite3.OperationalError)):
        text = str(error).lower()
        if "locked" in text or "busy" in text:
            return "The till's data is busy in another program. Nothing was lost: try again in a moment."
        if "full" in text:
            return "The disk is full, so nothing was saved. Free some space on this computer, then try again."
        return "The till's data file could not be used. Nothing was saved: try again, then call support."
    if isinstance(error, OSError):
        return f"The computer refused: {error.strerror or error}. Nothing was saved."
    log.error("unexpected error in the counter app", exc_info=error)
    return (
        f"Something went wrong inside the till and nothing was saved (the details are in {log_file()}): "
        "try again, and call support if it happens again."
    )


def show(parent: QWidget | None, error: BaseException, title: str = "Could not do that") -> None:
    tell(parent, title, sentence(error))


def tell(parent: QWidget | None, title: str, text: str) -> None:
    QMessageBox.warning(parent, title, text)


# --- what nothing caught ------------------------------------------------------------------

#: After a crash box is closed, further crashes for this long are logged and noted in the
#: status bar only: an error that repeats (a timer, a repaint) must not open box after box.
QUIET_S = 10.0


class Crashes(QObject):
    """The process's exception hooks while the counter app runs (see the module's doc)."""

    _reported = Signal(object)  # the exception, queued to the UI thread from any thread

    def __init__(self, window: QWidget) -> None:
        super().__init__()  # made on the UI thread, so the queued signal lands there
        self.window = window
        self.shown = 0  # boxes opened
        self.not_shown = 0  # crashes only logged (a box was open, or one was just closed)
        self._showing = False
        self._quiet_until = 0.0
        self._reported.connect(self._tell, Qt.ConnectionType.QueuedConnection)
        self._previous = (sys.excepthook, threading.excepthook)
        sys.excepthook = self._excepthook
        threading.excepthook = self._thread_excepthook

    def uninstall(self) -> None:
        if sys.excepthook == self._excepthook:
            sys.excepthook = self._previous[0]
        if threading.excepthook == self._thread_excepthook:
            threading.excepthook = self._previous[1]

    # --- any thread -----------------------------------------------------------------------

    def _excepthook(self, kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        if not issubclass(kind, Exception):  # KeyboardInterrupt, SystemExit: not ours to hide
            self._previous[0](kind, error, tb)
            return
        log.error("uncaught error in the counter app", exc_info=(kind, error, tb))
        self._report(error)

    def _thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None or not isinstance(args.exc_value, Exception):
            self._previous[1](args)
            return
        name = args.thread.name if args.thread is not None else "?"
        log.error("uncaught error in thread %s", name, exc_info=(args.exc_type, args.exc_value, args.exc_traceback))
        self._report(args.exc_value)

    def _report(self, error: BaseException) -> None:
        try:
            self._reported.emit(error)
        except RuntimeError:  # the app is closing and this object is gone: the log has it
            pass

    # --- the UI thread ----------------------------------------------------------------------

    def _tell(self, error: BaseException) -> None:
        window = self.window if shiboken6.isValid(self.window) else None
        if self._showing or time.monotonic() < self._quiet_until:
            self.not_shown += 1
            if isinstance(window, QMainWindow):
                window.statusBar().showMessage(f"Something went wrong again: see {log_file()}", 10_000)
            return
        self._showing = True
        self.shown += 1
        text = error.message if isinstance(error, LoyaltyError) else crash_sentence()
        try:
            tell(QApplication.activeModalWidget() or window, CRASH_TITLE, text)
        finally:
            self._showing = False
            self._quiet_until = time.monotonic() + QUIET_S


def catch_crashes(window: QWidget) -> Crashes:
    """Log and tell, once, whatever escapes a slot or a thread; `uninstall()` to stop."""
    return Crashes(window)
