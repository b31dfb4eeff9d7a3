"""Webhook deliveries to a receiver on 127.0.0.1: events a second, and the delay from an event
to its receipt.

    .venv/bin/python bench/bench_webhooks.py [--pg] [--rate 50] [--seconds 10] [--backlog 5000]

A `pos-loyalty central serve` of its own (a fresh SQLite file, or a PostgreSQL cluster
started for the run with `--pg`), its webhook worker with the default schedule, and a
receiver (`http.server`, a thread per request) that checks each signature and notes when
each event came.

1. **Steady**: a billing system earns points on `--rate` bills a second for `--seconds`
   seconds (earn-points over HTTP, 40 cards); each bill is one `points.earned` event.
   Prints the delay from the event (`occurredAt`, the service's clock, which is this
   machine's) to its receipt, p50 and p99.
2. **Backlog**: `--backlog` events written straight into the outbox while the service is
   stopped (a receiver down for a long time, a restart), then the service started: prints
   the events a second it delivers them at, from the first to the last received.

Nothing here is a test: pytest never runs it. Figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import math
import sys
import tempfile
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import requests  # noqa: E402

from central.store import cards as card_store  # noqa: E402
from central.store import webhooks  # noqa: E402
from central.store.db import Store  # noqa: E402
from central.store.migrate import upgrade  # noqa: E402
from central.store.tenants import add_device, create_tenant  # noqa: E402
from central_harness import Server  # noqa: E402
from pgcluster import Cluster, free_port  # noqa: E402

SECRET = "bench-secret-0123456789abcdef"
CARDS = 40


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


class Receiver:
    """When each event came (monotonic and wall clock), by eventId; bad signatures counted."""

    def __init__(self) -> None:
        self.port = free_port()
        self.came: dict[str, tuple[float, datetime]] = {}
        self.bad = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver would

            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                now, wall = time.monotonic(), datetime.utcnow()
                good = hmac.compare_digest(
                    "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest(),
                    self.headers.get("X-Loyalty-Signature", ""),
                )
                with receiver.lock:
                    if good:
                        receiver.came.setdefault(json.loads(raw)["eventId"], (now, wall))
                    else:
                        receiver.bad += 1
                self.send_response(200 if good else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while len(self.came) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        if len(self.came) < count:
            raise RuntimeError(f"only {len(self.came)} of {count} events came")


def occurred(store: Store, tenant_id: int) -> dict[str, datetime]:
    from sqlalchemy import select

    from central.store.models import WebhookEvent

    statement = select(WebhookEvent.event_id, WebhookEvent.occurred_at).where(WebhookEvent.tenant_id == tenant_id)
    return dict(store.run(lambda unit: unit.connection.execute(statement).all(), write=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--rate", type=float, default=50.0, help="bills a second in the steady run")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--backlog", type=int, default=5000)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    cluster = None
    if args.pg:
        cluster = Cluster()
        cluster.start()
        url = cluster.create_database("bench_webhooks")
    else:
        url = f"sqlite:///{folder / 'central.sqlite3'}"
    store = Store(url)
    upgrade(store.engine)
    made = create_tenant(store, "Bench Pharmacy", sample_config=True)
    device = add_device(store, made.tenant_id, "Web shop")
    receiver = Receiver()
    server = Server(url, folder / "serve.log")
    server.start()
    try:
        admin = requests.Session()
        admin.headers["Authorization"] = f"Bearer {made.admin_token}"
        hook = {"url": f"http://127.0.0.1:{receiver.port}/", "events": ["points.earned"], "secret": SECRET}
        assert admin.post(f"{server.base}/api/v1/webhooks", json=hook, timeout=30).status_code == 201
        for index in range(CARDS):
            issued = admin.post(
                f"{server.base}/api/v1/cards",
                json={"customerName": f"Bench {index}", "customerPhone": f"98{index:08d}", "cardNumber": f"BENCH{index:03d}"},
                timeout=30,
            )
            assert issued.status_code == 201, issued.text

        # 1. Steady: bills at a rate, each one event.
        shop = requests.Session()
        shop.headers["Authorization"] = f"Bearer {device.token}"
        bills = int(args.rate * args.seconds)
        started = time.monotonic()
        for index in range(bills):
            time.sleep(max(0.0, started + index / args.rate - time.monotonic()))
            earn = {
                "cardNumber": f"BENCH{index % CARDS:03d}", "billId": f"S-{index}", "billAmount": 1000,
                "items": [{"categoryId": 2, "amount": 1000}],
            }
            assert shop.post(f"{server.base}/api/v1/internal/cards/earn-points", json=earn, timeout=30).status_code == 200
        receiver.wait_for(bills, 120)
        at = occurred(store, made.tenant_id)
        delays = [(wall - at[event]).total_seconds() * 1000 for event, (_mono, wall) in receiver.came.items()]
        print(f"steady: {bills} events at {args.rate:g}/s: delay p50 {percentile(delays, 0.5):.0f} ms, "
              f"p99 {percentile(delays, 0.99):.0f} ms, max {max(delays):.0f} ms")

        # 2. Backlog: events waiting in the outbox when the service starts.
        server.stop()

        def backlog(unit):
            shown = card_store.rows(unit, card_store.query(unit))
            events = [
                webhooks.Event(webhooks.EARNED_EVENT, shown[index % len(shown)], unit.now, {"billId": f"K-{index}", "points": 100})
                for index in range(args.backlog)
            ]
            for start in range(0, len(events), 1000):
                webhooks.write(unit, events[start : start + 1000])

        store.run(backlog, write=True, tenant_id=made.tenant_id)
        before = len(receiver.came)
        server.start()
        receiver.wait_for(before + args.backlog, 600)
        times = sorted(mono for event, (mono, _wall) in receiver.came.items() if event not in at)
        rate = (len(times) - 1) / (times[-1] - times[0])
        print(f"backlog: {args.backlog} events delivered at {rate:.0f} events/s ({'PostgreSQL' if args.pg else 'SQLite'})")
        print(f"signatures refused: {receiver.bad}")
    finally:
        server.stop()
        receiver.server.shutdown()
        store.dispose()
        if cluster is not None:
            cluster.stop()


if __name__ == "__main__":
    main()
