"""The scanners, as the counter app sees them: one Qt signal for every card scanned.

A serial scanner (if the till has one set up) is read on its own thread; its codes
and its state (connected, unplugged) arrive here as queued signals. A keyboard-wedge
scanner is recognised by `WedgeFilter` on the whole application.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication

from devices.serial_scanner import PortSettings, SerialScanner
from devices.wedge import WedgeFilter


class Scanners(QObject):
    scanned = Signal(str)  # any code from any scanner (the app routes it)
    status = Signal(str)  # the serial scanner's state, for the status bar

    def __init__(self, port: PortSettings | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.wedge = WedgeFilter(self)
        self.wedge.scanned.connect(self.scanned)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self.wedge)
        self.serial = SerialScanner(port, self.scanned.emit, self.status.emit) if port is not None else None

    def start(self) -> None:
        """Start reading the serial scanner: call once `status` is connected, or its first
        state (connected, or why not) is missed."""
        if self.serial is not None:
            self.serial.start()

    def stop(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.wedge)
        if self.serial is not None:
            self.serial.stop()
