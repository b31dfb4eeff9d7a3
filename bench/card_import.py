"""A million cards imported from CSV, on the central service (PostgreSQL) and at a till, against
bare bulk inserts of the same rows in the same run.

    .venv/bin/python bench/card_import.py [--cards 1000000] [--out bench/out] [--only central|till]

1. **The file**: `--cards` rows as an older billing system exports them: a byte-order mark,
   semicolons, CRLF; phones in Indian formats (`+91 90000 00001`, `090000-00002`,
   `9000000003`); 60 % with an opening balance, 30 % referred by another row of the file
   (earlier or later), 10 % without a card number (numbered by the importer), 40 % with
   an email, 90 % with a customer id.
2. **Central**: `pos-loyalty central serve` on a PostgreSQL cluster started for the run
   (as `tests/pgcluster.py` starts one); the file POSTed to `/api/v1/cards/import` with
   the pharmacy's admin token, timed from the first byte sent to the answer. Then
   `GET /api/v1/cards/export`. Baseline: bare psycopg, one transaction, COPY of the same
   cards and opening-balance rows (read back from the import) into a fresh database of
   the same schema.
3. **Till**: `pos-loyalty card import FILE` (its own process, as a manager runs it) on a
   till's data folder that was never connected, then `card export --out`. Baseline: bare
   `sqlite3`, one transaction with the replica's pragmas, inserting the same cards,
   outbox rows and ledger rows (read back from the import) into a fresh replica.

Targets (issue 15): the import <= 60 s on PostgreSQL and <= 90 s at a till. Exits 1 if
one is missed. Nothing here is a test: pytest never runs it. Figures: docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

import requests  # noqa: E402

from bench_till import machine  # noqa: E402
from central.store.db import Store  # noqa: E402
from central.store.migrate import upgrade  # noqa: E402
from central.store.tenants import create_tenant  # noqa: E402
from pgcluster import Cluster, free_port  # noqa: E402
from pos_loyalty import cardnumber, jsonio  # noqa: E402
from pos_loyalty.services import open_replica  # noqa: E402
from till_replica import bare_connection  # noqa: E402

SEED = 20261203
SCRIPT = Path(sys.executable).with_name("pos-loyalty")
CENTRAL_TARGET, TILL_TARGET = 60.0, 90.0


# --- the file ----------------------------------------------------------------------------------


def pre_printed(index: int) -> str:
    body = f"40{index:010d}"
    return body + cardnumber.check_digit(body)


def phone(index: int) -> str:
    digits = f"{9_000_000_000 + index}"
    return (f"+91 {digits[:5]} {digits[5:]}", f"0{digits[:5]}-{digits[5:]}", digits)[index % 3]


def write_file(path: Path, count: int) -> None:
    chance = random.Random(SEED)
    numbered = [chance.random() >= 0.1 for _ in range(count)]
    with_number = [index for index, has in enumerate(numbered) if has]
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        out.write("cardNumber;customerName;customerPhone;customerEmail;customerId;points;referrerCardNumber\r\n")
        for index in range(count):
            referrer = ""
            if chance.random() < 0.3:
                other = chance.choice(with_number)
                if other != index:
                    referrer = pre_printed(other)
            balance = f"{chance.randrange(1, 500_000) / 100:.2f}" if chance.random() < 0.6 else ""
            email = f"customer{index}@example.in" if chance.random() < 0.4 else ""
            customer_id = f"LEGACY-{index}" if chance.random() < 0.9 else ""
            number = pre_printed(index) if numbered[index] else ""
            out.write(f"{number};Customer {index};{phone(index)};{email};{customer_id};{balance};{referrer}\r\n")


# --- central ------------------------------------------------------------------------------------


def central(cluster: Cluster, file: Path, work: Path) -> dict[str, float]:
    url = cluster.create_database("import_bench")
    store = Store(url)
    upgrade(store.engine)
    tenant = create_tenant(store, "Bench Pharmacy", sample_config=True)
    store.dispose()
    port = free_port()
    log = (work / "serve.log").open("wb")
    server = subprocess.Popen(
        [str(SCRIPT), "central", "serve", "--db", url, "--port", str(port)], stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "POS_LOYALTY_HOME": str(work / "home")},
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base)
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {tenant.admin_token}"
        data = file.read_bytes()
        began = time.perf_counter()
        answer = session.post(base + "/api/v1/cards/import", data=data, headers={"Content-Type": "text/csv"}, timeout=900)
        imported = time.perf_counter() - began
        if answer.status_code != 200:
            raise RuntimeError(f"the import answered {answer.status_code}: {answer.text[:2000]}")
        print(f"  central answered {jsonio.loads(answer.content)}")
        began = time.perf_counter()
        exported = session.get(base + "/api/v1/cards/export", timeout=900)
        export_seconds = time.perf_counter() - began
        exported.raise_for_status()
        (work / "central-export.csv").write_bytes(exported.content)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    return {"import": imported, "export": export_seconds, "bare": bare_postgresql(cluster, url)}


def _wait_for(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/health", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError("central serve did not start")


def bare_postgresql(cluster: Cluster, imported_url: str) -> float:
    """The import's cards and rows, read back, COPYed into a fresh database of the same schema."""
    import psycopg

    target = cluster.create_database("import_baseline")
    store = Store(target)
    upgrade(store.engine)
    create_tenant(store, "Bench Pharmacy", sample_config=True)
    store.dispose()
    tables = {}
    with psycopg.connect(imported_url) as source:
        for table, order in (("cards", "id"), ("point_transactions", "id")):
            cursor = source.execute(f"SELECT * FROM {table} ORDER BY {order}")
            tables[table] = ([column.name for column in cursor.description], cursor.fetchall())
    with psycopg.connect(target) as connection:
        began = time.perf_counter()
        for table, (columns, rows) in tables.items():
            with connection.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        connection.commit()
        return time.perf_counter() - began


# --- till ---------------------------------------------------------------------------------------


def till(file: Path, work: Path) -> dict[str, float]:
    folder = work / "till"
    shutil.rmtree(folder, ignore_errors=True)
    open_replica(folder).close()  # a till in use: its replica made and migrated already
    environment = {**os.environ, "POS_LOYALTY_HOME": str(folder)}
    began = time.perf_counter()
    subprocess.run([str(SCRIPT), "card", "import", str(file)], check=True, env=environment)
    imported = time.perf_counter() - began
    began = time.perf_counter()
    subprocess.run([str(SCRIPT), "card", "export", "--out", str(work / "till-export.csv")], check=True, env=environment)
    exported = time.perf_counter() - began
    return {"import": imported, "export": exported, "bare": bare_sqlite(folder, work / "till-baseline")}


def bare_sqlite(imported: Path, folder: Path) -> float:
    """The import's cards, outbox rows and ledger rows, read back, inserted into a fresh replica."""
    shutil.rmtree(folder, ignore_errors=True)
    open_replica(folder).close()
    source = sqlite3.connect(imported / "replica.sqlite3")
    tables = {}
    for table, order in (("cards", "id"), ("outbox", "device_seq"), ("ledger", "id")):
        cursor = source.execute(f"SELECT * FROM {table} ORDER BY {order}")
        tables[table] = ([column[0] for column in cursor.description], cursor.fetchall())
    source.close()
    connection = bare_connection(folder / "replica.sqlite3")
    began = time.perf_counter()
    connection.execute("BEGIN IMMEDIATE")
    for table, (columns, rows) in tables.items():
        marks = ", ".join("?" * len(columns))
        connection.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
    connection.execute("COMMIT")
    seconds = time.perf_counter() - began
    connection.close()
    return seconds


# --- the run ------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cards", type=int, default=1_000_000, help="rows in the file")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out", help="work folder")
    parser.add_argument("--only", choices=("central", "till"), help="run one side only")
    args = parser.parse_args()
    work = args.out.resolve() / "card-import"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    file = work / "cards.csv"
    print(machine())
    began = time.perf_counter()
    write_file(file, args.cards)
    print(f"{args.cards:,} rows, {file.stat().st_size / 2**20:.1f} MiB, written in {time.perf_counter() - began:.1f} s")
    results: dict[str, dict[str, float]] = {}
    if args.only in (None, "central"):
        cluster = Cluster()
        cluster.start()
        try:
            results["central (PostgreSQL)"] = central(cluster, file, work)
        finally:
            cluster.stop()
    if args.only in (None, "till"):
        results["till (SQLite)"] = till(file, work)
    print()
    print(f"{'':<22}{'import':>10}{'bare insert':>13}{'ratio':>8}{'target':>9}{'export':>9}")
    passed = True
    for name, figures in results.items():
        target = CENTRAL_TARGET if name.startswith("central") else TILL_TARGET
        passed &= figures["import"] <= target
        print(
            f"{name:<22}{figures['import']:>9.1f}s{figures['bare']:>12.1f}s{figures['import'] / figures['bare']:>7.1f}x"
            f"{'<= ' + format(target, '.0f') + ' s':>9}{figures['export']:>8.1f}s"
        )
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
