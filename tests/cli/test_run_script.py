"""`./run app ARGS` as a new user types it, from their own folder: every path on the command
line is theirs, and the central service's database goes to their data folder by default."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "run"


def run_app(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("POS_LOYALTY_")}
    return subprocess.run(
        [str(RUN), "app", *args], cwd=cwd, capture_output=True, text=True, timeout=180, env={**environment, **(env or {})}
    )


def test_paths_on_the_command_line_are_read_in_the_callers_folder(tmp_path):
    here = tmp_path / "my folder"
    here.mkdir()
    (here / "broken.json").write_text('{"isEnabled": true,')
    done = run_app(here, "--data-dir", "till", "config", "import", "broken.json")
    assert done.returncode == 2 and "broken.json is not valid JSON" in done.stderr, done.stderr

    (here / "part.json").write_text('{"minPointsToRedeem": 50}')
    done = run_app(here, "--data-dir", "till", "config", "import", "part.json")
    assert done.returncode == 0 and "minPointsToRedeem: 100.00 -> 50.00" in done.stdout, done.stderr
    assert (here / "till" / "replica.sqlite3").exists()  # --data-dir is the caller's too

    issued = run_app(here, "--data-dir", "till", "--json", "card", "issue", "--name", "Run Script", "--phone", "9000000990")
    number = json.loads(issued.stdout)["cardNumber"]
    done = run_app(here, "--data-dir", "till", "card", "barcode", number, "--out", "card.png")
    assert done.returncode == 0, done.stderr
    assert (here / "card.png").read_bytes().startswith(b"\x89PNG") and not (ROOT / "card.png").exists()


def test_central_commands_without_db_use_the_users_data_folder_and_say_so(tmp_path):
    env = {"HOME": str(tmp_path / "home"), "XDG_DATA_HOME": str(tmp_path / "data"), "COLUMNS": "250"}
    expected = tmp_path / "data" / "pos-loyalty-central" / "central.sqlite3"
    first, second = tmp_path / "one", tmp_path / "two"
    first.mkdir()
    second.mkdir()
    made = run_app(first, "central", "create-tenant", "--name", "Default Pharmacy", "--json", env=env)
    assert made.returncode == 0, made.stderr
    tenant = json.loads(made.stdout)
    assert tenant["database"] == str(expected) and expected.exists()
    assert not list(first.iterdir()) and not (ROOT / "central.sqlite3").exists()
    assert (expected.parent.stat().st_mode & 0o777) == 0o700

    added = run_app(second, "central", "add-device", "--tenant", str(tenant["tenantId"]), "--name", "Counter 1", env=env)
    assert added.returncode == 0, added.stderr  # the same database, from another folder
    assert f"in {expected}" in added.stdout and not list(second.iterdir())
    helped = run_app(second, "central", "create-tenant", "--help", env=env)
    assert "POS_LOYALTY_CENTRAL_DB" in helped.stdout and "pos-loyalty-central" in helped.stdout
