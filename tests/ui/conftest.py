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
from counter_keys import shown_window  # noqa: E402

_IGNORED = (
    "This plugin does not support",  # offscreen: window decorations, raise/activate
    "propagateSizeHints",
)


@pytest.fixture(scope="session", autouse=True)
def collect_on_the_ui_thread(qapp):
    """As in the app: reference cycles are freed on the UI thread only (`ui/collector.py`)."""
    from ui.collector import UiThreadCollector

    collector = UiThreadCollector(qapp)
    yield collector
    collector.stop()


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


@pytest.fixture(autouse=True)
def default_local():
    """A main window sets ui.style's locale and time zone for the whole process (from its
    replica): each test starts from the default, en_IN and UTC."""
    from pos_loyalty.formatting import Local
    from ui import style

    yield
    style.use(Local())


@pytest.fixture
def window(qtbot, replica, data_dir):  # type: ignore[no-untyped-def]
    return shown_window(qtbot, replica, data_dir)


@pytest.fixture
def customer(replica) -> str:
    """Asha, referred by Bina, with 1,000.00 points (the worked example's card A)."""
    from pos_loyalty.services import cards

    bina = cards.issue(replica, name="Bina", phone="9000000001").card_number
    asha = cards.issue(replica, name="Asha Rao", phone="9845012345", referrer=bina).card_number
    cards.adjust(replica, asha, "1000", reason="opening")
    return asha


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
