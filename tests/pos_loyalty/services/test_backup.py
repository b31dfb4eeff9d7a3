"""Backups and restores of a till's replica, on real files (and a real central service at the end)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import time
from contextlib import closing
from decimal import Decimal
from pathlib import Path

import pytest

from pos_loyalty import errors
from pos_loyalty.errors import InvalidInput, LoyaltyError
from pos_loyalty.replica.db import FILE_NAME
from pos_loyalty.services import backup, bills, cards, open_replica
from pos_loyalty.services.central_link import DEVICE_ID, TENANT, URL
from support import dump_replica, make_bill


def sell(replica, card_number: str | None, amount: str = "100.00") -> str:
    return bills.finalize(replica, card_number, make_bill((2, amount))).result["billId"]


def set_settings(path: Path, **values: str) -> None:
    """Write till settings straight into a replica file (as `connect` would have)."""
    with closing(sqlite3.connect(path)) as db, db:
        for key, value in values.items():
            db.execute("INSERT OR REPLACE INTO till_settings (key, value) VALUES (?, ?)", (key, value))


def last_seq(path: Path) -> int:
    with closing(sqlite3.connect(path)) as db:
        return db.execute("SELECT max(device_seq) FROM outbox").fetchone()[0]


def bill_ids(path: Path) -> set[str]:
    with closing(sqlite3.connect(path)) as db:
        return {bill_id for (bill_id,) in db.execute("SELECT bill_id FROM bills")}


@pytest.fixture
def customer(replica) -> str:
    card = cards.issue(replica, name="Backup Customer", phone="9000000301")
    cards.adjust(replica, card.card_number, "500.00", reason="opening balance")
    return card.card_number


# --- backup ----------------------------------------------------------------------------------

SELLER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from pos_loyalty.services import bills, open_replica
    from support import make_bill

    replica = open_replica(Path(sys.argv[1]))
    stop = Path(sys.argv[2])
    sold = 0
    while not stop.exists():
        bills.finalize(replica, sys.argv[3], make_bill((1, "10.00"), (2, "25.50")))
        sold += 1
    replica.close()
    print(sold)
    """
)


def test_a_backup_taken_while_a_till_sells_is_whole_and_consistent(replica, customer, data_dir, tmp_path, audit):
    stop = tmp_path / "stop"
    seller = subprocess.Popen(
        [sys.executable, "-c", SELLER, str(data_dir), str(stop), customer],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"PYTHONPATH": str(Path(__file__).parents[2])},  # tests/ for `support`
    )
    taken = []
    try:
        while len(taken) < 6:
            time.sleep(0.15)
            assert seller.poll() is None, seller.stderr.read()
            taken.append(backup.backup(replica, tmp_path / f"backup-{len(taken)}.sqlite3"))
    finally:
        stop.touch()
        out, err = seller.communicate(timeout=60)
    assert seller.returncode == 0, err
    assert int(out) > 0

    counts = [copy.bills for copy in taken]
    assert counts == sorted(counts) and counts[-1] > counts[0], counts  # the sales went on meanwhile
    for copy in taken:
        assert not Path(f"{copy.path}-wal").exists()  # one self-contained file
        with closing(sqlite3.connect(copy.path)) as db:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        audit(copy.path).check()  # balances = ledger sums, outbox gapless, every bill's rows there
        assert copy.pending == copy.bills + 2  # the card's issue and opening adjustment, then one per bill


def test_a_backup_into_a_folder_gets_a_dated_file_and_never_replaces_the_replica(replica, customer, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    made = backup.backup(replica, folder)
    assert made.path.parent == folder and made.path.name.startswith("pos-loyalty-20")
    assert made.cards == 1 and made.tenant_id is None

    before = dump_replica(replica)
    for target in (replica.path, Path(f"{replica.path}-wal")):
        with pytest.raises(InvalidInput, match="another file than the replica"):
            backup.backup(replica, target)
    assert dump_replica(replica) == before


def test_backups_into_a_folder_keep_the_newest_and_never_overwrite_each_other(replica, customer, tmp_path):
    folder = tmp_path / "daily"
    folder.mkdir()
    (folder / "notes.txt").write_text("the pharmacist's own file")
    made = []
    for amount in ("10.00", "20.00", "30.00", "40.00"):  # several in one second
        sell(replica, customer, amount)
        made.append(backup.backup(replica, folder, keep=2))
    assert len({copy.path for copy in made}) == 4  # none overwrote another
    kept = sorted(p.name for p in folder.glob("pos-loyalty-*.sqlite3"))
    assert sorted(p.name for p in (made[2].path, made[3].path)) == kept  # the two newest
    assert made[3].bills == 4 and (folder / "notes.txt").exists()  # nothing else touched

    for wrong in ({"target": tmp_path / "one.sqlite3", "keep": 2}, {"target": folder, "keep": 0}):
        with pytest.raises(InvalidInput, match="--keep"):
            backup.backup(replica, wrong["target"], keep=wrong["keep"])


def test_a_backup_that_cannot_be_written_says_why_and_leaves_nothing_behind(replica, customer, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    for target in (tmp_path / "missing" / "b.sqlite3", blocker / "b.sqlite3"):
        with pytest.raises(InvalidInput, match="Cannot write"):
            backup.backup(replica, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "till"]

    good = tmp_path / "good.sqlite3"
    backup.backup(replica, good)
    before = good.read_bytes()
    with pytest.raises(InvalidInput):
        backup.backup(replica, good / "x")  # a failed backup leaves the earlier one as it was
    assert good.read_bytes() == before


# --- restore ---------------------------------------------------------------------------------


def test_a_restore_brings_back_the_backup_and_keeps_the_replica_as_it_was(replica, customer, data_dir, tmp_path):
    first = sell(replica, customer)
    saved = backup.backup(replica, tmp_path / "saved.sqlite3")
    later = sell(replica, customer, "200.00")

    # The later sale was never sent: the restore will not lose it silently.
    before = dump_replica(replica)
    with pytest.raises(InvalidInput, match=r"not yet sent.*\(sales, cards\.\.\.: 1\)") as refused:
        backup.restore(data_dir, saved.path)
    assert refused.value.details["unsent"] == 1
    assert dump_replica(replica) == before

    done = backup.restore(data_dir, saved.path, discard_newer=True)
    assert done.discarded == 1
    assert bill_ids(replica.path) == {first}  # the open replica sees the restored contents
    assert bill_ids(done.safety_copy) == {first, later}  # and the copy kept what was dropped
    assert cards.find(replica, customer).points_balance == 50_300  # hundredths: 500 + 3 % of the first bill
    # The next sale is numbered after every change a central service acknowledged (none
    # here: the dropped sale's number was never sent, so the next sale takes it).
    sell(replica, customer, "50.00")
    assert last_seq(replica.path) == last_seq(done.safety_copy) == last_seq(saved.path) + 1


def test_a_restore_with_everything_unsent_in_the_backup_needs_no_flag(replica, customer, data_dir, tmp_path):
    sell(replica, customer)
    saved = backup.backup(replica, tmp_path / "saved.sqlite3")
    done = backup.restore(data_dir, saved.path)
    assert done.discarded == 0 and done.restored.pending == saved.pending


def corrupt(path: Path) -> None:
    data = bytearray(path.read_bytes())
    page = 4096
    data[page * 2 : page * 2 + 512] = b"\xa5" * 512  # a b-tree page of a table scribbled over
    path.write_bytes(bytes(data))


REFUSALS = {
    "not SQLite": (lambda p: p.write_text("cards, bills and dreams\n"), "not an SQLite database"),
    "another database": (lambda p: other_database(p), "not a pos-loyalty till's replica"),
    "damaged": (corrupt, "damaged"),
    "newer": (lambda p: set_version(p, "9999_from_the_future"), "newer pos-loyalty"),
    "another pharmacy": (lambda p: set_settings(p, **{TENANT: "7", DEVICE_ID: "3", URL: "http://c"}), "another pharmacy"),
    "another till": (lambda p: set_settings(p, **{TENANT: "1", DEVICE_ID: "9", URL: "http://c"}), "another till"),
    "before connecting": (lambda p: None, "before this till was connected"),
    "missing": (lambda p: p.unlink(), "No file"),
}


def other_database(path: Path) -> None:
    path.unlink()
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE prescriptions (id INTEGER PRIMARY KEY, drug TEXT)")


def set_version(path: Path, revision: str) -> None:
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("UPDATE alembic_version SET version_num = ?", (revision,))


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_a_restore_refuses_what_is_not_this_tills_backup_and_changes_nothing(case, replica, customer, data_dir, tmp_path):
    sell(replica, customer)
    candidate = backup.backup(replica, tmp_path / "candidate.sqlite3").path
    spoil, says = REFUSALS[case]
    spoil(candidate)
    set_settings(replica.path, **{TENANT: "1", DEVICE_ID: "3", URL: "http://c"})  # this till: connected
    before = dump_replica(replica)

    with pytest.raises(LoyaltyError, match=says) as refused:
        backup.restore(data_dir, candidate, discard_newer=True)
    if case == "newer":
        assert refused.value.code == errors.REPLICA_TOO_NEW
    else:
        assert refused.value.code == errors.INVALID_INPUT
    assert dump_replica(replica) == before
    assert not (data_dir / backup.BACKUPS).exists()  # refused before anything was copied
    assert sorted(p.name for p in data_dir.iterdir() if p.name.startswith(".")) == []


def test_a_restore_into_an_empty_folder_or_over_a_damaged_replica(replica, customer, data_dir, tmp_path, audit):
    sell(replica, customer)
    saved = backup.backup(replica, tmp_path / "saved.sqlite3")
    wanted = dump_replica(replica)
    replica.close()

    fresh = tmp_path / "new-till"
    done = backup.restore(fresh, saved.path)
    assert done.safety_copy is None
    audit(fresh / FILE_NAME).check()
    again = open_replica(fresh)
    assert dump_replica(again) == wanted
    again.close()

    live = data_dir / FILE_NAME
    live.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)  # the disk scribbled over it
    done = backup.restore(data_dir, saved.path)
    assert done.safety_copy.name.startswith("damaged-") and (done.safety_copy / FILE_NAME).exists()
    reopened = open_replica(data_dir)
    assert dump_replica(reopened) == wanted
    sell(reopened, customer)
    assert last_seq(reopened.path) == saved.next_device_seq
    reopened.close()


# --- with the central service --------------------------------------------------------------


def test_a_restored_till_resends_nothing_twice_and_loses_nothing(sqlite_central, tmp_path):
    from central_harness import Client, body
    from cli_runs import connect_new_pharmacy, ok_json

    till = tmp_path / "till"
    tenant, _device = connect_new_pharmacy(sqlite_central, till, "Backup Pharmacy")
    server, _store = sqlite_central
    card = ok_json(till, "card", "issue", "--name", "Restored Customer", "--phone", "9000000311")["cardNumber"]
    ok_json(till, "bill", "finalize", "--card", card, "--item", "2:1000")
    ok_json(till, "sync", "--once")

    ok_json(till, "backup", str(tmp_path / "monday.sqlite3"))
    ok_json(till, "bill", "finalize", "--card", card, "--item", "2:500")  # sold and sent after the backup
    ok_json(till, "sync", "--once")

    restored = ok_json(till, "restore", str(tmp_path / "monday.sqlite3"))
    assert restored["discarded"] == 0 and restored["bills"] == 1
    sold = ok_json(till, "bill", "finalize", "--card", card, "--item", "2:200")
    report = ok_json(till, "sync", "--once")
    assert report["pushed"]["rejected"] == 0
    assert ok_json(till, "status")["pendingMutations"] == 0

    admin = Client(server.base, tenant.admin_token)
    remote = body(admin.get(f"/api/v1/cards/by-number/{card}"))
    history = body(admin.get(f"/api/v1/cards/{remote['id']}/transactions?size=100"))
    rows = history["content"]
    bills_on_server = sorted(row["referenceId"] for row in rows if row["transactionType"] == "EARNED")
    assert len(bills_on_server) == 3 and sold["billId"] in bills_on_server  # the new sale applied, none twice
    # 3 % of 1,000 + 500 + 200 on the server; the till reads the same once it has pulled.
    assert remote["pointsBalance"] == Decimal("51.00")
    assert ok_json(till, "card", "show", card)["pointsBalance"] == Decimal("51.00")
