"""`central expire` over a million cards with lots on PostgreSQL, against a bare SQL update of the same rows.

    .venv/bin/python bench/bench_expire.py [--cards 1000000] [--repeat 1] [--out bench/out]

1. **The data**: a PostgreSQL cluster started for the run (`tests/pgcluster.py`), the real
   schema (`central.store.migrate.upgrade`), one pharmacy with the sample configuration and
   `pointsExpiryDays` 365. `--cards` cards bulk-loaded with COPY (85 % with rows): one to four
   EARNED rows per card on dates of the last 600 days, a REFERRAL_EARNED row on one card in
   five, a REDEEMED row on two in five (part of what the card held, before any of its lots
   expired), and the EXPIRED rows of a run 180 days before, for what had expired by then.
   The rows go in in time order (the cards' rows interleaved, as a real ledger grows), each
   card's balance and totals the sums of its rows.
2. **The run**: `pos-loyalty central expire --db URL --as-of T` in its own process, as an
   operator runs it (`central.store.expiry.expire_all`), timed from start to exit. Then the
   same command again (it must write nothing), and a check that every balance is still the
   sum of its card's rows.
3. **The baseline**: on a copy of the same data (`CREATE DATABASE ... TEMPLATE`), bare
   psycopg in one transaction: what is due worked out in SQL from the rows (for this data,
   where no lot was ever drawn after it had expired, what is left of the expired lots is the
   expired lots' points less every point taken), then one INSERT ... SELECT of the EXPIRED
   rows and one UPDATE of the cards. Its rows must be the command's rows.

Target (issue 13): the command <= 60 s for 1,000,000 cards. Prints both times, the ratio and
PASS/FAIL; exits 1 on a miss or on a failed check. `--repeat N` times the command and the
baseline N times on fresh copies of the same data. Nothing here is a test: pytest never
runs it. Figures: docs/performance.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from bench_till import machine  # noqa: E402
from central.store import config as configs  # noqa: E402
from central.store.db import Store  # noqa: E402
from central.store.expiry import EXPIRY_PERFORMER  # noqa: E402
from central.store.migrate import upgrade  # noqa: E402
from central.store.tenants import create_tenant  # noqa: E402
from pgcluster import Cluster  # noqa: E402
from pos_loyalty import jsonio  # noqa: E402
from till_replica import card_number, phone  # noqa: E402

SEED = 20261213
SCRIPT = Path(sys.executable).with_name("pos-loyalty")
TARGET = 60.0
DAYS = 365
AS_OF = datetime(2026, 12, 1)
EARLIER_RUN = AS_OF - timedelta(days=180)
ISSUED = AS_OF - timedelta(days=700)


# --- the data -----------------------------------------------------------------------------------


@dataclasses.dataclass
class Loaded:
    cards: int
    rows: int
    with_lots_due: int


def card_rows(index: int, chance: random.Random) -> tuple[list[tuple], int | None]:
    """One card's rows, oldest first: (kind, points, reference type, reference, referred card,
    created_at); and its referrer's id, if any."""
    card_id = index + 1
    if chance.random() >= 0.85:
        return [], None
    times = sorted(AS_OF - timedelta(days=chance.uniform(10, 600)) for _ in range(chance.randint(1, 4)))
    lots = [
        ("EARNED", chance.randrange(100, 50_000), "BILL", f"bill-{card_id}-{n}", None, at) for n, at in enumerate(times)
    ]
    referrer = None
    if card_id > 1 and chance.random() < 0.2:
        referrer = chance.randrange(1, card_id)
        at = AS_OF - timedelta(days=chance.uniform(10, 600))
        lots.append(("REFERRAL_EARNED", chance.randrange(100, 5_000), "REFERRAL", f"bill-{referrer}-r", referrer, at))
        lots.sort(key=lambda row: row[5])
    rows = list(lots)
    first_expiry = lots[0][5] + timedelta(days=DAYS)
    taken = 0
    if chance.random() < 0.4:
        # A redemption an hour after the last lot written before the first lot expired: it
        # takes part of what the card held then, so no expired lot was ever drawn on.
        before = [lot for lot in lots if lot[5] + timedelta(hours=1) < first_expiry]
        held = sum(lot[1] for lot in before)
        taken = chance.randrange(1, max(held * 9 // 10, 2))
        at = before[-1][5] + timedelta(hours=1)
        rows.append(("REDEEMED", -taken, "BILL", f"bill-{card_id}-x", None, at))
    gone = sum(lot[1] for lot in lots if lot[5] + timedelta(days=DAYS) <= EARLIER_RUN) - taken
    if gone > 0:  # what the run of 180 days ago expired
        rows.append(("EXPIRED", -gone, "EXPIRY", EARLIER_RUN.date().isoformat(), None, EARLIER_RUN))
    rows.sort(key=lambda row: row[5])
    return rows, referrer


def due(rows: list[tuple]) -> int:
    """What the run as of AS_OF takes of this data (see the module's docstring)."""
    expired = sum(row[1] for row in rows if row[1] > 0 and row[5] + timedelta(days=DAYS) <= AS_OF)
    return max(expired + sum(row[1] for row in rows if row[1] < 0), 0)


def text(value: object) -> str:
    return "\\N" if value is None else str(value)


def load(url: str, tenant_id: int, count: int, work: Path) -> Loaded:
    """COPY the cards, and the rows through a staging table into `point_transactions` in time
    order. Foreign keys are not checked row by row (`session_replication_role`): the rows are
    made consistent here."""
    import psycopg

    chance = random.Random(SEED)
    cards, rows = (work / "cards.tsv").open("w"), (work / "rows.tsv").open("w")
    written = due_cards = 0
    for index in range(count):
        mine, referrer = card_rows(index, chance)
        balance = earned = redeemed = referral = 0
        for n, (kind, amount, reference_type, reference, referred, at) in enumerate(mine):
            balance += amount
            earned += amount if kind == "EARNED" else 0
            redeemed -= amount if kind == "REDEEMED" else 0
            referral += amount if kind == "REFERRAL_EARNED" else 0
            what = f"Bench {kind.lower()}"
            fields = (index + 1, n, kind, amount, balance, reference_type, reference, referred, what, at)
            rows.write("\t".join(map(text, fields)) + "\n")
        written += len(mine)
        due_cards += due(mine) > 0
        last = mine[-1][5] if mine else None
        cards.write(
            "\t".join(map(text, (index + 1, tenant_id, card_number(index), f"Customer {index}", phone(index), referrer,
                                 balance, earned, redeemed, referral, "t", ISSUED, last, ISSUED, ISSUED, 1)))
            + "\n"
        )  # fmt: skip
    cards.close()
    rows.close()
    with psycopg.connect(url) as connection:
        connection.execute("SET session_replication_role = replica")
        with connection.cursor().copy(
            "COPY cards (id, tenant_id, card_number, customer_name, customer_phone, referrer_card_id, points_balance,"
            " total_points_earned, total_points_redeemed, total_referral_points_earned, is_active, issued_at,"
            " last_transaction_at, created_at, updated_at, change_seq) FROM STDIN"
        ) as copy:
            _send(copy, work / "cards.tsv")
        connection.execute("SELECT setval(pg_get_serial_sequence('cards', 'id'), %s)", (count,))
        connection.execute(
            "CREATE TEMP TABLE staged (card_id bigint, n int, kind text, points bigint, balance_after bigint,"
            " reference_type text, reference_id text, referred_card_id bigint, description text, created_at timestamp)"
        )
        with connection.cursor().copy("COPY staged FROM STDIN") as copy:
            _send(copy, work / "rows.tsv")
        connection.execute(
            "INSERT INTO point_transactions (tenant_id, card_id, transaction_type, points, balance_after,"
            " reference_type, reference_id, category_id, category_name, referred_card_id, description,"
            " performed_by, created_at)"
            " SELECT %s, card_id, kind, points, balance_after, reference_type, reference_id,"
            " CASE WHEN kind = 'EARNED' THEN 1 END, CASE WHEN kind = 'EARNED' THEN 'Medicines' END,"
            " referred_card_id, description, 'bench', created_at FROM staged ORDER BY created_at, card_id, n",
            (tenant_id,),
        )
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM (ANALYZE) cards")
        connection.execute("VACUUM (ANALYZE) point_transactions")
        connection.execute("CHECKPOINT")
    return Loaded(count, written, due_cards)


def _send(copy, path: Path) -> None:  # type: ignore[no-untyped-def]
    with path.open("rb") as source:
        while chunk := source.read(1 << 23):
            copy.write(chunk)
    path.unlink()


def prepare(cluster: Cluster, count: int, work: Path) -> tuple[str, int, Loaded]:
    url = cluster.create_database("expire_source")
    store = Store(url)
    upgrade(store.engine)
    tenant = create_tenant(store, "Bench Pharmacy", sample_config=True)
    store.run(
        lambda unit: configs.save(unit, dataclasses.replace(configs.current(unit), points_expiry_days=DAYS), "bench"),
        write=True,
        tenant_id=tenant.tenant_id,
    )
    store.dispose()
    return url, tenant.tenant_id, load(url, tenant.tenant_id, count, work)


def copy_of(cluster: Cluster, name: str) -> str:
    import psycopg

    with psycopg.connect(cluster.url("postgres"), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}" TEMPLATE expire_source STRATEGY FILE_COPY')
        connection.execute("CHECKPOINT")
    return cluster.url(name)


# --- the command and the baseline ---------------------------------------------------------------


def expire_command(url: str, home: Path) -> tuple[float, dict]:
    """`pos-loyalty central expire` in its own process: seconds from start to exit, and its answer."""
    began = time.perf_counter()
    done = subprocess.run(
        [str(SCRIPT), "central", "expire", "--db", url, "--as-of", AS_OF.isoformat(), "--json"],
        capture_output=True, env={**os.environ, "POS_LOYALTY_HOME": str(home)},
    )  # fmt: skip
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(f"central expire exited {done.returncode}: {done.stderr.decode()[-2000:]}")
    return seconds, jsonio.loads(done.stdout)


DUE_SQL = """
WITH due AS (
    SELECT card_id,
           (SUM(CASE WHEN points > 0 AND created_at + make_interval(days => %(days)s) <= %(as_of)s THEN points ELSE 0 END)
           + SUM(CASE WHEN points < 0 THEN points ELSE 0 END))::bigint AS amount
    FROM point_transactions WHERE tenant_id = %(tenant)s GROUP BY card_id
), written AS (
    INSERT INTO point_transactions (tenant_id, card_id, transaction_type, points, balance_after, reference_type,
                                    reference_id, description, performed_by, created_at)
    SELECT %(tenant)s, c.id, 'EXPIRED', -due.amount, c.points_balance - due.amount, 'EXPIRY', %(day)s,
           (due.amount / 100) || '.' || lpad((due.amount %% 100)::text, 2, '0')
               || ' points older than ' || %(days)s || ' days expired',
           %(performer)s, %(now)s
    FROM due JOIN cards c ON c.id = due.card_id
    WHERE due.amount > 0 AND c.points_balance > 0
    ORDER BY c.id
    RETURNING card_id, points
)
UPDATE cards c
SET points_balance = c.points_balance + written.points,
    last_transaction_at = GREATEST(c.last_transaction_at, %(now)s),
    updated_at = %(now)s,
    change_seq = pg_current_xact_id()::text::bigint
FROM written WHERE c.id = written.card_id
"""


def bare_sql(url: str, tenant_id: int) -> tuple[float, int]:
    """The same EXPIRED rows and balances by plain SQL in one transaction: seconds, cards."""
    import psycopg

    with psycopg.connect(url) as connection:
        began = time.perf_counter()
        cursor = connection.execute(
            DUE_SQL,
            {"tenant": tenant_id, "days": DAYS, "as_of": AS_OF, "day": AS_OF.date().isoformat(),
             "performer": EXPIRY_PERFORMER, "now": datetime.utcnow()},
        )  # fmt: skip
        connection.commit()
        return time.perf_counter() - began, cursor.rowcount


# --- the checks ---------------------------------------------------------------------------------

EXPIRED_NOW = (
    "SELECT card_id, points, balance_after, description FROM point_transactions"
    " WHERE transaction_type = 'EXPIRED' AND reference_id = %s ORDER BY card_id"
)
UNBALANCED = (
    "SELECT count(*) FROM cards c LEFT JOIN (SELECT card_id, sum(points) AS total FROM point_transactions"
    " GROUP BY card_id) t ON t.card_id = c.id WHERE c.points_balance <> coalesce(t.total, 0)"
)


def query(url: str, sql: str, *parameters: object) -> list[tuple]:
    import psycopg

    with psycopg.connect(url) as connection:
        return connection.execute(sql, parameters).fetchall()


def run_once(cluster: Cluster, tenant_id: int, home: Path, round_: int) -> dict:
    """One timed command and one timed baseline on fresh copies, with the checks."""
    url = copy_of(cluster, f"expire_run_{round_}")
    seconds, answer = expire_command(url, home)
    mine = next(t for t in answer["tenants"] if t["tenantId"] == tenant_id)
    day = AS_OF.date().isoformat()
    rows = query(url, EXPIRED_NOW, day)
    again_seconds, again = expire_command(url, home)
    again_mine = next(t for t in again["tenants"] if t["tenantId"] == tenant_id)
    rows_after = query(
        url, "SELECT count(*) FROM point_transactions WHERE transaction_type = 'EXPIRED' AND reference_id = %s", day
    )[0][0]
    (unbalanced,) = query(url, UNBALANCED)[0]
    _drop(cluster, f"expire_run_{round_}")

    base_url = copy_of(cluster, f"expire_base_{round_}")
    bare_seconds, bare_cards = bare_sql(base_url, tenant_id)
    bare_rows = query(base_url, EXPIRED_NOW, day)
    (bare_unbalanced,) = query(base_url, UNBALANCED)[0]
    _drop(cluster, f"expire_base_{round_}")
    return {
        "seconds": seconds,
        "cards": mine["cards"],
        "points": mine["pointsExpired"],
        "again_seconds": again_seconds,
        "again_cards": again_mine["cards"],
        "again_rows_written": rows_after - len(rows),
        "unbalanced": unbalanced,
        "bare_seconds": bare_seconds,
        "bare_cards": bare_cards,
        "same_rows": rows == bare_rows,
        "bare_unbalanced": bare_unbalanced,
    }


def _drop(cluster: Cluster, name: str) -> None:
    import psycopg

    with psycopg.connect(cluster.url("postgres"), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE "{name}"')


# --- the run ------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cards", type=int, default=1_000_000, help="cards in the pharmacy")
    parser.add_argument("--repeat", type=int, default=1, help="time the command and the baseline this many times")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out", help="work folder")
    args = parser.parse_args()
    work = args.out.resolve() / "expire"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    print(machine())
    cluster = Cluster()
    cluster.start()
    passed = True
    try:
        began = time.perf_counter()
        _, tenant_id, loaded = prepare(cluster, args.cards, work)
        print(
            f"{loaded.cards:,} cards, {loaded.rows:,} rows, {loaded.with_lots_due:,} cards with lots due as of"
            f" {AS_OF.date()} (pointsExpiryDays {DAYS}); loaded in {time.perf_counter() - began:.1f} s"
        )
        print()
        print(f"{'round':<7}{'central expire':>15}{'bare SQL':>10}{'ratio':>8}{'cards':>11}{'points':>16}"
              f"{'2nd run':>9}{'checks':>8}")  # fmt: skip
        for round_ in range(1, args.repeat + 1):
            r = run_once(cluster, tenant_id, work / "home", round_)
            checks = (
                r["cards"] == r["bare_cards"] == loaded.with_lots_due
                and r["same_rows"]
                and r["again_cards"] == 0
                and r["again_rows_written"] == 0
                and r["unbalanced"] == 0
                and r["bare_unbalanced"] == 0
            )
            passed &= checks and r["seconds"] <= TARGET
            print(
                f"{round_:<7}{r['seconds']:>14.1f}s{r['bare_seconds']:>9.1f}s{r['seconds'] / r['bare_seconds']:>7.1f}x"
                f"{r['cards']:>11,}{r['points']:>16,}{r['again_seconds']:>8.1f}s{'ok' if checks else 'FAILED':>8}"
            )
            if not checks:
                print(f"  checks failed: {r}")
    finally:
        cluster.stop()
    print()
    print("central expire: the command in its own process, start to exit (Python's start and the")
    print("schema check included); 2nd run: the same command again, which must write nothing.")
    print("checks: the command's EXPIRED rows are the bare SQL's, card for card; a second run wrote")
    print("nothing; every balance is its card's rows' sum.")
    scale = "" if args.cards >= 1_000_000 else f" (this run: {args.cards:,} cards, a quick run)"
    print(f"target: central expire <= {TARGET:.0f} s for 1,000,000 cards{scale}: {'PASS' if passed else 'FAIL'}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
