"""Kill the till in the middle of its work, again and again: the replica stays whole.

Each round starts the real counter app (`crash_till.py`: `pos-loyalty till`, offscreen)
on the same replica; it rings up bills with cards, redemptions and referrers and says
each one it finalized. After a random moment the round SIGKILLs it (mostly while it
finalizes bills, now and then while it is still starting) and reads the file with plain
sqlite3: no half-written bill, no lost one, the invariants of the ledger and the outbox.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest

from pos_loyalty import jsonio
from pos_loyalty.replica.db import FILE_NAME
from pos_loyalty.services import cards
from replica_audit import ReplicaAudit

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SIGKILL and /proc: Linux")

TILL = Path(__file__).with_name("crash_till.py")
OPENING_POINTS = Decimal("1000000")
KILL_AFTER_READY_S = (0.0, 0.5)  # how long a round lets the till work before the kill
STARTING_KILLS = 8  # every 8th round kills the till while it starts, before its window is up


@dataclass
class Tally:
    kills: int = 0
    while_starting: int = 0  # kills before the window was up
    acknowledged: set[str] = field(default_factory=set)
    in_flight: Counter = field(default_factory=Counter)  # a Finalize pressed, not yet told: committed or not


def hundredths(value: object) -> int:
    return int(Decimal(str(value)) * 100)


@pytest.fixture
def shop(replica) -> Path:
    """Eight cards with 1,000,000 points each; the last four referred by the first four."""
    numbers: list[str] = []
    for index in range(8):
        referrer = numbers[index - 4] if index >= 4 else None
        card = cards.issue(replica, name=f"Customer {index}", phone=f"970000000{index}", referrer=referrer)
        cards.adjust(replica, card.card_number, OPENING_POINTS, reason="opening balance")
        numbers.append(card.card_number)
    replica.close()  # from here on only the tills under test write the file
    return replica.path


class Zygote:
    """`crash_till.py --zygote`: forks tills whose Python, Qt and SQLAlchemy are already loaded."""

    def __init__(self) -> None:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        self.process = subprocess.Popen(
            [sys.executable, str(TILL), "--zygote"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
        )

    def _ask(self, line: str) -> str:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        assert answer, "the zygote died"
        return answer.strip()

    def start(self, data_dir: Path, out: Path, seed: int) -> int:
        return int(self._ask(f"{data_dir}\t{out}\t{seed}"))

    def wait(self, pid: int) -> int:
        return int(self._ask(f"wait {pid}"))

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


def running(pid: int) -> bool:
    """Still running (a till that ended is a zombie until the zygote waits for it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def one_round(zygote: Zygote, data_dir: Path, folder: Path, number: int, chance: random.Random, tally: Tally) -> None:
    out = folder / f"till-{number}.out"
    pid = zygote.start(data_dir, out, seed=number)
    try:
        if number % STARTING_KILLS == STARTING_KILLS - 1:
            time.sleep(chance.uniform(0.0, 0.3))
        else:
            deadline = time.monotonic() + 60
            while not (out.exists() and "\nready\n" in "\n" + out.read_text()):
                assert running(pid), f"the till ended by itself:\n{out.read_text()}"
                assert time.monotonic() < deadline, f"the till never got ready:\n{out.read_text()}"
                time.sleep(0.005)
            time.sleep(chance.uniform(*KILL_AFTER_READY_S))
        assert running(pid), f"the till ended by itself:\n{out.read_text()}"
    finally:
        os.kill(pid, signal.SIGKILL)
        status = zygote.wait(pid)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, out.read_text()
    tally.kills += 1

    lines = out.read_text().splitlines()
    assert not [line for line in lines if line.startswith("dialog:")], lines
    if "ready" not in lines:
        tally.while_starting += 1
    pressed = [line.split()[1] for line in lines if line.startswith("finalizing ")]
    told = [line.split()[1] for line in lines if line.startswith("finalized ")]
    assert told == pressed[: len(told)] and len(pressed) - len(told) <= 1  # one Finalize at a time
    tally.acknowledged.update(told)
    audit(data_dir / FILE_NAME, tally, unacknowledged=pressed[len(told):])


def audit(path: Path, tally: Tally, unacknowledged: list[str]) -> None:
    """Open the replica read-only, as it was left, and check everything that must hold."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []

        bills = {
            bill_id: (points_earned, points_redeemed, jsonio.loads(result))
            for bill_id, points_earned, points_redeemed, result in db.execute(
                "SELECT bill_id, points_earned, points_redeemed, result_json FROM bills"
            )
        }
        # A bill the till acknowledged is never lost.
        missing = tally.acknowledged - bills.keys()
        assert not missing, f"{len(missing)} acknowledged bills are not in the replica"
        for bill_id in unacknowledged:  # the kill fell between Finalize and the till saying so
            tally.in_flight["committed" if bill_id in bills else "rolled back"] += 1

        # Each bill has exactly one bill.finalized mutation, and each such mutation its bill.
        mutation_of = {}
        for seq, kind, payload in ReplicaAudit(path).outbox():
            if kind == "bill.finalized":
                assert payload["billId"] not in mutation_of, f"bill {payload['billId']} queued twice"
                mutation_of[payload["billId"]] = (seq, payload)
        assert not bills.keys() - mutation_of.keys(), "bills without their bill.finalized mutation"
        assert not mutation_of.keys() - bills.keys(), "bill.finalized mutations without their bill"

        # Each bill's ledger rows are all there: those its mutation carries, its figures' sums.
        rows_of: dict[int, list[tuple[str, int]]] = {}
        for seq, kind, amount in db.execute("SELECT device_seq, transaction_type, points FROM ledger"):
            rows_of.setdefault(seq, []).append((kind, amount))
        for bill_id, (earned, redeemed, result) in bills.items():
            seq, payload = mutation_of[bill_id]
            rows = sorted(rows_of.get(seq, []))
            carried = sorted((row["transactionType"], hundredths(row["points"])) for row in payload["ledger"])
            assert rows == carried, f"bill {bill_id}: ledger rows and mutation differ"
            assert sum(a for k, a in rows if k == "EARNED") == earned == hundredths(result["pointsEarned"])
            assert -sum(a for k, a in rows if k == "REDEEMED") == redeemed == hundredths(result["pointsRedeemed"])
            referral = sum(a for k, a in rows if k == "REFERRAL_EARNED")
            assert referral in (0, hundredths(result["referrerPointsEarned"]))
            assert result["billId"] == bill_id == payload["result"]["billId"]

        # No bill's row without its bill.
        assert not db.execute(
            "SELECT id FROM ledger WHERE reference_type IN ('BILL', 'REFERRAL') "
            "AND reference_id NOT IN (SELECT bill_id FROM bills)"
        ).fetchall()

    # The outbox runs 1..N with the counter just past it; no ledger row lacks the mutation
    # that carries it; every card's balance and totals are its ledger's sums; each
    # balanceAfter runs on.
    ReplicaAudit(path).check()


def kill_again_and_again(data_dir: Path, folder: Path, rounds: int, seed: int) -> Tally:
    chance, tally = random.Random(seed), Tally()
    zygote = Zygote()
    try:
        for number in range(rounds):
            one_round(zygote, data_dir, folder, number, chance, tally)
    finally:
        zygote.close()
    return tally


def report(tally: Tally, started: float) -> str:
    return (
        f"{tally.kills} kills ({tally.while_starting} while the till started), "
        f"{len(tally.acknowledged)} bills acknowledged and all present; "
        f"killed with a bill in flight: {dict(tally.in_flight)}; {time.monotonic() - started:.1f} s"
    )


def test_killing_the_till_mid_finalize_leaves_the_replica_whole(shop, data_dir, tmp_path):
    started = time.monotonic()
    tally = kill_again_and_again(data_dir, tmp_path, rounds=50, seed=1)
    print(report(tally, started))
    assert tally.kills == 50
    assert len(tally.acknowledged) >= 200  # the tills did work between kills
    assert sum(tally.in_flight.values()) >= 10  # and many kills landed inside a finalize


@pytest.mark.slow
def test_killing_the_till_hundreds_of_times(shop, data_dir, tmp_path):
    started = time.monotonic()
    tally = kill_again_and_again(data_dir, tmp_path, rounds=300, seed=2)
    print(report(tally, started))
    assert tally.kills == 300 and tally.in_flight["committed"] and tally.in_flight["rolled back"]
