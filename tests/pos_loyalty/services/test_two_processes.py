"""Two tills' processes (the counter app and the sync daemon, say) on one replica file.

Each process is a real OS process (`till_process.py`) that opens the replica with
`open_replica` and waits at a barrier, so their work really overlaps. The replica
takes the write lock before it reads (BEGIN IMMEDIATE) and waits its turn (busy
timeout), so no process may see an error and nothing may be lost or done twice.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from pos_loyalty import jsonio
from pos_loyalty.replica import migrate
from pos_loyalty.replica.db import FILE_NAME
from pos_loyalty.services import cards, open_replica

TILL_PROCESS = Path(__file__).with_name("till_process.py")
OPENING_POINTS = Decimal("100000.00")


def run_processes(folder: Path, plans: list[dict], *, timeout: float = 240) -> list[dict]:
    """Start one process per plan, release them together, return what each one reported.

    Each report is `{"outcomes": [...], "startedAt", "endedAt"}` (see `till_process.py`).
    """
    go = folder / "go"
    started = []
    for index, plan in enumerate(plans):
        plan_file = folder / f"plan-{index}.json"
        result_file = folder / f"result-{index}.json"
        ready = folder / f"ready-{index}"
        plan_file.write_text(jsonio.dumps({**plan, "ready": str(ready), "go": str(go)}))
        process = subprocess.Popen(
            [sys.executable, str(TILL_PROCESS), str(plan_file), str(result_file)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append((process, ready, result_file))
    deadline = time.monotonic() + timeout
    while not all(ready.exists() for _, ready, _ in started):
        for process, _, _ in started:
            if process.poll() is not None:
                break
        else:
            assert time.monotonic() < deadline, "processes never reached the barrier"
            time.sleep(0.01)
            continue
        break
    go.touch()
    reports = []
    for process, _, result_file in started:
        _, stderr = process.communicate(timeout=timeout)
        assert process.returncode == 0, stderr
        reports.append(jsonio.loads(result_file.read_text()))
    return reports


def outcomes_without_errors(reports: list[dict]) -> list[list[dict]]:
    """Each process's outcomes, after checking that no action of any process failed."""
    errors = [
        (index, outcome["action"], outcome["error"])
        for index, report in enumerate(reports)
        for outcome in report["outcomes"]
        if "error" in outcome
    ]
    assert errors == [], f"{len(errors)} actions failed; first: {errors[:1]}"
    return [report["outcomes"] for report in reports]


def assert_overlapped(reports: list[dict]) -> None:
    """Every process started its actions before any of them had finished."""
    started = max(Decimal(r["startedAt"]) for r in reports)
    ended = min(Decimal(r["endedAt"]) for r in reports)
    assert started < ended, "the processes did not run at the same time"


def hundredths(value: object) -> int:
    return int(Decimal(str(value)) * 100)


def ledger_rows(result: dict) -> int:
    """How many ledger rows a finalized bill wrote (its redemption, earnings, referral)."""
    rows = 1 if hundredths(result["pointsRedeemed"]) else 0
    rows += 1 if hundredths(result["referrerPointsEarned"]) else 0
    return rows + sum(1 for e in result["earnBreakdown"] if hundredths(e["points"]))


@pytest.fixture
def shop(replica) -> tuple[list[str], dict[str, str | None]]:
    """Eight cards with 100,000 points each; the last four referred by the first four."""
    numbers: list[str] = []
    referrer_of: dict[str, str | None] = {}
    for index in range(8):
        referrer = numbers[index - 4] if index >= 4 else None
        card = cards.issue(
            replica, name=f"Customer {index}", phone=f"970000000{index}", referrer=referrer
        )
        cards.adjust(replica, card.card_number, OPENING_POINTS, reason="opening balance")
        numbers.append(card.card_number)
        referrer_of[card.card_number] = referrer
    replica.close()  # the processes under test are the only ones using the file
    return numbers, referrer_of


def bill_actions(prefix: str, count: int, numbers: list[str], seed: int) -> list[dict]:
    """Bills on the shared cards (some with redemptions, some without a card) and adjusts.

    Every redemption is 100 points on a bill of at least 100.00, and no card can be
    asked for more than 300 x 100 points, so whatever the interleaving none is refused.
    """
    chance = random.Random(seed)
    actions: list[dict] = []
    for index in range(count):
        number = chance.choice(numbers + [None])
        if index % 10 == 9 and number is not None:
            actions.append({"do": "adjust", "cardNumber": number, "points": Decimal("5.00")})
            continue
        bill: dict = {
            "items": [
                {
                    "categoryId": chance.randint(1, 4),
                    "amount": Decimal(chance.randint(10_000, 200_000)).scaleb(-2),
                }
                for _ in range(chance.randint(1, 4))
            ]
        }
        if number is not None and chance.random() < 0.4:
            bill["redeemPoints"] = Decimal(100)
        actions.append(
            {"do": "finalize", "billId": f"{prefix}-{index:03d}", "cardNumber": number, "bill": bill}
        )
    return actions


def test_two_processes_finalizing_on_one_replica_lose_nothing(
    data_dir: Path, shop, audit, tmp_path: Path
) -> None:
    numbers, referrer_of = shop
    plans = [
        {"dataDir": str(data_dir), "actions": bill_actions(f"P{p}", 150, numbers, seed=p)}
        for p in range(2)
    ]
    reports = run_processes(tmp_path, plans)
    outcomes = outcomes_without_errors(reports)

    check = audit(data_dir / FILE_NAME)
    finalized = [o for process in outcomes for o in process if o["action"]["do"] == "finalize"]
    adjusted = [o for process in outcomes for o in process if o["action"]["do"] == "adjust"]
    assert len(finalized) + len(adjusted) == 300
    assert not any(o["replayed"] for o in finalized)

    # Every bill a process reported is stored exactly once, with the result it reported.
    stored = dict(check.query("SELECT bill_id, result_json FROM bills"))
    assert sorted(stored) == sorted(o["action"]["billId"] for o in finalized)
    for outcome in finalized:
        reported = {key: value for key, value in outcome["result"].items() if key != "billNumber"}
        assert jsonio.loads(stored[outcome["action"]["billId"]]) == reported
    # Each bill got its own short number, the two processes taking turns: 1, 2, 3... no gap, none twice.
    numbers_given = dict(check.query("SELECT bill_id, number FROM bills"))
    assert sorted(numbers_given.values()) == list(range(1, len(finalized) + 1))
    assert {o["result"]["billNumber"] for o in finalized} == {f"T1-{n:06d}" for n in numbers_given.values()}

    # Ledger rows: the eight opening balances, one per adjust, and each bill's own rows.
    expected_rows = 8 + len(adjusted) + sum(ledger_rows(o["result"]) for o in finalized)
    assert check.count("ledger") == expected_rows

    # Balances, totals and balanceAfter agree with the ledger; the outbox is gapless.
    check.check()
    kinds = Counter(kind for _, kind, _ in check.outbox())
    assert kinds == {
        "card.issued": 8,
        "card.adjusted": 8 + len(adjusted),
        "bill.finalized": len(finalized),
    }
    mutation_bills = [p["billId"] for _, kind, p in check.outbox() if kind == "bill.finalized"]
    assert sorted(mutation_bills) == sorted(stored)

    # Each card ends where its opening balance and the reported bills put it.
    expected_balance = {number: hundredths(OPENING_POINTS) for number in numbers}
    for outcome in adjusted:
        expected_balance[outcome["action"]["cardNumber"]] += hundredths(outcome["action"]["points"])
    for outcome in finalized:
        number, result = outcome["action"]["cardNumber"], outcome["result"]
        if number is None:
            continue
        expected_balance[number] += hundredths(result["pointsEarned"])
        expected_balance[number] -= hundredths(result["pointsRedeemed"])
        if referrer_of[number] is not None:
            expected_balance[referrer_of[number]] += hundredths(result["referrerPointsEarned"])
    ids = check.card_ids()
    balances = {number: check.card_figures()[ids[number]].balance for number in numbers}
    assert balances == expected_balance

    # The two processes really ran at the same time.
    assert_overlapped(reports)


def test_two_processes_finalizing_the_same_bills_record_each_once(
    data_dir: Path, shop, audit, tmp_path: Path
) -> None:
    numbers, _ = shop
    actions = [a for a in bill_actions("SAME", 150, numbers, seed=7) if a["do"] == "finalize"]
    reports = run_processes(tmp_path, [{"dataDir": str(data_dir), "actions": actions}] * 2)
    outcomes = outcomes_without_errors(reports)
    assert_overlapped(reports)

    check = audit(data_dir / FILE_NAME)
    first, second = outcomes
    for mine, theirs in zip(first, second):
        assert mine["action"]["billId"] == theirs["action"]["billId"]
        # Both processes got the same receipt, and exactly one of them wrote it.
        assert mine["result"] == theirs["result"]
        assert sorted([mine["replayed"], theirs["replayed"]]) == [False, True]

    bill_ids = [a["billId"] for a in actions]
    assert sorted(b for (b,) in check.query("SELECT bill_id FROM bills")) == sorted(bill_ids)
    assert check.count("ledger") == 8 + sum(ledger_rows(o["result"]) for o in first)
    check.check()
    mutation_bills = [p["billId"] for _, kind, p in check.outbox() if kind == "bill.finalized"]
    assert sorted(mutation_bills) == sorted(bill_ids)


@pytest.mark.parametrize("attempt", range(3))
def test_processes_opening_a_fresh_data_dir_at_once_all_succeed(
    attempt: int, audit, tmp_path: Path
) -> None:
    data_dir = tmp_path / "fresh-till"
    plans = [
        {
            "dataDir": str(data_dir),
            "openAfterBarrier": True,
            "actions": [
                {"do": "issue", "name": f"Customer {p}", "phone": f"960000000{p}"},
                {
                    "do": "finalize",
                    "billId": f"FIRST-{p}",
                    "cardNumber": None,
                    "bill": {"items": [{"categoryId": 1, "amount": Decimal("10.00")}]},
                },
            ],
        }
        for p in range(3)
    ]
    outcomes = outcomes_without_errors(run_processes(tmp_path, plans))
    assert [len(o) for o in outcomes] == [2, 2, 2]

    check = audit(data_dir / FILE_NAME)
    assert check.query("SELECT version_num FROM alembic_version") == [(migrate.HEAD,)]
    # One default configuration and one sequence counter, however many processes raced.
    assert check.count("config_versions") == 1
    assert check.count("sync_state") == 1
    assert check.count("cards") == 3
    assert check.count("bills") == 3
    check.check()
    assert Counter(kind for _, kind, _ in check.outbox()) == {"card.issued": 3, "bill.finalized": 3}
    reopened = open_replica(data_dir)  # and the file opens normally afterwards
    reopened.close()
