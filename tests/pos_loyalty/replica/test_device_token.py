"""The till's device token is kept beside the replica, private, and never in it: so never
in a backup. A token an older version kept in the replica moves out when it is opened."""

from __future__ import annotations

import os
import sqlite3
import stat

import pytest

from pos_loyalty.replica import data_dir, migrate
from pos_loyalty.replica.db import FILE_NAME
from pos_loyalty.services import backup, central_link, open_replica, status

TOKEN = "plt_the-current-device-token-0123456789"


def mode(path) -> int:  # type: ignore[no-untyped-def]
    return stat.S_IMODE(os.stat(path).st_mode)


def settings(path) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with sqlite3.connect(path) as connection:
        return dict(connection.execute("SELECT key, value FROM till_settings"))


def test_a_new_data_folder_is_private_and_the_token_file_too(tmp_path):
    replica = open_replica(tmp_path / "new" / "till")
    central_link.remember(replica, "http://central.invalid", TOKEN)
    folder = tmp_path / "new" / "till"
    assert mode(folder) == 0o700
    assert mode(folder / data_dir.TOKEN_FILE) == 0o600
    assert (folder / data_dir.TOKEN_FILE).read_text().strip() == TOKEN
    assert central_link.central(replica).token == TOKEN
    assert "central.token" not in settings(replica.path) and settings(replica.path)["central.url"] == "http://central.invalid"
    assert not [p for p in folder.iterdir() if p.name.endswith(".partial")]  # written whole, then renamed
    replica.close()


def test_a_backup_holds_no_token(tmp_path, replica):
    central_link.remember(replica, "http://central.invalid", TOKEN)
    made = backup.backup(replica, tmp_path / "backup.sqlite3")
    assert TOKEN.encode() not in made.path.read_bytes()
    assert made.to_json()["deviceId"] is None and settings(made.path)["central.url"] == "http://central.invalid"


def test_a_token_file_others_could_read_is_made_private_when_read(replica):
    central_link.remember(replica, "http://central.invalid", TOKEN)
    path = replica.path.parent / data_dir.TOKEN_FILE
    os.chmod(path, 0o644)
    assert central_link.central(replica).token == TOKEN
    assert mode(path) == 0o600


def legacy_replica(folder, *tokens: str):  # type: ignore[no-untyped-def]
    """A replica as version 0004 left it: the token (changed over time) in till_settings."""
    folder.mkdir(parents=True)
    path = folder / FILE_NAME
    migrate.upgrade(path, "0004")
    with sqlite3.connect(path) as connection:
        connection.execute("INSERT INTO till_settings VALUES ('central.url', 'http://central.invalid')")
        for token in tokens:  # every connect replaced the row: old tokens linger in the page's free space
            connection.execute("INSERT OR REPLACE INTO till_settings VALUES ('central.token', ?)", (token,))
            connection.commit()
    return path


def test_an_older_replicas_token_moves_to_the_token_file_and_out_of_every_backup(tmp_path):
    folder = tmp_path / "till"
    path = legacy_replica(folder, "plt_an-older-token-AAAAAAAAAAAA", "plt_another-old-one-BBBBBBBBB", TOKEN)
    replica = open_replica(folder)  # migration 0005
    assert central_link.central(replica).token == TOKEN
    assert mode(folder / data_dir.TOKEN_FILE) == 0o600
    assert "central.token" not in settings(path)
    made = backup.backup(replica, tmp_path / "backup.sqlite3")
    raw = made.path.read_bytes()
    for secret in (b"AAAAAAAAAAAA", b"BBBBBBBBB", TOKEN.encode()):
        assert secret not in raw
    assert status.status(replica)["tokenMissing"] is False
    replica.close()


def test_a_token_file_already_there_is_kept_when_an_older_replica_is_opened(tmp_path):
    folder = tmp_path / "till"
    legacy_replica(folder, "plt_stale-token-from-the-replica")
    data_dir.write_token(folder, TOKEN)  # a newer connect's
    replica = open_replica(folder)
    assert central_link.central(replica).token == TOKEN
    replica.close()


def test_a_till_without_its_token_knows_its_service_but_is_not_connected(tmp_path, replica):
    central_link.remember(replica, "http://central.invalid", TOKEN)
    data_dir.forget_token(replica.path.parent)
    assert central_link.central(replica) is None
    assert central_link.joined(replica).url == "http://central.invalid"
    assert status.status(replica)["tokenMissing"] is True


@pytest.mark.skipif(os.name == "nt", reason="POSIX modes")
def test_an_existing_data_folder_keeps_its_mode(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o750)
    os.chmod(folder, 0o750)
    open_replica(folder).close()
    assert mode(folder) == 0o750
