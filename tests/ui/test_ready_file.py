"""The counter app's ready line for benchmarks (POS_LOYALTY_READY_FILE, bench/cold_start.py)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from cli_runs import SCRIPT
from ui.app import READY_FILE


def start_till(data_dir: Path, ready: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", READY_FILE: str(ready)}
    return subprocess.run(
        [str(SCRIPT), "--data-dir", str(data_dir), "till", "--quit-after", "0.5"],
        capture_output=True, text=True, timeout=120, env=env,
    )


def test_the_till_says_once_when_it_can_take_a_scan(tmp_path):
    ready = tmp_path / "ready"
    before = time.monotonic_ns()
    done = start_till(tmp_path / "till", ready)
    after = time.monotonic_ns()
    assert done.returncode == 0, done.stderr
    [line] = ready.read_text(encoding="utf-8").splitlines()
    word, when, focused = line.split()
    assert word == "ready" and before < int(when) < after  # the machine's clock, comparable across processes
    assert focused == "focused=yes"  # the card field has the focus: a scan goes to it


def test_a_ready_file_that_cannot_be_written_does_not_stop_the_till(tmp_path):
    data_dir = tmp_path / "till"
    done = start_till(data_dir, tmp_path / "no such folder" / "ready")
    assert done.returncode == 0 and "The till was closed." in done.stdout, done.stderr
    assert f"cannot write {READY_FILE}" in (data_dir / "logs" / "pos-loyalty.log").read_text(encoding="utf-8")
