"""Python's collector of reference cycles, run on the UI thread only.

Python frees cycles on whichever thread happens to allocate when a generation fills up:
a sync round or a finalize on Qt's thread pool (`ui/background.py`) may then free a
closed dialog left in a cycle, and a Qt widget must be destroyed on the thread it lives
on (Qt says "QObject::~QObject: Timers cannot be stopped from another thread", and may
crash). So the automatic collector is switched off, and a timer on the UI thread collects
instead: the oldest generation whose count is past its threshold, as the automatic one
would have (the way pyqtgraph's GarbageCollector does it).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

#: How often the UI thread looks at the collector's counts.
INTERVAL_MS = 500


class UiThreadCollector(QObject):
    """While it runs, cycles are only ever freed on the thread it was made on (the UI's)."""

    def __init__(self, parent: QObject, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.collect_due)
        gc.disable()
        self._timer.start(interval_ms)

    def collect_due(self) -> None:
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > self._thresholds[generation]:
                gc.collect(generation)
                return

    def stop(self) -> None:
        """Give collection back to Python (the app is closing)."""
        self._timer.stop()
        gc.enable()
