"""The replica file: migrations make exactly the models' schema, with the pragmas the till needs."""

import sqlite3
import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from pos_loyalty import errors
from pos_loyalty.errors import LoyaltyError
from pos_loyalty.replica import migrate
from pos_loyalty.replica.db import Replica
from pos_loyalty.replica.models import Base
from pos_loyalty.services import open_replica


def test_head_constant_matches_the_newest_migration():
    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert script.get_current_head() == migrate.HEAD


def test_migrations_build_exactly_the_models(replica):
    with replica.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_connections_use_wal_full_sync_foreign_keys_and_a_busy_timeout(replica):
    with replica.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


def test_opening_a_new_file_waits_while_another_process_is_creating_it(data_dir):
    """Two tills' processes opening a fresh data dir at once: the second waits, not fails.

    SQLite does not wait (busy timeout) for the lock that switching a new file to WAL
    needs, so the second opening used to fail at once with "database is locked".
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    other = sqlite3.connect(
        data_dir / "replica.sqlite3", isolation_level=None, check_same_thread=False
    )
    other.execute("BEGIN IMMEDIATE")
    other.execute("CREATE TABLE being_created (x)")
    releasing = threading.Timer(0.3, lambda: other.execute("COMMIT"))
    releasing.start()
    try:
        replica = open_replica(data_dir)
    finally:
        releasing.join()
        other.close()
    with replica.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    replica.close()


def test_a_replica_from_a_newer_version_is_refused_clearly(data_dir):
    open_replica(data_dir).close()
    with sqlite3.connect(data_dir / "replica.sqlite3") as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(LoyaltyError) as caught:
        Replica.open(data_dir)
    assert caught.value.code == errors.REPLICA_TOO_NEW
    assert "newer pos-loyalty" in caught.value.message


def test_a_new_replica_starts_its_device_sequence_at_one(replica):
    with sqlite3.connect(replica.path) as connection:
        assert connection.execute("SELECT next_device_seq, last_applied_seq, pull_cursor FROM sync_state").fetchall() == [(1, 0, "0")]
