"""A billing system's online calls on the central service, against a bare baseline in the same run.

    .venv/bin/python bench/bench_online.py                          # SQLite (1 worker), PostgreSQL (1, 2, 4)
    .venv/bin/python bench/bench_online.py --database sqlite --clients 1 16
    .venv/bin/python bench/bench_online.py --quick                  # a smoke run, a second a figure

Seed 002's billing service calls the card service while a cashier waits: `GET
/cards/by-number/{n}`, `POST /internal/cards/calculate`, `earn-points` and
`redeem-points`. Here `pos-loyalty central serve` (as a user starts it, `--workers W`)
on a fresh database with 64 cards is driven by N clients at once, each a thread with its
own `requests.Session` (keep-alive), spread over a few client processes; for earn and
redeem each client has cards of its own and a new bill id per call. Every route is then
driven the same way against the **bare baseline**: a minimal FastAPI app under the same
uvicorn, with the same number of worker processes (each on its own SO_REUSEPORT socket,
as the service's), on the same database and the same rows, doing one transaction per
request with the driver alone (sqlite3 with WAL and `synchronous=FULL` and one writer at
a time in the process; psycopg with PostgreSQL's default commit): an earn claims its
idempotency record, makes the bill, writes two ledger rows, moves the card and the
change counter and stores the answer; a redeem the same with one row; a lookup or a
quote reads the card.

Printed for each figure: requests/s, p50 and p99, service ÷ bare, and the targets of
issue 18, each PASS or FAIL; exits 1 if one is missed. Nothing here is a test: pytest
never runs it.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import requests  # noqa: E402
from fastapi import Request  # noqa: E402  (the bare app's routes name it)

CARDS = 64
OPENING_POINTS = 100_000_000  # hundredths: a million points, enough for every redemption
ROUTES = ("earn-points", "by-number", "calculate", "redeem-points")
CLIENT_PROCESSES = 4


# --- the bare baseline: one transaction per request, the driver alone ------------------------


def bare_app():  # type: ignore[no-untyped-def]
    """The baseline app (a uvicorn factory): the database from POS_LOYALTY_CENTRAL_DB."""
    from fastapi import FastAPI
    from fastapi.responses import Response
    from starlette.concurrency import run_in_threadpool

    url = os.environ["POS_LOYALTY_CENTRAL_DB"]
    tenant_id = int(os.environ["BENCH_TENANT"])
    sqlite = url.startswith("sqlite")
    local = threading.local()
    writer = threading.Lock()  # SQLite: one writer at a time, queued in the process

    def connection():  # type: ignore[no-untyped-def]
        if getattr(local, "connection", None) is None:
            if sqlite:
                import sqlite3

                c = sqlite3.connect(url.split("///", 1)[1], isolation_level=None, check_same_thread=False, timeout=30)
                c.execute("PRAGMA journal_mode = WAL")
                c.execute("PRAGMA synchronous = FULL")
                c.execute("PRAGMA foreign_keys = ON")
            else:
                import psycopg

                c = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
            local.connection = c
        return local.connection

    mark = "?" if sqlite else "%s"

    def q(sql: str) -> str:
        return sql.replace("?", mark)

    def read(number: str) -> dict:
        c = connection()
        if sqlite:
            c.execute("BEGIN")
        row = c.execute(
            q("SELECT id, card_number, customer_name, points_balance, total_points_earned, is_active FROM cards"
              " WHERE tenant_id = ? AND card_number = ?"),
            (tenant_id, number),
        ).fetchone()
        c.commit() if not sqlite else c.execute("COMMIT")
        return {"id": row[0], "cardNumber": row[1], "customerName": row[2], "pointsBalance": row[3] / 100}

    def write(number: str, bill_id: str, ledger: list[tuple[str, int, int | None]]) -> dict:
        """The rows of one earn (two EARNED rows) or redeem (one REDEEMED row), in one transaction."""
        c = connection()
        now = time.strftime("%Y-%m-%d %H:%M:%S")
        scope = f"{ledger[0][0].lower()}:{bill_id}"
        with writer if sqlite else _nothing:
            if sqlite:
                c.execute("BEGIN IMMEDIATE")
            c.execute(
                q("INSERT INTO idempotency_records (tenant_id, scope, request_hash, status_code, response_json, created_at)"
                  " VALUES (?, ?, 'h', 0, '', ?) ON CONFLICT DO NOTHING RETURNING id"),
                (tenant_id, scope, now),
            ).fetchone()
            card_id, balance, earned = c.execute(
                q("SELECT id, points_balance, total_points_earned FROM cards WHERE tenant_id = ? AND card_number = ?"
                  + ("" if sqlite else " FOR UPDATE")),
                (tenant_id, number),
            ).fetchone()
            c.execute(
                q("INSERT INTO bills (tenant_id, bill_id, card_id, status, payable, created_at) VALUES (?, ?, ?, 'FINALIZED', 100000, ?)"),
                (tenant_id, bill_id, card_id, now),
            )
            rows = []
            for kind, amount, category in ledger:
                balance += amount
                earned += max(amount, 0)
                rows.append((tenant_id, card_id, kind, amount, balance, "BILL", bill_id, 100000, category, now))
            c.cursor().executemany(
                q("INSERT INTO point_transactions (tenant_id, card_id, transaction_type, points, balance_after,"
                  " reference_type, reference_id, bill_amount, category_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                rows,
            )
            if sqlite:
                seq = c.execute("UPDATE tenants SET change_seq = change_seq + 1 WHERE id = ? RETURNING change_seq", (tenant_id,)).fetchone()[0]
                c.execute(
                    "UPDATE cards SET points_balance = ?, total_points_earned = ?, last_transaction_at = ?, updated_at = ?,"
                    " change_seq = ? WHERE id = ?",
                    (balance, earned, now, now, seq, card_id),
                )
            else:
                c.execute(
                    "UPDATE cards SET points_balance = %s, total_points_earned = %s, last_transaction_at = %s, updated_at = %s,"
                    " change_seq = pg_current_xact_id()::text::bigint WHERE id = %s",
                    (balance, earned, now, now, card_id),
                )
            answer = {"billId": bill_id, "cardNumber": number, "newBalance": balance / 100}
            c.execute(
                q("UPDATE idempotency_records SET status_code = 200, response_json = ? WHERE tenant_id = ? AND scope = ?"),
                (json.dumps(answer), tenant_id, scope),
            )
            c.execute("COMMIT") if sqlite else c.commit()
        return answer

    app = FastAPI()

    def answer(document: dict) -> Response:
        return Response(json.dumps(document), media_type="application/json")

    @app.get("/api/v1/cards/by-number/{number}")
    def by_number(number: str) -> Response:
        return answer(read(number))

    @app.post("/api/v1/internal/cards/calculate")
    async def calculate(request: Request) -> Response:
        body = json.loads(await request.body())
        return answer(await run_in_threadpool(read, body["cardNumber"]))

    @app.post("/api/v1/internal/cards/earn-points")
    async def earn(request: Request) -> Response:
        body = json.loads(await request.body())
        rows = [("EARNED", 500, 1), ("EARNED", 1500, 2)]
        return answer(await run_in_threadpool(write, body["cardNumber"], str(body["billId"]), rows))

    @app.post("/api/v1/internal/cards/redeem-points")
    async def redeem(request: Request) -> Response:
        body = json.loads(await request.body())
        rows = [("REDEEMED", -10000, None)]
        return answer(await run_in_threadpool(write, body["cardNumber"], str(body["billId"]), rows))

    @app.get("/health")
    def health() -> Response:
        return answer({"status": "ok"})

    return app


class _Nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_exc: object) -> None:
        return None


_nothing = _Nothing()


# --- the database, the servers -----------------------------------------------------------------


@dataclass
class Setup:
    url: str
    tenant_id: int
    token: str
    numbers: list[str]


def prepare(url: str) -> Setup:
    """A fresh tenant (seed 002's sample configuration), one till, 64 cards with points."""
    from central.store import migrate
    from central.store.cards import NewCard, insert_card
    from central.store.db import Store
    from central.store.ledger import Postings
    from central.store.tenants import add_device, create_tenant
    from pos_loyalty.rules.postings import adjustment_posting

    store = Store(url)
    migrate.upgrade(store.engine)
    made = create_tenant(store, "Bench pharmacy", sample_config=True)
    till = add_device(store, made.tenant_id, "Counter 1")
    numbers = [f"BENCH{i:04d}" for i in range(CARDS)]

    def work(unit):  # type: ignore[no-untyped-def]
        postings = Postings(unit)
        for i, number in enumerate(numbers):
            card = insert_card(unit, NewCard(f"Customer {i}", f"9{i:09d}", card_number=number), referrer=None)
            postings.post(adjustment_posting(card, OPENING_POINTS, "opening balance"), performed_by="bench", device_id=None)
        postings.flush()

    store.run(work, write=True, tenant_id=made.tenant_id)
    store.dispose()
    return Setup(url, made.tenant_id, till.token, numbers)


def _wait_healthy(base: str, process: subprocess.Popen) -> None:
    for _ in range(600):
        if process.poll() is not None:
            raise RuntimeError(f"the server exited ({process.returncode})")
        try:
            if requests.get(base + "/health", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def start_service(setup: Setup, workers: int) -> tuple[subprocess.Popen, str]:
    from pgcluster import free_port

    port = free_port()
    command = [str(Path(sys.executable).with_name("pos-loyalty")), "central", "serve", "--db", setup.url,
               "--port", str(port), "--workers", str(workers)]
    home = tempfile.mkdtemp(prefix="bench-home-")
    log = open(Path(home) / "serve.log", "wb")  # noqa: SIM115 (the server's, for as long as it runs)
    print(f"  the service's log: {log.name}", flush=True)
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "POS_LOYALTY_HOME": home})
    base = f"http://127.0.0.1:{port}"
    _wait_healthy(base, process)
    return process, base


def start_bare(setup: Setup, workers: int) -> tuple[subprocess.Popen, str]:
    from central.store.db import database_url
    from pgcluster import free_port

    port = free_port()
    env = {**os.environ, "POS_LOYALTY_CENTRAL_DB": database_url(setup.url), "BENCH_TENANT": str(setup.tenant_id),
           "PYTHONPATH": os.pathsep.join([str(ROOT / "bench"), str(ROOT)])}
    process = subprocess.Popen([sys.executable, __file__, "--bare-server", str(port), "--bare-workers", str(workers)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    _wait_healthy(base, process)
    return process, base


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- the clients ---------------------------------------------------------------------------------


def _request(route: str, session: requests.Session, base: str, number: str, bill: str):  # type: ignore[no-untyped-def]
    if route == "by-number":
        return session.get(f"{base}/api/v1/cards/by-number/{number}", timeout=60)
    if route == "calculate":
        body = {"cardNumber": number, "items": [{"categoryId": 1, "amount": 500}, {"categoryId": 2, "amount": 500}]}
    elif route == "earn-points":
        body = {"cardNumber": number, "billId": bill, "billAmount": 1000,
                "items": [{"categoryId": 1, "amount": 500}, {"categoryId": 2, "amount": 500}]}
    else:
        body = {"cardNumber": number, "billId": bill, "points": 100, "billAmount": 1000}
    return session.post(f"{base}/api/v1/internal/cards/{route}", data=json.dumps(body), timeout=60,
                        headers={"Content-Type": "application/json"})


def _client_process(args: tuple) -> list[float]:  # type: ignore[type-arg]
    """One client process: its threads call `route` until the deadline; their latencies (s)."""
    route, base, token, numbers, clients, first, tag, warm, seconds, requests_each = args
    latencies: list[float] = []
    lock = threading.Lock()
    failures: list[str] = []
    start = threading.Barrier(len(clients))

    def client(index: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        own = numbers[index::first] or numbers
        mine: list[float] = []
        count = 0
        for _ in range(warm):
            _request(route, session, base, own[count % len(own)], f"{tag}-{index}-w{count}")
            count += 1
        start.wait()
        deadline = time.perf_counter() + seconds
        done = 0
        while (time.perf_counter() < deadline) if requests_each is None else done < requests_each:
            began = time.perf_counter()
            answer = _request(route, session, base, own[count % len(own)], f"{tag}-{index}-{count}")
            mine.append(time.perf_counter() - began)
            count += 1
            done += 1
            if answer.status_code != 200:
                failures.append(f"{route} answered {answer.status_code}: {answer.text[:200]}")
                break
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(index,)) for index in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(failures[0])
    return latencies


@dataclass
class Figure:
    rate: float  # requests/s
    p50: float  # s
    p99: float  # s


def drive(pool, route: str, base: str, setup: Setup, clients: int, tag: str, seconds: float, requests_each: int | None) -> Figure:  # type: ignore[no-untyped-def]
    processes = min(clients, CLIENT_PROCESSES)
    jobs = [
        (route, base, setup.token, setup.numbers, list(range(p, clients, processes)), clients, tag, 3, seconds, requests_each)
        for p in range(processes)
    ]
    began = time.perf_counter()
    parts = pool.map(_client_process, jobs)
    latencies = [value for part in parts for value in part]
    # The clients start together after their warm-up; the rate is over the clients' own time.
    taken = time.perf_counter() - began
    busy = sum(latencies) / clients  # each client's time spent in calls: the measured window
    window = busy if busy > 0 else taken
    return Figure(len(latencies) / window, statistics.median(latencies), percentile(latencies, 0.99))


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


# --- the run -------------------------------------------------------------------------------------


@dataclass
class Result:
    database: str
    workers: int
    route: str
    clients: int
    service: Figure
    bare: Figure


def measure(pool, label: str, setup: Setup, workers: int, routes, clients_list, seconds, requests_each) -> list[Result]:  # type: ignore[no-untyped-def]
    results = []
    figures: dict[tuple[str, str, int], Figure] = {}
    for side, start in (("service", start_service), ("bare", start_bare)):
        process, base = start(setup, workers)
        try:
            for route in routes:
                for clients in clients_list:
                    tag = f"{label}-{workers}-{side}-{route}-{clients}"
                    figure = drive(pool, route, base, setup, clients, tag, seconds, requests_each)
                    figures[(side, route, clients)] = figure
                    print(f"  {label} {workers}w {side:7} {route:13} {clients:2} clients: {figure.rate:7,.0f}/s"
                          f"  p50 {ms(figure.p50)}  p99 {ms(figure.p99)}", flush=True)
        finally:
            stop(process)
    for route in routes:
        for clients in clients_list:
            results.append(Result(label, workers, route, clients, figures[("service", route, clients)], figures[("bare", route, clients)]))
    return results


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


@dataclass
class Target:
    what: str
    service: str
    bare: str
    ratio: float
    met: bool


def targets(results: list[Result]) -> list[Target]:
    """Issue 18's targets, each against its own bare baseline of the same run."""
    found: list[Target] = []
    for r in results:
        where = f"{r.database} {r.workers}w {r.route}"
        if r.clients == 1 and r.route in ("earn-points", "by-number"):
            ratio = r.service.p50 / r.bare.p50
            found.append(Target(f"{where}, 1 client: p50 <= 2x bare", ms(r.service.p50), ms(r.bare.p50), ratio, ratio <= 2))
        if r.clients >= 16 and r.route in ("earn-points", "by-number"):
            ratio = r.service.rate / r.bare.rate
            found.append(Target(f"{where}, {r.clients} clients: req/s >= 0.5x bare", f"{r.service.rate:,.0f}/s",
                                f"{r.bare.rate:,.0f}/s", ratio, ratio >= 0.5))
            ratio = r.service.p99 / r.bare.p99
            found.append(Target(f"{where}, {r.clients} clients: p99 <= 2x bare", ms(r.service.p99), ms(r.bare.p99), ratio, ratio <= 2))
    most = max((r.clients for r in results), default=0)
    pg = {r.workers: r for r in results if r.database == "postgresql" and r.route == "earn-points" and r.clients == most}
    if 1 in pg and 4 in pg:
        ratio = pg[4].service.rate / pg[1].service.rate
        found.append(Target(f"postgresql earn-points {most} clients: 4 workers > 1 worker", f"{pg[4].service.rate:,.0f}/s",
                            f"{pg[1].service.rate:,.0f}/s (1w)", ratio, ratio > 1))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4], help="PostgreSQL's worker counts")
    parser.add_argument("--sqlite-workers", type=int, nargs="+", default=[1], help="SQLite's worker counts")
    parser.add_argument("--clients", type=int, nargs="+", default=None, help="default 1 8 16 32 (--quick: 1 16)")
    parser.add_argument("--routes", nargs="+", choices=ROUTES, default=list(ROUTES))
    parser.add_argument("--seconds", type=float, default=4.0, help="each figure's measured time")
    parser.add_argument("--requests", type=int, default=None, help="calls per client instead of --seconds")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 1 and 16 clients, a second a figure")
    parser.add_argument("--bare-server", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--bare-workers", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server:
        from central.serve import serve_app

        serve_app("bench_online:bare_app", "127.0.0.1", args.bare_server, args.bare_workers)
        return 0
    if args.quick:
        args.seconds = 1.0
    args.clients = args.clients or ([1, 16] if args.quick else [1, 8, 16, 32])

    from pgcluster import Cluster

    print(f"load before the run: {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores")
    results: list[Result] = []
    pool = multiprocessing.get_context("fork").Pool(CLIENT_PROCESSES)
    cluster = None
    try:
        if args.database in ("sqlite", "both"):
            for workers in args.sqlite_workers:
                folder = Path(tempfile.mkdtemp(prefix="bench-online-"))
                setup = prepare(f"sqlite:///{folder / 'central.sqlite3'}")
                results += measure(pool, "sqlite", setup, workers, args.routes, args.clients, args.seconds, args.requests)
        if args.database in ("postgresql", "both"):
            cluster = Cluster()
            cluster.start()
            for workers in args.workers:
                setup = prepare(cluster.create_database(f"online_{workers}"))
                results += measure(pool, "postgresql", setup, workers, args.routes, args.clients, args.seconds, args.requests)
    finally:
        pool.close()
        if cluster is not None:
            cluster.stop()

    print()
    print("| database | workers | route | clients | service req/s | p50 | p99 | bare req/s | p50 | p99 | req/s ratio | p50 ratio | p99 ratio |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        s, b = r.service, r.bare
        print(f"| {r.database} | {r.workers} | {r.route} | {r.clients} | {s.rate:,.0f} | {ms(s.p50)} | {ms(s.p99)} | {b.rate:,.0f} |"
              f" {ms(b.p50)} | {ms(b.p99)} | {s.rate / b.rate:.2f} | {s.p50 / b.p50:.2f} | {s.p99 / b.p99:.2f} |")
    print()
    print("| target | service | bare | ratio | result |")
    print("|---|---:|---:|---:|---|")
    found = targets(results)
    for t in found:
        print(f"| {t.what} | {t.service} | {t.bare} | {t.ratio:.2f} | {'PASS' if t.met else 'FAIL'} |")
    missed = [t for t in found if not t.met]
    print(f"\n{len(found) - len(missed)} of {len(found)} targets met:", "PASS" if not missed else "FAIL")
    print(f"load after the run: {os.getloadavg()[0]:.2f}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
