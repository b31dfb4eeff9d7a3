"""`pos-loyalty backup` and `pos-loyalty restore` as the person looking after a till runs them."""

from __future__ import annotations

import json

from cli_runs import ok_json, run
from sync.lock import APP, SyncLock


def test_backup_and_restore_from_the_command_line(tmp_path):
    till = tmp_path / "till"
    card = ok_json(till, "card", "issue", "--name", "Ravi Kumar", "--phone", "9000000401")["cardNumber"]
    ok_json(till, "bill", "finalize", "--card", card, "--item", "2:100")

    done = run(till, "backup", str(tmp_path))  # a folder: a dated file in it
    assert done.returncode == 0, done.stderr
    assert "Backed up to" in done.stdout and "1 card, 1 bill, 2 changes not yet sent" in done.stdout
    assert "Backing up" in done.stderr  # the progress line
    (saved,) = tmp_path.glob("pos-loyalty-*.sqlite3")

    ok_json(till, "bill", "finalize", "--card", card, "--item", "2:300")
    refused = run(till, "restore", str(saved), "--json")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    error = json.loads(refused.stderr.splitlines()[-1])["error"]
    assert error["code"] == "INVALID_INPUT" and "--discard-newer" in error["message"]
    assert ok_json(till, "status")["bills"] == 2  # nothing changed

    restored = ok_json(till, "restore", str(saved), "--discard-newer")
    assert (restored["bills"], restored["discarded"]) == (1, 1)
    assert restored["safetyCopy"].startswith(str(till / "backups"))
    assert ok_json(till, "card", "show", card)["pointsBalance"] == 3


def test_restore_waits_for_the_counter_app_and_refuses_what_is_no_replica(tmp_path):
    till = tmp_path / "till"
    ok_json(till, "card", "issue", "--name", "Meena Iyer", "--phone", "9000000402")
    ok_json(till, "backup", str(tmp_path / "b.sqlite3"))

    app = SyncLock(till, APP)  # as the open counter app holds it
    assert app.acquire()
    try:
        busy = run(till, "restore", str(tmp_path / "b.sqlite3"))
    finally:
        app.release()
    assert busy.returncode == 2
    assert "The counter app is using this till" in busy.stderr and "Traceback" not in busy.stderr

    (tmp_path / "notes.txt").write_text("not a backup")
    for wrong, says in ((tmp_path / "notes.txt", "not an SQLite database"), (tmp_path / "gone.sqlite3", "No file")):
        done = run(till, "restore", str(wrong))
        assert done.returncode == 2 and says in done.stderr and "Traceback" not in done.stderr
    assert run(till, "restore", str(tmp_path / "b.sqlite3")).returncode == 0
