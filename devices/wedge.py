"""A keyboard-wedge scanner (USB HID): it types the code, fast, then Enter (or Tab).

`WedgeFilter` is an event filter on the whole application. A printable key is held
back for a moment; keys that follow it faster than a person types are held with it.
If the run of fast keys reaches a terminator and is a card number (`routing.route`), it
was a scan: the keys never reach the focused field and `scanned` fires with the code.
Otherwise (the keys slowed down, as a person's do, or the fast run was not a card)
every held key is delivered, in order, to where it was going: typing is never eaten,
only delayed by a few tens of milliseconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

from devices.routing import route

#: A scanner's keys come a few milliseconds apart; a fast typist's, 60 ms or more.
FAST_MS = 35
#: Shorter runs are a person (or noise); every card number is longer.
MIN_CODE = 6
TERMINATORS = {Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Tab}


class WedgeFilter(QObject):
    scanned = Signal(str)

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        is_code: Callable[[str], bool] = lambda code: route(code).card_number is not None,
        fast_ms: int = FAST_MS,
        min_code: int = MIN_CODE,
    ) -> None:
        super().__init__(parent)
        self.is_code, self.fast_ms, self.min_code = is_code, fast_ms, min_code
        self._held: list[tuple[QObject, QKeyEvent]] = []
        self._last = 0.0
        self._replaying = False
        self._flush = QTimer(self, singleShot=True, interval=fast_ms * 2, timeout=self.release)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if self._replaying or event.type() not in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            return False
        if not watched.isWidgetType():
            return False  # the same key arrives for the window handle too; judge it once
        key_event: QKeyEvent = event  # type: ignore[assignment]
        if event.type() == QEvent.Type.KeyRelease:
            return bool(self._held)  # releases of held keys are not needed by anyone
        now = time.monotonic()
        fast = bool(self._held) and (now - self._last) * 1000 <= self.fast_ms
        self._last = now
        modified = key_event.modifiers() & ~(Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier)
        if key_event.key() in TERMINATORS and not modified:
            code = "".join(held.text() for _target, held in self._held)
            if fast and len(self._held) >= self.min_code and self.is_code(code):
                self._held.clear()
                self._flush.stop()
                self.scanned.emit(code)
                return True
            self.release()
            return False
        text = key_event.text()
        if modified or not text or not text.isprintable():
            self.release()
            return False
        if self._held and not fast:
            self.release()  # a pause: what was held was typed by a person
        self._held.append((watched, QKeyEvent(key_event.type(), key_event.key(), key_event.modifiers(), text)))
        self._flush.start()
        return True

    def release(self) -> None:
        """Deliver every held key to where it was going (they were typed, not scanned)."""
        held, self._held = self._held, []
        self._flush.stop()
        self._replaying = True
        try:
            for target, key in held:
                QApplication.sendEvent(target, key)
                release = QKeyEvent(QEvent.Type.KeyRelease, key.key(), key.modifiers(), key.text())
                QApplication.sendEvent(target, release)
        finally:
            self._replaying = False
