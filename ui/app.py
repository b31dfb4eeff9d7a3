"""`pos-loyalty` / `pos-loyalty till [--demo]`: start the counter app on a data folder."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

log = logging.getLogger("pos_loyalty.ui")


class NoScreen(Exception):
    """The counter app needs a display."""


def run(data_dir: Path, operator: str, *, demo: bool = False, quit_after_ms: int | None = None) -> int:
    """Open the replica (a new one gets a working configuration), then the window; its exit code."""
    no_screen = sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM")
    )
    if no_screen:  # Qt would abort the whole process; say it in a sentence instead
        raise NoScreen(
            "There is no screen here (no DISPLAY): start the till on the counter's desktop, "
            "or use the pos-loyalty command line (pos-loyalty --help)."
        )
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from pos_loyalty.services import demo as sample
    from pos_loyalty.services import open_replica, settings
    from ui.main_window import MainWindow
    from ui.style import STYLE_SHEET
    from ui.sync_runner import SyncRunner

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("pos-loyalty")
    app.setStyleSheet(STYLE_SHEET)
    replica = open_replica(data_dir)
    if demo and sample.fill(replica):
        log.info("filled %s with the sample pharmacy", data_dir)
    chosen = settings.read(replica)
    scanners = _scanners(chosen)
    window = MainWindow(
        replica,
        data_dir,
        operator,
        pharmacy=chosen[settings.PHARMACY_NAME],
        currency=chosen[settings.CURRENCY],
        scanners=scanners,
    )
    scanners.start()
    runner = SyncRunner(replica, data_dir)
    runner.synced.connect(window.synced)
    log.info("background sync: %s", runner.start())
    window.show()
    if quit_after_ms is not None:  # a smoke test: start, show, close by itself
        QTimer.singleShot(quit_after_ms, window.close)
    try:
        return app.exec()
    finally:
        scanners.stop()
        runner.stop()
        replica.checkpoint()
        replica.close()


def _scanners(chosen: dict[str, str]):  # type: ignore[no-untyped-def]
    """The keyboard-wedge filter, and the serial scanner if the till has one set up."""
    from devices.qt_scanner import Scanners
    from devices.settings import port_settings

    try:
        port = port_settings(chosen)
    except ValueError as error:
        log.error("the scanner settings are wrong (%s); serial scanner not started", error)
        port = None
    return Scanners(port)
