"""Errors to people, one way: a typed domain error becomes its sentence; anything else
(disk full, a locked replica, a bug) becomes one sentence with what to do, and a bug's
traceback goes to the log file, never to the screen."""

from __future__ import annotations

import logging
import sqlite3

from PySide6.QtWidgets import QMessageBox, QWidget
from sqlalchemy.exc import OperationalError

from pos_loyalty.errors import LoyaltyError

log = logging.getLogger("pos_loyalty.ui")


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
    return "Something went wrong inside the till. Nothing was saved; try again, and call support if it happens again."


def show(parent: QWidget | None, error: BaseException, title: str = "Could not do that") -> None:
    QMessageBox.warning(parent, title, sentence(error))
