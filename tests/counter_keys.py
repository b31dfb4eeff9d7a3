"""Driving the counter app in tests as a cashier does: the next modal dialog, a scan, a line, a shortcut."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from ui.main_window import MainWindow


def answer_dialog(respond: Callable[[QWidget], None]) -> None:
    """Call `respond` with the next modal dialog, once it is open and its keyboard focus is
    in it, as a cashier would start typing (on a loaded machine the focus comes a few
    events after the dialog; a dialog with nothing to focus is answered after 2 s)."""
    waited = [0]

    def check() -> None:
        dialog = QApplication.activeModalWidget()
        focus = QApplication.focusWidget()
        ready = dialog is not None and (focus is not None and (focus is dialog or dialog.isAncestorOf(focus)))
        if dialog is not None and (ready or waited[0] >= 2000):
            respond(dialog)
        else:
            waited[0] += 20 if dialog is not None else 0
            QTimer.singleShot(20, check)

    QTimer.singleShot(0, check)


def scan(qtbot, window, text: str) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClicks(window.checkout.scan, text)
    qtbot.keyClick(window.checkout.scan, Qt.Key.Key_Return)


def ring_up(qtbot, window, category: str, amount: str) -> None:  # type: ignore[no-untyped-def]
    entry = window.checkout.entry
    qtbot.keyClicks(entry.category, category)
    qtbot.keyClick(entry.category, Qt.Key.Key_Return)
    qtbot.keyClicks(entry.amount, amount)
    qtbot.keyClick(entry.amount, Qt.Key.Key_Return)


def press(window, key: str) -> None:  # type: ignore[no-untyped-def]
    """A shortcut, as the window's action for it (offscreen windows are never 'active')."""
    action = next(a for a in window.actions() if a.shortcut().toString() == key)
    action.trigger()


def shown_window(qtbot, replica, data_dir, **options):  # type: ignore[no-untyped-def]
    """The till's main window on `replica`, shown offscreen and exposed."""
    shown = MainWindow(replica, data_dir, "cashier-1", pharmacy="Test Pharmacy", **options)
    qtbot.addWidget(shown)
    shown.show()
    qtbot.waitExposed(shown)
    return shown
