"""The PyInstaller bundle: built from pos_loyalty.spec, then the BUILT program smoke-tested
(scripts/build_bundle.py says what it runs: --version, a quote in a new data folder, cards,
barcodes and the printable card, the counter app offscreen and on an X screen closing by
itself, the central service with a till connected and synced)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the bundle is built and checked on Linux")


def test_the_bundle_builds_runs_and_stays_under_250_mb():
    pytest.importorskip("PyInstaller", reason="install the build extra: pip install -e '.[build]'")
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_bundle.py"), "--max-mb", "250"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    print(done.stdout[-4000:])
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    result = json.loads(done.stdout.rsplit("BUNDLE-RESULT ", 1)[1])
    assert result["ok"] is True and result["sizeMB"] <= 250
    assert (ROOT / "dist" / "pos-loyalty" / "pos-loyalty").is_file()
