"""The central service under a chain's load, on PostgreSQL, against bare baselines in the same run.

    .venv/bin/python bench/bench_central.py [--tills 50] [--mutations 200] [--batch 10]
                                            [--workers 2] [--cards 1000000]

1. **Push**: N tills (each a real till replica that issued cards and finalized bills with
   redemptions and referrals through `pos_loyalty.services`) push their outboxes to
   `pos-loyalty central serve --workers W` on a PostgreSQL cluster started for the run,
   all at once, in batches. Prints mutations applied per second and push latency
   percentiles (targets: >= 2,000 mutations/s, p99 <= 200 ms). Baselines: bare psycopg
   writing the same rows (ledger rows, bills, cards, sequence records) in one transaction
   per batch, and a bare uvicorn endpoint that only reads the same request bodies.
2. **Bootstrap**: a tenant of `--cards` cards (bulk-loaded with COPY) pulled from cursor 0
   in pages of 5,000 through HTTP; baseline: bare psycopg reading the same columns.

Nothing here is a test: pytest never runs it. Figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import http.client
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import requests  # noqa: E402

from central.store.db import Store  # noqa: E402
from central.store.migrate import upgrade  # noqa: E402
from central.store.tenants import add_device, create_tenant  # noqa: E402
from pgcluster import Cluster, free_port  # noqa: E402
from pos_loyalty import jsonio  # noqa: E402
from pos_loyalty.rules import bill_from_json  # noqa: E402
from pos_loyalty.services import bills, cards, open_replica, outbox  # noqa: E402

SEED = 20261121


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


# --- the tills' outboxes ---------------------------------------------------------------


def till_outbox(folder: Path, till: int, count: int) -> list[dict]:
    """A real till's mutations: ~1 card issued per 10, the rest bills (redeeming, referred)."""
    chance = random.Random(SEED + till)
    replica = open_replica(folder / f"till-{till}")
    numbers: list[str] = []
    written = 0
    while written < count:
        if not numbers or (len(numbers) < count // 10 and chance.random() < 0.1):
            referrer = chance.choice(numbers) if numbers and chance.random() < 0.5 else None
            numbers.append(
                cards.issue(replica, name=f"Customer {till}-{len(numbers)}", phone=f"9{till:03d}{len(numbers):06d}", referrer=referrer).card_number
            )
            if len(numbers) % 3 == 0:
                cards.adjust(replica, numbers[-1], "500", reason="welcome points")
                written += 1
        else:
            card = chance.choice(numbers)
            items = [{"categoryId": chance.randint(1, 4), "amount": f"{chance.randint(500, 90000) / 100:.2f}"} for _ in range(chance.randint(1, 8))]
            bill = bill_from_json({"items": items})
            quote = bills.quote(replica, card, bill)
            redeem = quote.max_redeemable_points if quote.max_redeemable_points and chance.random() < 0.3 else 0
            bills.finalize(replica, card, bill_from_json({"items": items, "redeemPoints": f"{redeem / 100:.2f}"}))
        written += 1
    with replica.reading() as uow:
        mutations = outbox.batch(uow, from_seq=1, limit=10 * count)
    replica.close()
    return mutations


# --- pushing -----------------------------------------------------------------------------


class Till:
    """A simulated till's HTTP client: one keep-alive connection, as little work as can be
    (the real tills are other machines; their CPU should not be the server's)."""

    def __init__(self, base: str, token: str) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=120)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def push(self, data: bytes) -> bytes:
        self.connection.request("POST", "/api/v1/sync/push", body=data, headers=self.headers)
        answer = self.connection.getresponse()
        content = answer.read()
        if answer.status != 200:
            raise RuntimeError(f"push answered {answer.status}: {content[:200]!r}")
        return content


def push_all(base: str, tokens: list[str], bodies: list[list[bytes]]) -> tuple[float, list[float], int]:
    """Every till pushes its batches one after another, all tills at once: (seconds, latencies, applied)."""
    latencies: list[float] = []
    applied = [0]
    lock = threading.Lock()
    start = threading.Barrier(len(tokens) + 1)

    def till(token: str, batches: list[bytes]) -> None:
        client = Till(base, token)
        start.wait()
        for data in batches:
            began = time.perf_counter()
            content = client.push(data)
            taken = time.perf_counter() - began
            done = content.count(b'"status":"applied"')
            with lock:
                latencies.append(taken)
                applied[0] += done

    threads = [threading.Thread(target=till, args=pair) for pair in zip(tokens, bodies)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began, latencies, applied[0]


def push_paced(base: str, tokens: list[str], bodies: list[list[bytes]], rate: float, batch: int) -> tuple[float, list[float], int]:
    """Open loop: together the tills offer `rate` mutations/s, each pushing one batch per
    period on its own schedule (one push in flight per till, as a real till). Latency is
    counted from when a push was due, so time spent waiting behind a slow one counts."""
    period = batch * len(tokens) / rate
    latencies: list[float] = []
    applied = [0]
    lock = threading.Lock()
    start = threading.Barrier(len(tokens) + 1)
    chance = random.Random(SEED)
    phases = [chance.uniform(0, period) for _ in tokens]

    def till(token: str, batches: list[bytes], phase: float) -> None:
        client = Till(base, token)
        start.wait()
        origin = time.perf_counter() + phase
        for number, data in enumerate(batches):
            due = origin + number * period
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            content = client.push(data)
            taken = time.perf_counter() - due
            done = content.count(b'"status":"applied"')
            with lock:
                latencies.append(taken)
                applied[0] += done

    threads = [threading.Thread(target=till, args=args) for args in zip(tokens, bodies, phases)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began, latencies, applied[0]


def echo_server(port: int, workers: int) -> subprocess.Popen:
    """A bare uvicorn endpoint that reads the body and answers a small JSON: HTTP's own cost."""
    code = (
        "from starlette.applications import Starlette\n"
        "from starlette.responses import Response\n"
        "from starlette.routing import Route\n"
        "async def push(request):\n"
        "    await request.body()\n"
        "    return Response(b'{\"lastAppliedSeq\":0}', media_type='application/json')\n"
        "app = Starlette(routes=[Route('/api/v1/sync/push', push, methods=['POST'])])\n"
    )
    folder = Path(tempfile.mkdtemp(prefix="echo-"))
    (folder / "echo_app.py").write_text(code)
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "echo_app:app", "--port", str(port), "--workers", str(workers), "--log-level", "warning"],
        cwd=folder,
    )


def bare_writes(url: str, mutations: list[list[dict]], batch: int) -> float:
    """psycopg writing the rows the service writes for these mutations, one transaction a batch."""
    import psycopg

    rows_per_batch = []
    for till_mutations in mutations:
        for at in range(0, len(till_mutations), batch):
            chunk = till_mutations[at : at + batch]
            ledger = [row for m in chunk for row in m["payload"].get("ledger", [])]
            rows_per_batch.append((len(chunk), len(ledger), sum(1 for m in chunk if m["kind"] == "bill.finalized")))
    with psycopg.connect(url, autocommit=False) as connection:
        connection.execute(
            "CREATE TEMP TABLE bare_ledger (id bigserial primary key, card_id bigint, kind text, points bigint, balance bigint, reference text, at timestamp);"
            "CREATE TEMP TABLE bare_bills (id bigserial primary key, bill_id text unique, card_id bigint, result text, at timestamp);"
            "CREATE TEMP TABLE bare_seq (id bigserial primary key, seq bigint, mutation text, status text);"
            "CREATE TEMP TABLE bare_cards (id bigint primary key, balance bigint);"
            "INSERT INTO bare_cards SELECT g, 0 FROM generate_series(1, 1000) g;"
        )
        connection.commit()
        began = time.perf_counter()
        counter = 0
        for mutation_count, ledger_count, bill_count in rows_per_batch:
            with connection.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO bare_ledger (card_id, kind, points, balance, reference, at) VALUES (%s, 'EARNED', 100, 100, 'B', now())",
                    [(i % 1000 + 1,) for i in range(ledger_count)],
                )
                cursor.executemany(
                    "UPDATE bare_cards SET balance = balance + 1 WHERE id = %s", [(i % 1000 + 1,) for i in range(ledger_count)]
                )
                cursor.executemany(
                    "INSERT INTO bare_bills (bill_id, card_id, result, at) VALUES (%s, 1, %s, now())",
                    [(f"b{counter}-{i}", "x" * 1200) for i in range(bill_count)],
                )
                cursor.executemany(
                    "INSERT INTO bare_seq (seq, mutation, status) VALUES (%s, 'm', 'applied')", [(i,) for i in range(mutation_count)]
                )
            connection.commit()
            counter += 1
        return time.perf_counter() - began


# --- bootstrap ----------------------------------------------------------------------------


def load_cards(url: str, tenant_id: int, count: int) -> None:
    """COPY `count` cards into the tenant in one transaction, stamped with its id as the
    service stamps its own changes on PostgreSQL (central/store/db.py, change_number)."""
    import psycopg

    from pos_loyalty import cardnumber

    with psycopg.connect(url) as connection:
        (xid,) = connection.execute("SELECT pg_current_xact_id()::text::bigint").fetchone()
        with connection.cursor().copy(
            "COPY cards (tenant_id, card_number, customer_name, customer_phone, points_balance, total_points_earned,"
            " total_points_redeemed, total_referral_points_earned, is_active, issued_at, created_at, updated_at, change_seq)"
            " FROM STDIN"
        ) as copy:
            for i in range(count):
                copy.write_row(
                    (tenant_id, cardnumber.from_block("29", 90000 + i // 100_000, i % 100_000), f"Customer {i}",
                     f"8{i:09d}", (i * 37) % 500_000, (i * 37) % 500_000, 0, 0, True,
                     "2026-01-01 09:00:00", "2026-01-01 09:00:00", "2026-01-01 09:00:00", xid)
                )
        connection.execute("ANALYZE cards")


def pull_everything(base: str, token: str, limit: int) -> tuple[float, int, int]:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    cursor, cards_seen, size = "0", 0, 0
    began = time.perf_counter()
    while True:
        answer = session.get(base + "/api/v1/sync/pull", params={"cursor": cursor, "limit": limit}, timeout=300)
        answer.raise_for_status()
        size += len(answer.content)
        page = jsonio.loads(answer.content)
        cards_seen += sum(1 for change in page["changes"] if change["type"] == "card")
        cursor = page["cursor"]
        if not page["hasMore"]:
            return time.perf_counter() - began, cards_seen, size


def bare_read(url: str, tenant_id: int, limit: int) -> float:
    import psycopg

    began = time.perf_counter()
    with psycopg.connect(url) as connection:
        last = (0, 0)
        while True:
            rows = connection.execute(
                "SELECT id, card_number, customer_name, customer_phone, customer_email, customer_id, points_balance,"
                " total_points_earned, total_points_redeemed, total_referral_points_earned, is_active, issued_at,"
                " last_transaction_at, change_seq FROM cards WHERE tenant_id = %s AND (change_seq, id) > (%s, %s)"
                " ORDER BY change_seq, id LIMIT %s",
                (tenant_id, last[0], last[1], limit),
            ).fetchall()
            if not rows:
                return time.perf_counter() - began
            last = (rows[-1][-1], rows[-1][0])


# --- the run -----------------------------------------------------------------------------


def start_server(url: str, workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("pos-loyalty")), "central", "serve", "--db", url, "--port", str(port), "--workers", str(workers)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "POS_LOYALTY_HOME": tempfile.mkdtemp()},
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if requests.get(base + "/health", timeout=1).status_code == 200:
                return process, base
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError("the central service did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tills", type=int, default=50)
    parser.add_argument("--mutations", type=int, default=200, help="mutations queued at each till")
    parser.add_argument("--batch", type=int, default=10, help="mutations per push")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers")
    parser.add_argument("--rate", type=float, default=2000, help="mutations/s offered in the paced run")
    parser.add_argument("--cards", type=int, default=1_000_000, help="cards in the bootstrap tenant (0: skip)")
    args = parser.parse_args()

    cluster = Cluster()
    cluster.start()
    try:
        url = cluster.create_database("bench")
        store = Store(url)
        upgrade(store.engine)
        tenant = create_tenant(store, "Bench chain", sample_config=True)
        tokens = [add_device(store, tenant.tenant_id, f"Till {i}").token for i in range(args.tills)]

        began = time.perf_counter()
        work = Path(tempfile.mkdtemp(prefix="bench-tills-"))
        queued = [till_outbox(work, i, args.mutations) for i in range(args.tills)]
        print(f"{args.tills} tills queued {sum(map(len, queued)):,} mutations in {time.perf_counter() - began:.0f} s")
        bodies = [
            [jsonio.dumps({"mutations": q[at : at + args.batch]}).encode() for at in range(0, len(q), args.batch)]
            for q in queued
        ]

        total = sum(map(len, queued))
        server, base = start_server(url, args.workers)
        try:
            seconds, latencies, applied = push_all(base, tokens, bodies)
            # The same tills' outboxes again, to a fresh tenant, at the target rate.
            paced_tenant = create_tenant(store, "Paced chain", sample_config=True)
            paced_tokens = [add_device(store, paced_tenant.tenant_id, f"Till {i}").token for i in range(args.tills)]
            paced_seconds, paced_latencies, paced_applied = push_paced(base, paced_tokens, bodies, args.rate, args.batch)
        finally:
            server.terminate()
            server.wait()

        port = free_port()
        echo = echo_server(port, args.workers)
        try:
            for _ in range(100):
                try:
                    requests.post(f"http://127.0.0.1:{port}/api/v1/sync/push", data=b"{}", timeout=1)
                    break
                except requests.RequestException:
                    time.sleep(0.1)
            echo_seconds, echo_latencies, _ = push_all(f"http://127.0.0.1:{port}", tokens, bodies)
        finally:
            echo.terminate()
            echo.wait()
        bare_seconds = bare_writes(url, queued, args.batch)

        def ms(value: float) -> str:
            return f"{value * 1000:,.0f} ms"

        print()
        print(f"push: {args.tills} tills x {args.mutations} mutations, batches of {args.batch}, {args.workers} workers, PostgreSQL")
        print("| run | mutations/s | p50 | p99 | max |")
        print("|---|---:|---:|---:|---:|")
        print(f"| saturation: every till pushes back to back | {applied / seconds:,.0f} | {ms(statistics.median(latencies))} | {ms(percentile(latencies, 0.99))} | {ms(max(latencies))} |")
        print(f"| offered {args.rate:,.0f}/s: each till one batch every {args.batch * args.tills / args.rate * 1000:.0f} ms | {paced_applied / paced_seconds:,.0f} | {ms(statistics.median(paced_latencies))} | {ms(percentile(paced_latencies, 0.99))} | {ms(max(paced_latencies))} |")
        print(f"| bare HTTP, saturation (body read, nothing done) | {total / echo_seconds:,.0f} | {ms(statistics.median(echo_latencies))} | {ms(percentile(echo_latencies, 0.99))} | {ms(max(echo_latencies))} |")
        print(f"| bare psycopg, same rows, one transaction a batch, one connection | {total / bare_seconds:,.0f} | | | |")
        saturated = applied / seconds
        print(f"ratios: service / bare HTTP {saturated / (total / echo_seconds):.2f}, service / bare psycopg {saturated / (total / bare_seconds):.2f}")
        ok = saturated >= 2000 and percentile(paced_latencies, 0.99) <= 0.2 and applied == total == paced_applied
        print(f"applied {applied:,} and {paced_applied:,} of {total:,} each; targets >= 2,000/s, p99 <= 200 ms at 2,000/s offered:",
              "PASS" if ok else "FAIL")

        if args.cards:
            big = create_tenant(store, "Bootstrap chain", sample_config=True)
            till = add_device(store, big.tenant_id, "New till")
            began = time.perf_counter()
            load_cards(url, big.tenant_id, args.cards)
            print(f"\nloaded {args.cards:,} cards in {time.perf_counter() - began:.0f} s")
            server, base = start_server(url, args.workers)
            try:
                seconds, seen, size = pull_everything(base, till.token, 5000)
            finally:
                server.terminate()
                server.wait()
            bare = bare_read(url, big.tenant_id, 5000)
            print(f"bootstrap by pull: {seen:,} cards in {seconds:.1f} s ({seen / seconds:,.0f} cards/s, {size / 2**20:.0f} MB of JSON);"
                  f" bare psycopg read of the same pages {bare:.1f} s (ratio {seconds / bare:.1f}x)")
        store.dispose()
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
