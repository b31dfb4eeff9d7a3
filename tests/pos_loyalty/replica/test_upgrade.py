"""Upgrading a till never loses data: a replica written by an older schema, full of a
pharmacy's cards, ledger, bills and unsent outbox, is opened by this version.

The old file is made the way an older pos-loyalty left it: the old schema built by its
own migrations, holding a working till's rows (the demo pharmacy's two weeks of sales,
a reversal, adjustments, a config change, part of the outbox acknowledged). Opening it
upgrades it in place; every row of the old schema must come through unchanged, and the
till must carry on from where it was.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from pos_loyalty.amounts import points
from pos_loyalty.replica import migrate
from pos_loyalty.replica.db import FILE_NAME
from pos_loyalty.services import bills, cards, configuration, demo, open_replica
from support import make_bill


def older_revisions() -> list[str]:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    return [revision.revision for revision in script.walk_revisions() if revision.revision != migrate.HEAD]


def columns(connection: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')]


def tables(connection: sqlite3.Connection) -> list[str]:
    names = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'alembic_version'")
    return sorted(name for (name,) in names)


def rows(connection: sqlite3.Connection, table: str, names: list[str]) -> list[tuple]:
    quoted = ", ".join(f'"{name}"' for name in names)
    return connection.execute(f'SELECT {quoted} FROM "{table}" ORDER BY {quoted}').fetchall()


@pytest.fixture(scope="module")
def working_till(tmp_path_factory) -> Path:
    """A till after two weeks of sales, as this version writes it."""
    folder = tmp_path_factory.mktemp("working")
    replica = open_replica(folder)
    demo.fill(replica)
    asha = cards.lookup(replica, "9845012345").card_number
    cards.adjust(replica, asha, "25.50", reason="goodwill")
    sold = bills.finalize(replica, asha, make_bill((1, "640.00"), (2, "99.99"), redeem="100"))
    bills.reverse(replica, sold.result["billId"])
    document = configuration.export(replica)
    configuration.save(replica, {**document, "minPointsToRedeem": 50})
    replica.close()
    with sqlite3.connect(folder / FILE_NAME) as connection:  # the server has acknowledged the older half
        (count,) = connection.execute("SELECT count(*) FROM outbox").fetchone()
        connection.execute(
            "UPDATE outbox SET status = 'APPLIED', acked_at = ? WHERE device_seq <= ?",
            (datetime(2026, 11, 1, tzinfo=UTC).replace(tzinfo=None), count // 2),
        )
        connection.execute("UPDATE sync_state SET last_applied_seq = ?", (count // 2,))
    return folder / FILE_NAME


def written_by_older_version(source: Path, folder: Path, revision: str) -> Path:
    """`source`'s rows in a file built by the migrations up to `revision`: the columns
    that schema has, as the older version would have stored them."""
    folder.mkdir()
    target = folder / FILE_NAME
    migrate.upgrade(target, revision)
    with sqlite3.connect(source) as old, sqlite3.connect(target) as new:
        new.execute("PRAGMA foreign_keys = OFF")
        for table in tables(new):
            shared = [name for name in columns(new, table) if name in columns(old, table)]
            new.execute(f'DELETE FROM "{table}"')
            marks = ", ".join("?" for _ in shared)
            quoted = ", ".join(f'"{name}"' for name in shared)
            new.executemany(f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})', rows(old, table, shared))
    return target


@pytest.mark.parametrize("revision", older_revisions())
def test_every_row_of_an_older_replica_survives_the_upgrade(working_till, tmp_path, revision):
    old_file = written_by_older_version(working_till, tmp_path / "till", revision)
    with sqlite3.connect(old_file) as old:
        before = {table: (columns(old, table), rows(old, table, columns(old, table))) for table in tables(old)}
        (pending,) = old.execute("SELECT count(*) FROM outbox WHERE status = 'PENDING'").fetchone()
        (next_seq,) = old.execute("SELECT next_device_seq FROM sync_state").fetchone()
    assert pending > 0 and len(before["cards"][1]) >= 5 and len(before["ledger"][1]) >= 20

    replica = open_replica(tmp_path / "till")  # what the new version does when it starts
    with sqlite3.connect(old_file) as upgraded:
        assert upgraded.execute("SELECT version_num FROM alembic_version").fetchone() == (migrate.HEAD,)
        assert upgraded.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert upgraded.execute("PRAGMA foreign_key_check").fetchall() == []
        for table, (names, old_rows) in before.items():
            assert rows(upgraded, table, names) == old_rows, f"{table} changed in the upgrade"
        referrers = upgraded.execute(
            "SELECT c.referrer_number, r.card_number FROM cards c JOIN cards r ON r.id = c.referrer_id"
        ).fetchall()
        assert referrers and all(number == expected for number, expected in referrers)

    # and the till carries on: the next sale takes the next number in the outbox
    asha = cards.lookup(replica, "9845012345")
    sold = bills.finalize(replica, asha.card_number, make_bill((3, "200.00")))
    assert sold.result["newBalance"] == points(asha.points_balance) + sold.result["pointsEarned"]
    assert points(cards.find(replica, asha.card_number).points_balance) == sold.result["newBalance"]
    with sqlite3.connect(old_file) as upgraded:
        newest = upgraded.execute("SELECT max(device_seq), count(*) FROM outbox WHERE status = 'PENDING'").fetchone()
    assert newest == (next_seq, pending + 1)
    replica.close()
