"""The counter app refuses to open, in a sentence, on data it must not touch."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

from cli_runs import SCRIPT, ok_json, run
from sync.lock import APP, SyncLock
from ui.app import CannotStart, refusal_box


def till(data_dir):  # type: ignore[no-untyped-def]
    """`pos-loyalty till`, offscreen (tests/ui/conftest.py), closing itself after a second."""
    return run(data_dir, "till", "--quit-after", "1")


def test_a_replica_from_a_newer_version_is_refused_and_left_alone(tmp_path):
    data = tmp_path / "till"
    ok_json(data, "card", "issue", "--name", "Future Customer", "--phone", "9000000501")
    replica = data / "replica.sqlite3"
    with closing(sqlite3.connect(replica)) as db, db:
        db.execute("UPDATE alembic_version SET version_num = '0099_next_year'")
    before = replica.read_bytes()

    opened = till(data)
    assert opened.returncode == 2, opened.stderr
    assert "written by a newer pos-loyalty (schema 0099_next_year)" in opened.stderr
    assert "Traceback" not in opened.stderr
    assert replica.read_bytes() == before


def test_a_second_counter_app_on_the_same_till_is_refused(tmp_path):
    data = tmp_path / "till"
    data.mkdir()
    first = SyncLock(data, APP)  # the lock an open counter app holds
    assert first.acquire()
    try:
        second = till(data)
    finally:
        first.release()
    assert second.returncode == 2
    assert f"The till is already open on {data} (process {os.getpid()})" in second.stderr
    assert till(data).returncode == 0  # once the first one is closed, it opens


def test_the_refusal_is_a_message_box_for_someone_without_a_terminal(qtbot):
    box = refusal_box(CannotStart("This data was written by a newer pos-loyalty (schema 0099).", "REPLICA_TOO_NEW"))
    qtbot.addWidget(box)
    assert box.windowTitle() == "The till cannot start"
    assert box.text() == "This data was written by a newer pos-loyalty (schema 0099)."


def test_no_screen_or_a_screen_that_is_gone_is_a_sentence_not_an_abort(tmp_path):
    import subprocess

    free = next(n for n in range(4000, 4100) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    base = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    for extra, says in (({}, "There is no screen here (no DISPLAY)"), ({"DISPLAY": f":{free}"}, f"DISPLAY=:{free} is not there")):
        done = subprocess.run([str(SCRIPT), "--data-dir", str(tmp_path / "till"), "till"], capture_output=True,
                              text=True, env={**base, **extra}, timeout=60)
        assert done.returncode == 1 and says in done.stderr, done.stderr
        assert "Aborted" not in done.stderr and "Traceback" not in done.stderr
