"""Counter-app tests drive real windows offscreen, on a real replica file, with pytest-qt.

Any Qt warning fails the test (as qutebrowser's tests do): a warning is a bug waiting.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QtMsgType, qInstallMessageHandler  # noqa: E402

from pos_loyalty.services import manager  # noqa: E402
from ui.changes import Changes  # noqa: E402
from ui.dialogs import pin  # noqa: E402

_IGNORED = (
    "This plugin does not support",  # offscreen: window decorations, raise/activate
    "propagateSizeHints",
)


@pytest.fixture(autouse=True)
def fail_on_qt_warnings():
    seen: list[str] = []

    def handler(kind, _context, message):  # type: ignore[no-untyped-def]
        if kind in (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg) and not message.startswith(_IGNORED):
            seen.append(message)

    previous = qInstallMessageHandler(handler)
    yield
    qInstallMessageHandler(previous)
    assert not seen, f"Qt warnings: {seen}"


@pytest.fixture
def changes(qtbot) -> Changes:
    return Changes()


@pytest.fixture
def manager_unlocked(replica):
    """The manager PIN is set and was just given (dialogs behind it open at once)."""
    manager.set_pin(replica, "2468")
    pin._unlocked_until = float("inf")
    yield "2468"
    pin.lock()
