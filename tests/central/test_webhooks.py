"""Webhooks against a real central service (SQLite and PostgreSQL) and a real receiver on
127.0.0.1 that can be down, slow or failing: events written in the transaction of what
caused them, signed, delivered at least once and in order per card, retried on a
compressed clock (`POS_LOYALTY_WEBHOOK_RETRY`: a day of retries in seconds), a delivery
log per webhook, and a receiver restarted after an outage that gets every event once
after deduplication. The example receiver of `contrib/` is run as a pharmacy would run it.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import sqlite3
import subprocess
import sys
import threading
import time
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from central.store import webhooks as webhook_store
from central.store.cards import by_number
from central.store.db import Store
from central.store.expiry import expire_all
from central.store.ledger import Postings
from central.store.models import WebhookEvent
from central.store.tenants import add_device, create_tenant
from central.webhook_delivery import ENV, sign
from central_harness import Client, Server, TenantAccess, body, till_batch
from pgcluster import free_port
from pos_loyalty import jsonio
from pos_loyalty.rules.postings import adjustment_posting
from pos_loyalty.services import bills, cards, open_replica
from support import make_bill

ROOT = Path(__file__).resolve().parents[2]
HOOKS = "/api/v1/webhooks"
EARN = "/api/v1/internal/cards/earn-points"
REDEEM = "/api/v1/internal/cards/redeem-points"
SECRET = "test-secret-of-the-pharmacy-0123"
#: The retry schedule at about 1/1,500 of real time: a 10-minute cap is 0.4 s, an hour 2.4 s,
#: and 24 hours of retries 6 s.
SCHEDULE = "base=0.05 cap=0.4 give-up=6 timeout=0.5 poll=0.05"
AN_HOUR = 2.4
D = Decimal
_names = itertools.count(1)
_phones = itertools.count(9_300_000_000)


# --- a receiver on 127.0.0.1 ------------------------------------------------------------------


class Receiver:
    """A notification bridge: checks each signature, keeps every delivery it accepted in the
    order they came; `down()` closes its port, `failing` answers 500, `slow` answers late."""

    def __init__(self, secret: str = SECRET) -> None:
        self.secret = secret.encode()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        self.accepted: list[dict] = []
        self.bad_signatures = 0
        self.failing = 0  # answer 500 to this many deliveries
        self.refused: set[str] = set()  # and to every delivery of these events
        self.slow = 0  # answer this many deliveries only after `delay` seconds
        self.delay = 1.0
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    def up(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                expected = "sha256=" + hmac.new(receiver.secret, raw, hashlib.sha256).hexdigest()
                with receiver.lock:
                    if not hmac.compare_digest(expected, self.headers.get("X-Loyalty-Signature", "")):
                        receiver.bad_signatures += 1
                        return self.answer(401)
                    event = jsonio.loads(raw)
                    if receiver.failing or event["type"] in receiver.refused:
                        receiver.failing -= 1 if receiver.failing else 0
                        return self.answer(500)
                    late = receiver.slow > 0
                    receiver.slow -= 1 if late else 0
                    receiver.accepted.append({"event": event, "headers": dict(self.headers)})
                if late:
                    time.sleep(receiver.delay)
                self.answer(200)

            def answer(self, status: int) -> None:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def down(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def events(self) -> list[dict]:
        """What a receiver that deduplicates by eventId keeps: each event once, as first received."""
        with self.lock:
            seen: dict[str, dict] = {}
            for delivery in self.accepted:
                seen.setdefault(delivery["event"]["eventId"], delivery["event"])
            return list(seen.values())

    def wait_for(self, count: int, timeout: float = 30.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.events()) >= count:
                time.sleep(0.2)  # anything more (it should not come) would come now
                return self.events()
            time.sleep(0.02)
        raise AssertionError(f"{len(self.events())} of {count} events came: {[e['type'] for e in self.events()]}")


@pytest.fixture
def receiver():
    made = Receiver().up()
    yield made
    made.down()


# --- a central service of this module's own, on a compressed clock ------------------------------


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def hooks_server(request, tmp_path_factory):
    """`central serve` with its own database (so no other server's worker sends its deliveries)."""
    folder = tmp_path_factory.mktemp(f"webhooks-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'central.sqlite3'}"
    else:
        url = request.getfixturevalue("pg_cluster").create_database("webhooks_tests")
    server = Server(url, folder / "serve.log", env={ENV: SCHEDULE})
    server.start()
    yield server
    server.stop()


@pytest.fixture
def pharmacy(hooks_server) -> TenantAccess:
    store = Store(hooks_server.database)
    made = create_tenant(store, f"Webhook Pharmacy {next(_names)}", sample_config=True)
    till = add_device(store, made.tenant_id, "Counter 1")
    yield TenantAccess(
        hooks_server, made.tenant_id, till.device_id, Client(hooks_server.base, made.admin_token),
        Client(hooks_server.base, till.token), Client(hooks_server.base, None), store,
    )
    store.dispose()


def register(pharmacy, url: str, events: list[str] | None = None, secret: str = SECRET) -> dict:
    answer = pharmacy.admin.post(HOOKS, {"url": url, "events": events or list(webhook_store.EVENTS), "secret": secret})
    assert answer.status_code == 201, answer.text
    return body(answer)


def new_card(pharmacy, number: str, referrer: str | None = None) -> dict:
    doc = {"customerName": f"Customer {number}", "customerPhone": str(next(_phones)), "cardNumber": number}
    if referrer:
        doc["referrerCardNumber"] = referrer
    answer = pharmacy.admin.post("/api/v1/cards", doc)
    assert answer.status_code == 201, answer.text
    return body(answer)


def earn(pharmacy, number: str, bill: str, amount: int = 1000) -> None:
    items = [{"categoryId": 2, "amount": amount}]  # General: 3%
    answer = pharmacy.device.post(EARN, {"cardNumber": number, "billId": bill, "billAmount": amount, "items": items})
    assert answer.status_code == 200, answer.text


def log_of(pharmacy, webhook_id: int) -> list[dict]:
    """The webhook's whole delivery log, newest first, page by page."""
    entries: list[dict] = []
    for page in itertools.count():
        answer = pharmacy.admin.get(f"{HOOKS}/{webhook_id}/deliveries", params={"page": page, "size": 500})
        assert answer.status_code == 200, answer.text
        entries += body(answer)["content"]
        if page + 1 >= body(answer)["totalPages"]:
            return entries


def settled(pharmacy, webhook_id: int, timeout: float = 20.0) -> list[dict]:
    """The log once nothing is pending any more."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log = log_of(pharmacy, webhook_id)
        if log and all(entry["status"] != "PENDING" for entry in log):
            return log
        time.sleep(0.05)
    raise AssertionError(f"still pending: {log_of(pharmacy, webhook_id)}")


def events_written(pharmacy) -> int:
    statement = select(func.count()).select_from(WebhookEvent).where(WebhookEvent.tenant_id == pharmacy.tenant_id)
    return pharmacy.store.run(lambda unit: unit.connection.execute(statement).scalar_one(), write=False)


# --- registering -------------------------------------------------------------------------------


def test_an_admin_registers_lists_and_deletes_webhooks_and_bad_ones_are_named(pharmacy, receiver):
    made = register(pharmacy, receiver.url, ["points.earned", "tier.changed", "points.earned"])
    assert made["events"] == ["points.earned", "tier.changed"] and made["deletedAt"] is None
    assert "secret" not in made and SECRET not in json.dumps(body(pharmacy.admin.get(HOOKS)))
    assert [hook["id"] for hook in body(pharmacy.admin.get(HOOKS))] == [made["id"]]
    refused = {
        "url": {"url": "ftp://example.com/", "events": ["points.earned"], "secret": SECRET},
        "events[0]": {"url": receiver.url, "events": ["points.spent"], "secret": SECRET},
        "events": {"url": receiver.url, "events": [], "secret": SECRET},
        "secret": {"url": receiver.url, "events": ["points.earned"], "secret": "short"},
        "headers": {"url": receiver.url, "events": ["points.earned"], "secret": SECRET, "headers": {}},
    }
    for field, request in refused.items():
        answer = pharmacy.admin.post(HOOKS, request)
        assert answer.status_code == 400 and body(answer)["error"]["field"] == field, answer.text
    assert pharmacy.device.post(HOOKS, {"url": receiver.url, "events": ["points.earned"], "secret": SECRET}).status_code == 403
    assert pharmacy.device.get(HOOKS).status_code == 403

    other = create_tenant(pharmacy.store, "Another Pharmacy", sample_config=True)
    stranger = Client(pharmacy.server.base, other.admin_token)
    assert body(stranger.get(HOOKS)) == []
    assert stranger.delete(f"{HOOKS}/{made['id']}").status_code == 404
    assert stranger.get(f"{HOOKS}/{made['id']}/deliveries").status_code == 404

    deleted = pharmacy.admin.delete(f"{HOOKS}/{made['id']}")
    assert deleted.status_code == 200 and body(deleted)["deletedAt"] is not None
    assert body(pharmacy.admin.delete(f"{HOOKS}/{made['id']}")) == body(deleted)
    assert body(pharmacy.admin.get(HOOKS)) == []
    new_card(pharmacy, "HOOK0001")
    assert events_written(pharmacy) == 0  # nobody wants it: nothing is written


# --- what is sent --------------------------------------------------------------------------------


def test_every_kind_of_event_is_delivered_signed_and_in_order_per_card(pharmacy, receiver):
    tiers = [{"name": "Bronze", "minLifetimePoints": 0}, {"name": "Silver", "minLifetimePoints": 100}]
    config = body(pharmacy.admin.get("/api/v1/card-config"))
    assert pharmacy.admin.put("/api/v1/card-config", {**config, "tiers": tiers}).status_code == 200
    webhook = register(pharmacy, receiver.url)
    only_tiers = Receiver().up()
    register(pharmacy, only_tiers.url, ["tier.changed"])
    try:
        new_card(pharmacy, "HOOK0101")
        new_card(pharmacy, "HOOK0102", referrer="HOOK0101")
        earn(pharmacy, "HOOK0102", "B-1")  # 30 points (General, 3%); the referrer 5 (0.5%)
        earn(pharmacy, "HOOK0102", "B-2", 4000)  # 120 more: 150 lifetime points, Silver
        returned = pharmacy.device.post(
            "/api/v1/internal/cards/return-points", {"billId": "B-2", "returnId": "R-1", "lines": [{"line": 0}]}
        )
        assert returned.status_code == 200, returned.text  # its 120 points taken back: Bronze again
        earn(pharmacy, "HOOK0102", "B-3", 4000)  # Silver again
        earn(pharmacy, "HOOK0102", "B-4", 4000)
        redeemed = pharmacy.device.post(REDEEM, {"cardNumber": "HOOK0102", "points": 100, "billId": "B-5", "billAmount": 500})
        assert redeemed.status_code == 200, redeemed.text
        refused = pharmacy.device.post(REDEEM, {"cardNumber": "HOOK0102", "points": 5000, "billId": "B-6"})
        assert refused.status_code == 422  # refused: nothing happened, nothing is told
        held = body(pharmacy.device.post(
            "/api/v1/internal/cards/hold", {"cardNumber": "HOOK0102", "points": 100, "billId": "WEB-1", "billAmount": 500}
        ))
        assert pharmacy.device.post(f"/api/v1/internal/cards/holds/{held['holdId']}/confirm").status_code == 200

        events = receiver.wait_for(17)
        assert len(events) == 17 and receiver.bad_signatures == 0
        by_card = defaultdict(list)
        for event in events:
            by_card[event["card"]["cardNumber"]].append((event["type"], event["data"]))
        assert by_card["HOOK0101"] == [
            ("card.issued", {}),
            ("points.earned", {"billId": "B-1", "points": D("5.00"), "referral": True}),
            ("points.earned", {"billId": "B-2", "points": D("20.00"), "referral": True}),
            ("points.returned", {"billId": "B-2", "pointsRefunded": D("0.00"), "pointsReversed": D("20.00")}),
            ("points.earned", {"billId": "B-3", "points": D("20.00"), "referral": True}),
            ("points.earned", {"billId": "B-4", "points": D("20.00"), "referral": True}),
        ]
        assert by_card["HOOK0102"] == [
            ("card.issued", {}),
            ("points.earned", {"billId": "B-1", "points": D("30.00"), "referral": False}),
            ("points.earned", {"billId": "B-2", "points": D("120.00"), "referral": False}),
            ("tier.changed", {"from": "Bronze", "to": "Silver"}),
            ("points.returned", {"billId": "B-2", "pointsRefunded": D("0.00"), "pointsReversed": D("120.00")}),
            ("tier.changed", {"from": "Silver", "to": "Bronze"}),
            ("points.earned", {"billId": "B-3", "points": D("120.00"), "referral": False}),
            ("tier.changed", {"from": "Bronze", "to": "Silver"}),
            ("points.earned", {"billId": "B-4", "points": D("120.00"), "referral": False}),
            ("points.redeemed", {"billId": "B-5", "points": D("100.00")}),
            ("points.redeemed", {"billId": "WEB-1", "points": D("100.00")}),
        ]
        last = events[-1]
        assert set(last) == {"eventId", "type", "occurredAt", "tenantId", "card", "data"}
        assert last["tenantId"] == pharmacy.tenant_id
        card = last["card"]
        assert (card["pointsBalance"], card["availableBalance"], card["heldPoints"], card["tier"]) == (
            D("70.00"), D("70.00"), D("0.00"), "Silver"
        )
        delivery = next(d for d in receiver.accepted if d["event"]["eventId"] == last["eventId"])
        assert delivery["headers"]["X-Loyalty-Event"] == "points.redeemed"
        assert delivery["headers"]["X-Loyalty-Event-Id"] == last["eventId"]
        assert [event["data"]["to"] for event in only_tiers.wait_for(3)] == ["Silver", "Bronze", "Silver"]
        log = settled(pharmacy, webhook["id"])
        assert len(log) == 17
        assert {(entry["status"], entry["attempts"], entry["lastStatusCode"]) for entry in log} == {("DELIVERED", 1, 200)}
    finally:
        only_tiers.down()


def test_a_till_bill_pushed_later_is_told_when_it_was_sold(pharmacy, receiver, tmp_path):
    register(pharmacy, receiver.url, ["card.issued", "points.earned"])
    till = open_replica(tmp_path / "till")
    try:
        number = cards.issue(till, name="Till Customer", phone=str(next(_phones))).card_number
        bills.finalize(till, number, make_bill((2, "1000.00")))
        sold = datetime.utcnow()
        time.sleep(0.5)
        pushed = pharmacy.device.post("/api/v1/sync/push", till_batch(till))
        assert pushed.status_code == 200 and {r["status"] for r in body(pushed)["results"]} == {"applied"}, pushed.text
        events = receiver.wait_for(2)
        assert [(e["type"], e["card"]["cardNumber"]) for e in events] == [("card.issued", number), ("points.earned", number)]
        occurred = datetime.fromisoformat(events[1]["occurredAt"].rstrip("Z"))
        assert occurred <= sold + timedelta(seconds=0.2)  # when it was sold, not when it was pushed
    finally:
        till.close()


def test_an_event_is_written_only_if_what_caused_it_is(pharmacy, receiver):
    register(pharmacy, receiver.url, ["points.earned"])
    new_card(pharmacy, "HOOK0201")

    def earn_then_fail(unit):
        card = by_number(unit, "HOOK0201", lock=True)
        postings = Postings(unit)
        postings.post(adjustment_posting(card, 100_00, "opening"), performed_by="test", device_id=None)
        postings.flush()
        raise RuntimeError("the request fails after its rows were written")

    with pytest.raises(RuntimeError):
        pharmacy.store.run(earn_then_fail, write=True, tenant_id=pharmacy.tenant_id)
    assert events_written(pharmacy) == 0
    earn(pharmacy, "HOOK0201", "B-1")
    assert [e["data"]["billId"] for e in receiver.wait_for(1)] == ["B-1"]


def test_points_expiring_in_a_week_and_points_expired_are_told_once(pharmacy, receiver):
    config = body(pharmacy.admin.get("/api/v1/card-config"))
    assert pharmacy.admin.put("/api/v1/card-config", {**config, "pointsExpiryDays": 30}).status_code == 200
    register(pharmacy, receiver.url, ["points.expiring", "points.expired"])
    new_card(pharmacy, "HOOK0301")

    def lots(unit):
        card = by_number(unit, "HOOK0301", lock=True)
        postings = Postings(unit)
        for amount, age in ((200_00, 35), (50_00, 25), (70_00, 1)):  # expired, in 5 days, in 29 days
            posting = adjustment_posting(card, amount, "older points")
            postings.post(posting, performed_by="test", device_id=None, created_at=datetime.utcnow() - timedelta(days=age))
        postings.flush()

    pharmacy.store.run(lots, write=True, tenant_id=pharmacy.tenant_id)
    assert webhook_store.notify_expiring_all(pharmacy.store) >= 1
    assert webhook_store.notify_expiring_all(pharmacy.store) == 0  # the next day's run finds it told
    expire_all(pharmacy.store)
    events = receiver.wait_for(2)
    assert [(e["type"], e["data"]["points"]) for e in events] == [("points.expiring", D("50.00")), ("points.expired", D("200.00"))]
    expires = datetime.fromisoformat(events[0]["data"]["expiresAt"].rstrip("Z"))
    assert timedelta(days=4) < expires - datetime.utcnow() < timedelta(days=6)


# --- faults at the receiver -------------------------------------------------------------------


def test_a_receiver_answering_500_gets_the_event_again_until_it_takes_it(pharmacy, receiver):
    webhook = register(pharmacy, receiver.url, ["card.issued"])
    receiver.failing = 3
    new_card(pharmacy, "HOOK0401")
    assert len(receiver.wait_for(1)) == 1
    [entry] = settled(pharmacy, webhook["id"])
    assert (entry["status"], entry["attempts"], entry["lastStatusCode"]) == ("DELIVERED", 4, 200)


def test_a_slow_receiver_gets_a_duplicate_that_its_event_id_removes(pharmacy, receiver):
    webhook = register(pharmacy, receiver.url, ["card.issued"])
    receiver.slow = 1  # takes the first delivery, but answers after the service stopped waiting
    new_card(pharmacy, "HOOK0501")
    deadline = time.monotonic() + 20
    while len(receiver.accepted) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(receiver.accepted) == 2 and len(receiver.events()) == 1
    [entry] = settled(pharmacy, webhook["id"])
    assert (entry["status"], entry["attempts"]) == ("DELIVERED", 2)


def test_a_receiver_down_for_an_hour_misses_nothing_once_it_is_back(pharmacy, receiver):
    webhook = register(pharmacy, receiver.url, ["card.issued", "points.earned"])
    receiver.down()
    numbers = [f"HOOK06{index:02d}" for index in range(5)]
    for number in numbers:
        new_card(pharmacy, number)
    for round_ in range(4):
        for number in numbers:
            earn(pharmacy, number, f"{number}-{round_}", 100 * (round_ + 1))
    time.sleep(AN_HOUR)
    waiting = log_of(pharmacy, webhook["id"])
    assert len(waiting) == 25 and {entry["status"] for entry in waiting} == {"PENDING"}
    assert {entry["lastError"] for entry in waiting if entry["attempts"]} == {"could not connect to the receiver"}
    receiver.up()  # the same port, as after a restart
    events = receiver.wait_for(25)
    assert len(events) == 25 and receiver.bad_signatures == 0
    for number in numbers:
        mine = [(e["type"], e["data"].get("billId")) for e in events if e["card"]["cardNumber"] == number]
        assert mine == [("card.issued", None)] + [("points.earned", f"{number}-{n}") for n in range(4)]
    assert {entry["status"] for entry in settled(pharmacy, webhook["id"])} == {"DELIVERED"}


def test_a_delivery_is_given_up_after_a_day_and_its_card_goes_on(pharmacy, receiver):
    webhook = register(pharmacy, receiver.url, ["card.issued", "points.earned"])
    receiver.refused = {"card.issued"}  # the receiver fails on this one event, whatever happens
    new_card(pharmacy, "HOOK0701")
    earn(pharmacy, "HOOK0701", "B-1")
    time.sleep(AN_HOUR)
    assert receiver.events() == []  # the card's second event waits for its first
    events = receiver.wait_for(1)  # "24 hours" after its event, the first is given up
    assert [e["type"] for e in events] == ["points.earned"]
    log = settled(pharmacy, webhook["id"])
    assert [(entry["type"], entry["status"]) for entry in log] == [("points.earned", "DELIVERED"), ("card.issued", "FAILED")]
    assert log[1]["lastStatusCode"] == 500 and log[1]["attempts"] > 3


def test_a_deleted_webhook_gets_nothing_more(pharmacy, receiver):
    webhook = register(pharmacy, receiver.url, ["card.issued"])
    receiver.down()
    new_card(pharmacy, "HOOK0801")
    assert pharmacy.admin.delete(f"{HOOKS}/{webhook['id']}").status_code == 200
    receiver.up()
    time.sleep(1.0)
    assert receiver.events() == []
    assert [entry["status"] for entry in log_of(pharmacy, webhook["id"])] == ["CANCELLED"]


# --- the example receiver of contrib/ ---------------------------------------------------------


def test_the_example_receiver_checks_signatures_and_handles_each_event_once(pharmacy, tmp_path):
    port = free_port()
    inbox = tmp_path / "received.sqlite3"
    example = subprocess.Popen(
        [sys.executable, str(ROOT / "contrib" / "webhook_receiver.py"), "--port", str(port), "--secret", SECRET, "--db", str(inbox)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                requests.post(url, data=b"{}", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        register(pharmacy, url, ["card.issued", "points.earned"])
        new_card(pharmacy, "HOOK0901")
        earn(pharmacy, "HOOK0901", "B-1")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and _handled(inbox) < 2:
            time.sleep(0.05)
        assert _handled(inbox) == 2
        event_body = sqlite3.connect(inbox).execute("SELECT body FROM events WHERE type = 'points.earned'").fetchone()[0].encode()
        headers = {"X-Loyalty-Signature": sign(SECRET, event_body), "Content-Type": "application/json"}
        assert requests.post(url, data=event_body, headers=headers, timeout=5).status_code == 200  # again: skipped
        forged = {**headers, "X-Loyalty-Signature": sign("another-secret-entirely", event_body)}
        assert requests.post(url, data=event_body, headers=forged, timeout=5).status_code == 401
        assert _handled(inbox) == 2
    finally:
        example.terminate()
        out, _err = example.communicate(timeout=10)
    assert out.splitlines() == [
        "card.issued card HOOK0901: {}",
        'points.earned card HOOK0901: {"billId": "B-1", "points": "30.00", "referral": false}',
    ]


def _handled(inbox: Path) -> int:
    if not inbox.exists():
        return 0
    with sqlite3.connect(inbox) as db:
        try:
            return db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        except sqlite3.OperationalError:
            return 0


# --- the soak (pytest -m slow) -------------------------------------------------------------------

#: The retry schedule at 1/120 of real time: an hour is 30 s, the 10-minute cap 5 s, a day 12 minutes.
SOAK_SCHEDULE = "base=0.042 cap=5 give-up=720 timeout=2 poll=0.25"


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_soak_a_receiver_down_for_an_hour_then_flapping_and_a_crashed_service(backend, request, tmp_path):
    """Four billing clients earn on 100 cards while the receiver is down for an "hour", then
    it answers 500 in bursts and late at times, and the service is killed once mid-way:
    every event comes, once after deduplication, in order per card."""
    url = (
        f"sqlite:///{tmp_path / 'central.sqlite3'}"
        if backend == "sqlite"
        else request.getfixturevalue("pg_cluster").create_database("webhooks_soak")
    )
    server = Server(url, tmp_path / "serve.log", env={ENV: SOAK_SCHEDULE})
    server.start()
    receiver = Receiver()
    store = Store(url)
    try:
        made = create_tenant(store, "Soak Pharmacy", sample_config=True)
        device = add_device(store, made.tenant_id, "Web shop")
        pharmacy = TenantAccess(
            server, made.tenant_id, device.device_id, Client(server.base, made.admin_token),
            Client(server.base, device.token), Client(server.base, None), store,
        )
        webhook = register(pharmacy, receiver.url, ["card.issued", "points.earned"])
        numbers = [f"SOAK{index:04d}" for index in range(100)]
        for number in numbers:
            new_card(pharmacy, number)

        def billing_client(lane: int) -> None:
            client = Client(server.base, device.token)
            for round_ in range(5):
                for number in numbers[lane::4]:
                    items = [{"categoryId": 2, "amount": 100 + round_}]
                    bill = {"cardNumber": number, "billId": f"{number}-{round_}", "billAmount": 100 + round_, "items": items}
                    answer = client.post(EARN, bill)
                    assert answer.status_code == 200, answer.text

        clients = [threading.Thread(target=billing_client, args=(lane,)) for lane in range(4)]
        for thread in clients:
            thread.start()
        time.sleep(30)  # "an hour" down
        for thread in clients:
            thread.join()
        receiver.up()
        receiver.failing = 50
        time.sleep(5)
        server.process.kill()  # mid-way: what was sent but not yet recorded goes again
        server.process.wait(10)
        server.start()
        receiver.slow, receiver.delay = 20, 3.0
        time.sleep(5)
        receiver.failing = 30
        events = receiver.wait_for(600, timeout=600)
        assert len(events) == 600 and receiver.bad_signatures == 0
        for number in numbers:
            mine = [(e["type"], e["data"].get("billId")) for e in events if e["card"]["cardNumber"] == number]
            assert mine == [("card.issued", None)] + [("points.earned", f"{number}-{n}") for n in range(5)]
        log = settled(pharmacy, webhook["id"], timeout=120)
        assert len(log) == 600 and {entry["status"] for entry in log} == {"DELIVERED"}
        print(f"\n{len(receiver.accepted)} deliveries for {len(events)} events "
              f"({len(receiver.accepted) - len(events)} duplicates removed by eventId)")
    finally:
        receiver.down()
        server.stop()
        store.dispose()
