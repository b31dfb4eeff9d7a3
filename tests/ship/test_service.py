"""The sync daemon as the systemd unit in contrib/ runs it: the unit itself, and the daemon
started with the unit's command line and environment against a real central service."""

from __future__ import annotations

import configparser
import os
import shlex
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from cli.main import EXIT_USER_ERROR
from cli_runs import SCRIPT, connect_new_pharmacy, ok_json
from support import wait_until
from sync.lock import SyncLock

ROOT = Path(__file__).resolve().parents[2]
CONTRIB = ROOT / "contrib" / "systemd"
UNIT = CONTRIB / "pos-loyalty-sync.service"
BACKUP = CONTRIB / "pos-loyalty-backup.service"


def unit(path: Path = UNIT) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read(path)
    return parser


def service_environment(data_dir: Path, path: Path = UNIT) -> dict[str, str]:
    """The unit's Environment= lines, with its data folder moved to `data_dir`."""
    service = unit(path)["Service"]
    env = dict(line.split("=", 1) for line in shlex.split(service["Environment"]))
    assert env["POS_LOYALTY_HOME"] == f"/var/lib/{service['StateDirectory'].split()[0]}"
    return {**os.environ, **env, "POS_LOYALTY_HOME": str(data_dir)}


def start_as_the_unit_does(data_dir: Path) -> subprocess.Popen:
    """ExecStart= with the bundle's program replaced by the installed console script."""
    program, *args = shlex.split(unit()["Service"]["ExecStart"])
    assert Path(program).name == "pos-loyalty"
    return subprocess.Popen(
        [str(SCRIPT), *args],
        env=service_environment(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_the_unit_starts_at_boot_restarts_on_failure_and_runs_the_daemon():
    parsed = unit()
    service = parsed["Service"]
    assert parsed["Install"]["WantedBy"] == "multi-user.target"
    assert "network-online.target" in parsed["Unit"]["After"]
    assert service["Restart"] == "on-failure"
    assert int(service["RestartSec"]) > 0
    # The daemon's "a person must act" exit (refused token, not connected) is not restarted.
    assert service["RestartPreventExitStatus"] == str(EXIT_USER_ERROR)
    assert shlex.split(service["ExecStart"])[1:] == ["sync"]  # the daemon, not one round
    assert service["KillSignal"] == "SIGTERM"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed (Debian: systemd)")
def test_systemd_accepts_the_units(tmp_path):
    checked = []
    for path in sorted(CONTRIB.iterdir()):
        text = path.read_text().replace("/opt/pos-loyalty/pos-loyalty", str(SCRIPT))
        text = text.replace("User=pos\n", "User=root\n").replace("Group=pos\n", "Group=root\n")
        checked.append(tmp_path / path.name)
        checked[-1].write_text(text)
    assert [p.name for p in checked] == [
        "pos-loyalty-backup.service", "pos-loyalty-backup.timer", "pos-loyalty-sync.service"
    ]
    done = subprocess.run(["systemd-analyze", "verify", *map(str, checked)], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_the_daily_backup_keeps_two_weeks_of_dated_copies(tmp_path):
    timer = unit(CONTRIB / "pos-loyalty-backup.timer")
    assert timer["Timer"]["OnCalendar"] == "daily" and timer["Timer"]["Persistent"] == "true"
    assert timer["Install"]["WantedBy"] == "timers.target"
    service = unit(BACKUP)["Service"]
    program, *args = shlex.split(service["ExecStart"])
    assert Path(program).name == "pos-loyalty" and args[0] == "backup" and args[-2:] == ["--keep", "14"]
    assert service["StateDirectory"].split() == ["pos-loyalty", "pos-loyalty/daily-backups"]

    data = tmp_path / "var-lib-pos-loyalty"
    ok_json(data, "card", "issue", "--name", "Backed Up", "--phone", "9000000602")
    folder = data / "daily-backups"
    folder.mkdir()  # StateDirectory= makes it
    args[1] = str(folder)  # the unit's folder, moved under the test's data folder
    for _ in range(16):
        done = subprocess.run([str(SCRIPT), *args], env=service_environment(data, BACKUP), capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    assert len(list(folder.glob("pos-loyalty-*.sqlite3"))) == 14


@pytest.fixture
def connected_till(sqlite_central, tmp_path):
    data = tmp_path / "var-lib-pos-loyalty"
    connect_new_pharmacy(sqlite_central, data, "Service Pharmacy")
    return data


def pending(data: Path) -> int:
    return ok_json(data, "status")["pendingMutations"]


def test_the_service_waits_its_turn_syncs_logs_and_stops_cleanly(connected_till):
    data = connected_till
    card = ok_json(data, "card", "issue", "--name", "Service Customer", "--phone", "9000000601")["cardNumber"]
    ok_json(data, "bill", "finalize", "--card", card, "--item", "2:100")
    assert pending(data) == 2

    app_sync = SyncLock(data)  # the counter app's own sync has the till
    assert app_sync.acquire()
    daemon = start_as_the_unit_does(data)
    try:
        time.sleep(3)
        assert daemon.poll() is None, daemon.communicate()  # waiting, not exiting (no restart loop)
        assert pending(data) == 2
        app_sync.release()  # the counter app closed

        wait_until(lambda: pending(data) == 0, 60, "the daemon to push the sale")
        ok_json(data, "bill", "finalize", "--card", card, "--item", "2:50")
        wait_until(lambda: pending(data) == 0, 60, "the daemon to push a sale made while it runs")
    finally:
        daemon.send_signal(signal.SIGTERM)
        out, err = daemon.communicate(timeout=30)
    assert daemon.returncode == 0, err
    assert "waiting for it to stop" in err and "Traceback" not in err
    log = (data / "logs" / "pos-loyalty.log").read_text()
    assert "waiting for it to stop" in log and "sync round:" in log


def test_a_refused_token_stops_the_service_for_a_person_to_see(connected_till):
    data = connected_till
    (data / "central-token").write_text("revoked-token\n")  # the token file, beside the replica
    daemon = start_as_the_unit_does(data)
    out, err = daemon.communicate(timeout=60)
    assert daemon.returncode == EXIT_USER_ERROR  # RestartPreventExitStatus: no restart loop
    assert "Traceback" not in err and err.strip()
    assert ok_json(data, "status")["online"] is False
