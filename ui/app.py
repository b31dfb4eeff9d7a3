"""`pos-loyalty` / `pos-loyalty till [--demo]`: start the counter app on a data folder."""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path
from typing import NoReturn

from pos_loyalty.errors import LoyaltyError

log = logging.getLogger("pos_loyalty.ui")


class NoScreen(Exception):
    """The counter app needs a display."""


class CannotStart(Exception):
    """The counter app will not open on this data folder; the message says why and what to do."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


ALREADY_OPEN = "TILL_ALREADY_OPEN"
#: A benchmark's hook (bench/cold_start.py): the file the app adds one line to once it can
#: take a scan. Unset (as at every counter), the app does nothing of it.
READY_FILE = "POS_LOYALTY_READY_FILE"


def run(
    data_dir: Path, operator: str, *, demo: bool = False, quit_after_ms: int | None = None, customer_display: bool = False
) -> int:
    """Open the replica (a new one gets a working configuration), then the window; its exit code."""
    no_screen = sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM")
    )
    if no_screen:  # Qt would abort the whole process; say it in a sentence instead
        raise NoScreen(
            "There is no screen here (no DISPLAY): start the till on the counter's desktop, "
            "or use the pos-loyalty command line (pos-loyalty --help)."
        )
    gone = _missing_local_display()
    if gone:
        raise NoScreen(
            f"The screen DISPLAY={gone} is not there (no X server answers on it): start the till on the "
            "counter's desktop, or use the pos-loyalty command line (pos-loyalty --help)."
        )
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from pos_loyalty.services import demo as sample
    from pos_loyalty.services import settings
    from ui import messages
    from ui.collector import UiThreadCollector
    from ui.keep_active import keep_active
    from ui.main_window import MainWindow
    from ui.style import STYLE_SHEET
    from ui.sync_runner import SyncRunner

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("pos-loyalty")
    app.setStyleSheet(STYLE_SHEET)
    open_lock = _hold_the_till(data_dir)
    try:
        replica = _open_replica(data_dir)
    except CannotStart:
        open_lock.release()
        raise
    collector = UiThreadCollector(app)  # from here on widgets are only ever freed on this thread
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
        printer=_receipt_printer(chosen),
    )
    crashes = messages.catch_crashes(window)  # from here on a bug is logged and said, not fatal
    scanners.start()
    window.receipt_printer.start()  # checked off the UI thread, then every minute
    runner = SyncRunner(replica, data_dir)
    runner.synced.connect(window.synced)
    log.info("background sync: %s", runner.start())
    window.show()
    keep_active(window)  # shortcuts work on a screen without a window manager too
    window.place_customer_display("on" if customer_display else None)  # None: as the till's setting says
    _say_when_ready(window)
    if quit_after_ms is not None:  # a smoke test: start, show, close by itself
        QTimer.singleShot(quit_after_ms, window.close)
    try:
        return app.exec()
    finally:
        scanners.stop()
        window.receipt_printer.stop()
        runner.stop()
        crashes.uninstall()
        replica.checkpoint()
        replica.close()
        open_lock.release()
        collector.stop()


def _say_when_ready(window) -> None:  # type: ignore[no-untyped-def]
    """With READY_FILE set: once the event loop runs and the window is on the screen, add
    `ready MONOTONIC_NS focused=yes|no` to that file (CLOCK_MONOTONIC is the machine's,
    so another process can subtract its own reading taken before it started this one)."""
    path = os.environ.get(READY_FILE)
    if not path:
        return
    from PySide6.QtCore import QTimer

    def check() -> None:
        handle = window.windowHandle()
        if handle is None or not handle.isExposed():  # an X server maps the window a moment later
            QTimer.singleShot(1, check)
            return
        focused = "yes" if window.focusWidget() is window.checkout.scan else "no"
        try:
            with open(path, "a", encoding="utf-8") as ready:
                ready.write(f"ready {time.monotonic_ns()} focused={focused}\n")
        except OSError as error:
            log.warning("cannot write %s=%s: %s", READY_FILE, path, error)

    QTimer.singleShot(0, check)  # runs on the event loop's first turn


def _missing_local_display() -> str | None:
    """DISPLAY, if it names a local X server whose socket is not there (Qt would abort)."""
    display = os.environ.get("DISPLAY", "")
    platform = os.environ.get("QT_QPA_PLATFORM", "xcb")
    if not sys.platform.startswith("linux") or not display.startswith(":") or not platform.startswith("xcb"):
        return None
    if os.environ.get("WAYLAND_DISPLAY"):
        return None
    number = display[1:].split(".", 1)[0]
    if not number.isdigit() or Path(f"/tmp/.X11-unix/X{number}").exists():
        return None
    return display


def _open_replica(data_dir: Path):  # type: ignore[no-untyped-def]
    """The till's replica, or CannotStart (said on the screen too) when it cannot be used."""
    from pos_loyalty.services import open_replica

    try:
        return open_replica(data_dir)
    except LoyaltyError as error:  # a replica written by a newer version, a bad data folder
        _refuse(CannotStart(error.message, error.code))
    except Exception as error:  # a damaged or unreadable file
        log.exception("cannot open the replica in %s", data_dir)
        _refuse(CannotStart(f"The till's data in {data_dir} cannot be opened ({error}). {RESTORE_HINT}", "REPLICA_UNUSABLE"))


RESTORE_HINT = "Restore the latest backup (pos-loyalty restore FILE), or call support."


def _hold_the_till(data_dir: Path):  # type: ignore[no-untyped-def]
    """The app's lock on the data folder, held while the window is open: one counter app
    per till, and `pos-loyalty restore` knows to wait for it to close."""
    from sync.lock import APP, SyncLock

    data_dir.mkdir(parents=True, exist_ok=True)
    lock = SyncLock(data_dir, APP)
    if not lock.acquire():
        _refuse(
            CannotStart(
                f"The till is already open on {data_dir} (process {lock.holder() or '?'}): use that window.",
                ALREADY_OPEN,
            )
        )
    return lock


def refusal_box(problem: CannotStart):  # type: ignore[no-untyped-def]
    """The message box that says why the till did not open (made, not shown)."""
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(QMessageBox.Icon.Critical, "The till cannot start", str(problem))
    box.setObjectName("cannotStart")
    return box


def _refuse(problem: CannotStart) -> NoReturn:
    """Say it on the screen (someone started the till from its icon and has no terminal),
    then raise it for the command line's error message and exit status."""
    from PySide6.QtGui import QGuiApplication

    log.error("the till cannot start: %s", problem)
    if QGuiApplication.platformName() not in HEADLESS_PLATFORMS:
        refusal_box(problem).exec()
    raise problem


HEADLESS_PLATFORMS = {"offscreen", "minimal"}  # nobody could close a box there


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


def _receipt_printer(chosen: dict[str, str]):  # type: ignore[no-untyped-def]
    """The thermal receipt printer, if the till has one set up (else slips go to CUPS or PDF)."""
    from devices.printer_settings import PrinterSettingsError, printer_settings
    from ui.receipt_printer import ReceiptPrinter

    try:
        settings = printer_settings(chosen)
    except PrinterSettingsError as error:
        log.error("the receipt printer settings are wrong (%s); receipts go to CUPS or PDF", error)
        settings = None
    return ReceiptPrinter(settings)
