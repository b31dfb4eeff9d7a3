"""Migration 0008: the bills of a till written before bills had short numbers get them, in
the order they were finalized, with the prefix the till names its bills by; the count
carries on after them."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path

from pos_loyalty.replica import migrate
from pos_loyalty.replica.db import FILE_NAME
from pos_loyalty.services import bills, cards, open_replica
from support import make_bill


def columns(db: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in db.execute(f'PRAGMA table_info("{table}")')]


def copied_into_0007(source: Path, folder: Path) -> Path:
    """`source`'s rows in a file of schema 0007 (as a till of that version left it), each
    table's rows in the order they were written."""
    folder.mkdir()
    target = folder / FILE_NAME
    migrate.upgrade(target, "0007")
    with closing(sqlite3.connect(source)) as old, closing(sqlite3.connect(target)) as new, new:
        new.execute("PRAGMA foreign_keys = OFF")
        tables = [name for (name,) in new.execute("SELECT name FROM sqlite_master WHERE type = 'table'") if name != "alembic_version"]
        for table in tables:
            shared = [name for name in columns(new, table) if name in columns(old, table)]
            quoted = ", ".join(f'"{name}"' for name in shared)
            new.execute(f'DELETE FROM "{table}"')
            new.executemany(
                f'INSERT INTO "{table}" ({quoted}) VALUES ({", ".join("?" for _ in shared)})',
                old.execute(f'SELECT {quoted} FROM "{table}" ORDER BY rowid'),
            )
    return target


def test_old_bills_are_numbered_in_finalize_order_and_the_count_carries_on(tmp_path):
    working = open_replica(tmp_path / "working")
    card = cards.issue(working, name="Asha Rao", phone="9845012345").card_number
    sold = [bills.finalize(working, card, make_bill((2, f"{100 + n}.00"))).result["billId"] for n in range(4)]
    working.close()
    # Written in one order, finalized (by the clock) in another: the last written was the first sold.
    first_sold = datetime(2026, 11, 1, 9, 0)
    sold_at = {sold[3]: first_sold, sold[0]: first_sold + timedelta(hours=1),
               sold[2]: first_sold + timedelta(hours=2), sold[1]: first_sold + timedelta(hours=3)}
    with closing(sqlite3.connect(tmp_path / "working" / FILE_NAME)) as db, db:
        for bill_id, moment in sold_at.items():
            db.execute("UPDATE bills SET finalized_at = ? WHERE bill_id = ?", (moment.isoformat(" "), bill_id))
        db.execute("INSERT INTO till_settings (key, value) VALUES ('central.device_name', 'Counter 3')")
    old_file = copied_into_0007(tmp_path / "working" / FILE_NAME, tmp_path / "till")
    with closing(sqlite3.connect(old_file)) as db:
        assert "number" not in columns(db, "bills") and db.execute("SELECT count(*) FROM bills").fetchone() == (4,)

    replica = open_replica(tmp_path / "till")  # the new version opens it: 0008 runs
    with closing(sqlite3.connect(old_file)) as db:
        numbered = dict(db.execute("SELECT bill_id, number_prefix || '-' || number FROM bills"))
        assert db.execute("SELECT next_bill_number FROM sync_state").fetchone() == (5,)
    in_order = sorted(sold_at, key=sold_at.get)
    assert [numbered[bill_id] for bill_id in in_order] == ["T3-1", "T3-2", "T3-3", "T3-4"]
    assert [row["billNumber"] for row in bills.recent(replica)] == ["T3-000004", "T3-000003", "T3-000002", "T3-000001"]
    assert bills.finalize(replica, card, make_bill((2, "50.00"))).result["billNumber"] == "T3-000005"
    replica.close()


def test_a_till_with_no_bills_starts_at_one(tmp_path):
    target = tmp_path / "till" / FILE_NAME
    target.parent.mkdir()
    migrate.upgrade(target, "0007")
    replica = open_replica(tmp_path / "till")
    assert bills.finalize(replica, None, make_bill((2, "5.00"))).result["billNumber"] == "T1-000001"
    replica.close()


def test_a_downgrade_takes_the_numbers_away_and_keeps_the_bills(tmp_path):
    replica = open_replica(tmp_path / "till")
    bills.finalize(replica, None, make_bill((2, "5.00")))
    replica.close()
    from alembic import command

    from pos_loyalty.replica.db import make_engine

    engine = make_engine(tmp_path / "till" / FILE_NAME, foreign_keys=False)
    with engine.begin() as connection:
        command.downgrade(migrate.alembic_config(connection), "0007")
    engine.dispose()
    with closing(sqlite3.connect(tmp_path / "till" / FILE_NAME)) as db:
        assert "number" not in columns(db, "bills") and "next_bill_number" not in columns(db, "sync_state")
        assert db.execute("SELECT count(*) FROM bills").fetchone() == (1,)
