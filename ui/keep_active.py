"""The till's keyboard after a dialog closes, on a screen without a window manager.

A counter PC may run the till alone on X with no window manager (a kiosk session). There
nothing makes a window active as it is shown, and when a dialog closes the X server gives
the keyboard to nobody: Qt then has no active window, so typed text still reaches the
field with the focus but no shortcut fires (F12 to finalize, F2 to scan) until the
cashier clicks the window. A window manager does both itself; `keep_active` does the same
where nothing else does, and never takes the keyboard back from another program: only when
the window that had it has just closed.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QWindow
from PySide6.QtWidgets import QApplication, QWidget


class _KeepActive(QObject):
    """Watches each window that takes the keyboard (a dialog, say); when it hides and no
    window has the keyboard, the dialog still open or else the till's window is made
    active. (Qt says nothing when a focused window is destroyed: its hiding is the sign.)"""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        QGuiApplication.instance().focusWindowChanged.connect(self._focus_moved)

    def _focus_moved(self, now: QWindow | None) -> None:
        if now is not None:
            now.visibleChanged.connect(self._shown_or_hidden, Qt.ConnectionType.UniqueConnection)

    def _shown_or_hidden(self, visible: bool) -> None:
        if not visible:
            QTimer.singleShot(0, self._activate)  # once the window's own closing is done

    def _activate(self) -> None:
        focused = QGuiApplication.focusWindow()
        if (focused is not None and focused.isVisible()) or not self._window.isVisible():
            return  # a window has the keyboard (a window manager gave it back), or the till is closing
        (QApplication.activeModalWidget() or self._window).activateWindow()


def keep_active(window: QWidget) -> None:
    """Make `window` active now, and again (or the dialog still open over it) whenever the
    window that had the keyboard closes and leaves it to nobody."""
    window.activateWindow()
    _KeepActive(window)
