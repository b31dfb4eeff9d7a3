"""Sync between a till and the central service on loopback, against bare `sqlite3` in the same run.

    .venv/bin/python bench/bench_sync.py [--bills 10000] [--cards 500] [--tenant-cards 1000000]
    .venv/bin/python bench/bench_sync.py --database postgresql [--workers 2] --tenant-cards 0

1. **Drain**: a real till replica (`open_replica`) is connected (`pos-loyalty connect`) to a
   tenant on `pos-loyalty central serve --db URL` (one process on 127.0.0.1; SQLite, or
   with `--database postgresql` a throwaway PostgreSQL cluster, `tests/pgcluster.py`), issues `--cards` cards (some referred, some given points) and syncs once. Then, with
   no daemon running, it finalizes `--bills` bills through `bills.finalize` (1 to 8
   lines, 30 % redeeming what the bill allows, referred cards), so its outbox holds that
   many `bill.finalized` mutations. Timed: the real daemon's rounds (`Syncer.round()`:
   push in batches, then pull) until no mutation is pending. Target: >= 1,000 bills/s on
   SQLite, >= 5,000 bills/s on PostgreSQL. Baseline: the rows those bills make on the
   service (ledger rows, bills, sequence records, the cards' figures, the till's sequence)
   bulk-inserted in one transaction into a copy of the same central database taken before
   the drain: with `sqlite3` executemany and the service's pragmas, or with psycopg's COPY
   (the copy a `CREATE DATABASE ... TEMPLATE`, the service stopped meanwhile).
2. **Bootstrap**: a tenant of `--tenant-cards` cards (loaded straight into the central
   SQLite file, cached: `sync_central.py`); a brand-new till runs `pos-loyalty connect URL
   --token T` (the CLI's own code, in this process) until it holds every card.
   Target: <= 60 s. Reports cards/s and the MB of JSON received. SQLite only.

Prints a table with PASS/FAIL per target; exits 1 if one is missed. Nothing here is a
test: pytest never runs it. Figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "tests")]

from sync_central import Tenant, big_tenant, connect, new_tenant, start_server  # noqa: E402
from pgcluster import Cluster  # noqa: E402

from pos_loyalty import jsonio  # noqa: E402
from pos_loyalty.amounts import parse_money, parse_percent, parse_points  # noqa: E402
from pos_loyalty.replica.db import Replica  # noqa: E402
from pos_loyalty.rules import bill_from_json  # noqa: E402
from pos_loyalty.services import bills, cards, open_replica, outbox, replication  # noqa: E402
from sync import transport  # noqa: E402
from sync.daemon import Syncer  # noqa: E402
from sync.protocol import PUSH_BATCH  # noqa: E402

SEED = 20261121
SCRIPT = Path(sys.executable).with_name("pos-loyalty")
DRAIN_TARGETS = {"sqlite": 1000, "postgresql": 5000}  # bills/s
BOOTSTRAP_TARGET = 60.0  # seconds


# --- the till ------------------------------------------------------------------------------


def connect_till(data_dir: Path, base: str, token: str) -> None:
    """`pos-loyalty connect` as a cashier's manager would run it, in its own process."""
    done = subprocess.run(
        [str(SCRIPT), "connect", base, "--token", token, "--data-dir", str(data_dir)],
        capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"pos-loyalty connect failed: {done.stderr[-2000:]}")


def issue_cards(replica: Replica, count: int, chance: random.Random) -> list[str]:
    """`count` cards from the till's block: 30 % referred, half given 500 to 5,000 points."""
    numbers: list[str] = []
    for index in range(count):
        referrer = chance.choice(numbers) if numbers and chance.random() < 0.3 else None
        card = cards.issue(replica, name=f"Customer {index}", phone=f"+9197{index:08d}", referrer=referrer)
        numbers.append(card.card_number)
        if chance.random() < 0.5:
            cards.adjust(replica, card.card_number, f"{chance.randint(500, 5000)}.00", reason="welcome points")
    return numbers


def finalize_bills(replica: Replica, numbers: list[str], count: int, chance: random.Random) -> None:
    """`count` bills of 1 to 8 lines on random cards; 30 % redeem the most the bill allows."""
    for _ in range(count):
        card = chance.choice(numbers)
        items = [
            {"categoryId": chance.randint(1, 4), "amount": f"{chance.randint(500, 90000) / 100:.2f}"}
            for _ in range(chance.randint(1, 8))
        ]
        redeem = 0
        if chance.random() < 0.3:
            redeem = bills.quote(replica, card, bill_from_json({"items": items})).max_redeemable_points
        bills.finalize(replica, card, bill_from_json({"items": items, "redeemPoints": f"{redeem / 100:.2f}"}))


def pending(replica: Replica) -> list[dict]:
    first = replication.first_unsent(replica)
    if first is None:
        return []
    with replica.reading() as uow:
        return outbox.batch(uow, from_seq=first, limit=10**9)


def unmatched_cards(replica: Replica) -> int:
    """Cards whose shown figures differ from the server's (after a full drain: none should)."""
    with replica.reading() as uow:
        return uow.connection.exec_driver_sql(
            "SELECT COUNT(*) FROM cards WHERE points_balance != synced_balance"
            " OR total_points_earned != synced_earned OR total_points_redeemed != synced_redeemed"
        ).scalar_one()


# --- the wire ------------------------------------------------------------------------------


class MeteredService(transport.CentralService):
    """The till's transport, counting the bytes of every answer and the time spent in calls
    (sending, the service's work, reading and parsing the answer)."""

    received = 0
    calls = 0
    seconds = 0.0

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.session.hooks["response"].append(self._count)

    def _send(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        began = time.perf_counter()
        try:
            return super()._send(*args, **kwargs)
        finally:
            MeteredService.calls += 1
            MeteredService.seconds += time.perf_counter() - began

    @staticmethod
    def _count(reply, *_args, **_kwargs) -> None:  # type: ignore[no-untyped-def]
        MeteredService.received += len(reply.content)

    @classmethod
    def reset(cls) -> None:
        cls.received, cls.calls, cls.seconds = 0, 0, 0.0


# --- drain ---------------------------------------------------------------------------------


@dataclass
class Drain:
    database: str  # sqlite | postgresql
    bills: int
    seconds: float
    rounds: int
    outcomes: dict[str, int]
    bulk_seconds: float
    bulk_rows: int
    finalize_seconds: float
    calls: int  # HTTP requests of the drain
    in_calls: float  # seconds spent in them (the service's work, the wire, parsing the answers)


def drain(
    work: Path, card_count: int, bill_count: int, push_batch: int, cluster: Cluster | None, workers: int | None
) -> Drain:
    """`cluster`: on PostgreSQL (a database of its own in it), else on a SQLite file."""
    chance = random.Random(SEED)
    url = cluster.create_database("sync_drain") if cluster is not None else ""
    tenant = new_tenant(work / "central", "Bench pharmacy", url)
    server = start_server(tenant, workers)
    try:
        connect_till(work / "till", server.base, tenant.token)
        replica = open_replica(work / "till")
        central = transport.CentralService(server.base, tenant.token)
        numbers = issue_cards(replica, card_count, chance)
        Syncer(replica, central).round()
        began = time.perf_counter()
        finalize_bills(replica, numbers, bill_count, chance)
        finalized = time.perf_counter() - began
        queued = pending(replica)
        assert len(queued) == bill_count and all(m["kind"] == "bill.finalized" for m in queued)
        replica.checkpoint()
        if cluster is None:
            copy = str(work / "bulk.sqlite3")
            _backup(tenant.database, Path(copy))
        else:  # a template must have no connections: the service is stopped meanwhile
            server.stop()
            copy = _pg_copy(cluster, "sync_drain", "sync_bulk")
            server = start_server(tenant, workers)

        drainer = MeteredService(server.base, tenant.token)
        MeteredService.reset()
        syncer = Syncer(replica, drainer, push_batch=push_batch)
        outcomes = {"applied": 0, "duplicate": 0, "rejected": 0}
        rounds = 0
        began = time.perf_counter()
        while replication.first_unsent(replica) is not None:
            report = syncer.round()
            rounds += 1
            for outcome, count in report.pushed.items():
                outcomes[outcome] += count
        seconds = time.perf_counter() - began
        calls, in_calls = MeteredService.calls, MeteredService.seconds
        drainer.close()
        mismatched = unmatched_cards(replica)
        central.close()
        replica.close()
    finally:
        server.stop()
    if outcomes["applied"] != bill_count or mismatched:
        raise RuntimeError(f"the drain went wrong: {outcomes}, {mismatched} cards differ from the server")
    bulk_seconds, bulk_rows = (bulk_insert if cluster is None else bulk_copy)(copy, tenant, queued)
    return Drain("sqlite" if cluster is None else "postgresql", bill_count, seconds, rounds, outcomes, bulk_seconds, bulk_rows, finalized, calls, in_calls)


def _backup(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite file (the server keeps it open)."""
    with sqlite3.connect(source) as live, sqlite3.connect(target) as copy:
        live.backup(copy)


def _pg_copy(cluster: Cluster, source: str, target: str) -> str:
    """A copy of the PostgreSQL database `source` (no one connected to it): its URL."""
    import psycopg

    with psycopg.connect(cluster.url("postgres"), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')
    return cluster.url(target)


# --- the baseline: the same rows, bulk-inserted ------------------------------------------

LEDGER_COLUMNS = (
    "tenant_id, card_id, transaction_type, points, balance_after, reference_type, reference_id, bill_amount,"
    " category_id, category_name, point_percentage, referred_card_id, referred_bill_id, description,"
    " performed_by, device_id, created_at"
)
BILL_COLUMNS = "tenant_id, bill_id, card_id, device_id, status, config_version, payable, result_json, created_at"
RECORD_COLUMNS = "tenant_id, device_id, device_seq, mutation_id, kind, status, applied_at"
CARD_UPDATE = (
    "UPDATE cards SET points_balance = ?, total_points_earned = ?, total_points_redeemed = ?,"
    " total_referral_points_earned = ?, last_transaction_at = ?, updated_at = ?, change_seq = change_seq + 1"
    " WHERE id = ?"
)


@dataclass
class Rows:
    ledger: list[tuple]
    bills: list[tuple]
    records: list[tuple]
    cards: list[tuple]

    def __len__(self) -> int:
        return len(self.ledger) + len(self.bills) + len(self.records) + len(self.cards)


def rows_of(cards: list[tuple], tenant: Tenant, mutations: list[dict], now: object) -> Rows:
    """The rows the service writes for these bills, from the cards (id, number, balance,
    earned, redeemed, referral) as they were before them: worked out untimed."""
    figures = {number: [card_id, balance, earned, redeemed, referral] for card_id, number, balance, earned, redeemed, referral in cards}
    ledger, bill_rows, records = [], [], []
    for mutation in mutations:
        payload = mutation["payload"]
        for row in payload["ledger"]:
            card = figures[row["cardNumber"]]
            amount = parse_points(row["points"], "points", minimum=-(10**15))
            card[1] += amount
            card[{"EARNED": 2, "REDEEMED": 3, "REFERRAL_EARNED": 4}[row["transactionType"]]] += abs(amount)
            referred = figures[payload["cardNumber"]][0] if row["transactionType"] == "REFERRAL_EARNED" else None
            ledger.append(
                (tenant.tenant_id, card[0], row["transactionType"], amount, card[1],
                 "REFERRAL" if referred else "BILL", payload["billId"],
                 None if row["billAmount"] is None else parse_money(row["billAmount"], "billAmount"),
                 row["categoryId"], row["categoryName"],
                 None if row["pointPercentage"] is None else parse_percent(row["pointPercentage"], "pct"),
                 referred, payload["billId"] if referred else None, row["description"], "device:Till 1",
                 tenant.device_id, now)
            )  # fmt: skip
        result = payload["result"]
        bill_rows.append(
            (tenant.tenant_id, payload["billId"], figures[payload["cardNumber"]][0], tenant.device_id, "FINALIZED",
             mutation["configVersion"], parse_money(result["payable"], "payable"), jsonio.dumps(result), now)
        )  # fmt: skip
        records.append(
            (tenant.tenant_id, tenant.device_id, mutation["deviceSeq"], mutation["mutationId"], mutation["kind"],
             "applied", now)
        )  # fmt: skip
    return Rows(ledger, bill_rows, records, [(b, e, r, f, now, now, c) for c, b, e, r, f in figures.values()])


_CARDS = (
    "SELECT id, card_number, points_balance, total_points_earned, total_points_redeemed,"
    " total_referral_points_earned FROM cards WHERE tenant_id = ?"
)


def _marks(columns: str) -> str:
    return ", ".join("?" for _ in columns.split(","))


def bulk_insert(database: str, tenant: Tenant, mutations: list[dict]) -> tuple[float, int]:
    """SQLite: the rows the service writes for these bills, into `database` in one
    transaction: (seconds, rows). Prepared untimed (card ids, running balances); timed: the
    inserts, the cards' final figures, the till's sequence, the change counter and the commit.
    """
    connection = connect(Path(database))
    now = "2026-11-21 09:30:00.000000"
    rows = rows_of(connection.execute(_CARDS, (tenant.tenant_id,)).fetchall(), tenant, mutations, now)
    began = time.perf_counter()
    connection.execute("BEGIN IMMEDIATE")
    connection.executemany(f"INSERT INTO point_transactions ({LEDGER_COLUMNS}) VALUES ({_marks(LEDGER_COLUMNS)})", rows.ledger)
    connection.executemany(f"INSERT INTO bills ({BILL_COLUMNS}) VALUES ({_marks(BILL_COLUMNS)})", rows.bills)
    connection.executemany(f"INSERT INTO sync_mutations ({RECORD_COLUMNS}) VALUES ({_marks(RECORD_COLUMNS)})", rows.records)
    connection.executemany(CARD_UPDATE, rows.cards)
    connection.execute(
        "UPDATE devices SET last_applied_seq = ?, last_push_at = ? WHERE id = ?",
        (mutations[-1]["deviceSeq"], now, tenant.device_id),
    )
    connection.execute("UPDATE tenants SET change_seq = change_seq + 1 WHERE id = ?", (tenant.tenant_id,))
    connection.execute("COMMIT")
    seconds = time.perf_counter() - began
    connection.close()
    return seconds, len(rows)


def bulk_copy(url: str, tenant: Tenant, mutations: list[dict]) -> tuple[float, int]:
    """PostgreSQL: the same as `bulk_insert`, with psycopg: COPY for the new rows,
    executemany (pipelined) for the cards' figures, PostgreSQL's default commit."""
    import psycopg

    connection = psycopg.connect(url)
    now = datetime(2026, 11, 21, 9, 30)
    cards = connection.execute(_CARDS.replace("?", "%s"), (tenant.tenant_id,)).fetchall()
    connection.commit()
    rows = rows_of(cards, tenant, mutations, now)
    began = time.perf_counter()
    with connection.cursor() as cursor:
        for table, columns, values in (
            ("point_transactions", LEDGER_COLUMNS, rows.ledger),
            ("bills", BILL_COLUMNS, rows.bills),
            ("sync_mutations", RECORD_COLUMNS, rows.records),
        ):
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
        cursor.executemany(CARD_UPDATE.replace("?", "%s"), rows.cards)
        cursor.execute(
            "UPDATE devices SET last_applied_seq = %s, last_push_at = %s WHERE id = %s",
            (mutations[-1]["deviceSeq"], now, tenant.device_id),
        )
        cursor.execute("UPDATE tenants SET change_seq = change_seq + 1 WHERE id = %s", (tenant.tenant_id,))
    connection.commit()
    seconds = time.perf_counter() - began
    connection.close()
    return seconds, len(rows)


# --- bootstrap -------------------------------------------------------------------------------


@dataclass
class Bootstrap:
    cards: int
    seconds: float
    received: int
    built: float | None


def bootstrap(out: Path, work: Path, count: int) -> Bootstrap:
    tenant, built = big_tenant(out, count)
    server = start_server(tenant)
    data_dir = work / "new-till"
    try:
        from cli.main import main as cli

        MeteredService.reset()
        transport.CentralService = MeteredService  # type: ignore[misc]
        began = time.perf_counter()
        status = cli(["connect", server.base, "--token", tenant.token, "--data-dir", str(data_dir)])
        seconds = time.perf_counter() - began
    finally:
        server.stop()
    if status != 0:
        raise RuntimeError(f"pos-loyalty connect exited {status}")
    with sqlite3.connect(data_dir / "replica.sqlite3") as replica:
        held = replica.execute("SELECT COUNT(*) FROM cards").fetchone()[0]
        unlinked = replica.execute(
            "SELECT COUNT(*) FROM cards WHERE referrer_number IS NOT NULL AND referrer_id IS NULL"
        ).fetchone()[0]
    if held != count or unlinked:
        raise RuntimeError(f"the new till holds {held:,} cards of {count:,}, {unlinked:,} without their referrer")
    return Bootstrap(held, seconds, MeteredService.received, built)


# --- the run -----------------------------------------------------------------------------------


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        model = next(line.split(":", 1)[1].strip() for line in lines if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{model}, {os.cpu_count()} CPUs; {platform.system()} {platform.release()}; Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"


def table(result: Drain | None, boot: Bootstrap | None) -> tuple[str, bool]:
    lines = ["| figure | measured | target | result |", "|---|---:|---|---|"]
    passed = True
    if result is not None:
        rate, bulk = result.bills / result.seconds, result.bills / result.bulk_seconds
        target = DRAIN_TARGETS[result.database]
        ok = rate >= target
        passed &= ok
        name, driver = {"sqlite": ("SQLite", "sqlite3"), "postgresql": ("PostgreSQL", "psycopg COPY")}[result.database]
        lines += [
            f"| drain {result.bills:,} queued bills to the service ({name}) | {rate:,.0f} bills/s ({result.seconds:.1f} s) "
            f"| ≥ {target:,} bills/s | {'PASS' if ok else 'FAIL'} |",
            f"| bulk insert of the same rows ({result.bulk_rows:,}), {driver}, one transaction | {bulk:,.0f} bills/s "
            f"({result.bulk_seconds:.2f} s) | — | |",
            f"| ratio drain ÷ bulk insert | {rate / bulk:.3f} (bulk {bulk / rate:.0f}× faster) | — | |",
        ]
    if boot is not None:
        ok = boot.seconds <= BOOTSTRAP_TARGET
        passed &= ok
        lines.append(
            f"| bootstrap a new till, {boot.cards:,} cards | {boot.seconds:.1f} s ({boot.cards / boot.seconds:,.0f} cards/s, "
            f"{boot.received / 1e6:,.0f} MB) | ≤ {BOOTSTRAP_TARGET:.0f} s | {'PASS' if ok else 'FAIL'} |"
        )
    return "\n".join(lines), passed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cards", type=int, default=500, help="cards the draining till knows")
    parser.add_argument("--bills", type=int, default=10_000, help="bills queued while offline (0: skip)")
    parser.add_argument("--push-batch", type=int, default=PUSH_BATCH, help="mutations per push (the daemon's own)")
    parser.add_argument("--tenant-cards", type=int, default=1_000_000, help="cards of the bootstrap tenant (0: skip)")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite", help="the drain's central database")
    parser.add_argument("--workers", type=int, default=None, help="`central serve --workers` of the drain (default: its own)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out", help="cache and work folder")
    args = parser.parse_args()

    out = args.out.resolve()
    work = out / "sync-run"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    print(machine())
    result = boot = None
    if args.bills:
        cluster = Cluster() if args.database == "postgresql" else None
        try:
            if cluster is not None:
                cluster.start()
            result = drain(work / "drain", args.cards, args.bills, args.push_batch, cluster, args.workers)
        finally:
            if cluster is not None:
                cluster.stop()
        print(
            f"drain: {args.cards} cards, {args.bills:,} bills finalized in {result.finalize_seconds:.1f} s,"
            f" drained in {result.rounds} round(s): {result.outcomes}; {result.calls} requests took"
            f" {result.in_calls:.1f} s of the {result.seconds:.1f} s"
        )
    if args.tenant_cards:
        boot = bootstrap(out, work, args.tenant_cards)
        if boot.built is not None:
            print(f"bootstrap tenant of {args.tenant_cards:,} cards built in {boot.built:.1f} s (cached for next runs)")
    text, passed = table(result, boot)
    print()
    print(text)
    shutil.rmtree(work, ignore_errors=True)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
