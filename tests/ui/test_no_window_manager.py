"""The till on a real X screen with no window manager, as a kiosk counter runs it: keys
typed by the X server's own test extension (xdotool), not by Qt's test functions, so the
keyboard goes where X sends it. Shortcuts must work from the start and after a dialog
closes (F12 finalizes the next bill after the receipt of the first is closed)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cli_runs import SCRIPT
from pos_loyalty.replica.db import FILE_NAME
from ui.app import READY_FILE

ASHA = "9845012345"  # the demo pharmacy's customer, found by her phone


@pytest.fixture
def screen() -> Iterator[str]:
    """A virtual X screen of its own (Xvfb picks a free display and says which)."""
    read, write = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as said:
        number = said.readline().strip()
    assert number.isdigit(), "Xvfb did not start"
    try:
        yield f":{number}"
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=10)


def wait_for(what: str, check: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.05)


def test_shortcuts_work_before_and_after_a_dialog_without_a_window_manager(screen: str, tmp_path: Path):
    data_dir, ready = tmp_path / "till", tmp_path / "ready"
    env = {**os.environ, "DISPLAY": screen, "QT_QPA_PLATFORM": "xcb", READY_FILE: str(ready)}
    till = subprocess.Popen(
        [str(SCRIPT), "--data-dir", str(data_dir), "till", "--demo"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )

    def keys(*args: str) -> None:
        subprocess.run(["xdotool", *args], env=env, check=True, timeout=30)

    def bills() -> int:
        with sqlite3.connect(data_dir / FILE_NAME) as replica:
            return replica.execute("SELECT count(*) FROM bills").fetchone()[0]

    def receipt_open() -> bool:
        found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "^Receipt"], env=env,
                               capture_output=True, text=True, timeout=30)
        return found.returncode == 0

    def sell(amount: str) -> None:
        keys("key", "F2")
        keys("type", "--delay", "20", ASHA)
        keys("key", "Return", "F3")
        keys("type", "--delay", "20", "1")
        keys("key", "Return")
        keys("type", "--delay", "20", amount)
        keys("key", "Return", "F12")

    try:
        wait_for("the till to be ready", lambda: ready.exists() and "focused=yes" in ready.read_text())
        before = bills()  # the demo pharmacy's own
        sell("120")
        wait_for("the first bill", lambda: bills() == before + 1)
        wait_for("its receipt", receipt_open)
        keys("key", "Escape")
        wait_for("the receipt to close", lambda: not receipt_open())
        sell("80")  # the shortcuts again, after the dialog: F2, F3 and F12
        wait_for("the second bill, finalized by F12 after the receipt closed", lambda: bills() == before + 2)
    finally:
        till.terminate()
        try:
            till.wait(timeout=20)
        except subprocess.TimeoutExpired:
            till.kill()
            till.wait()
