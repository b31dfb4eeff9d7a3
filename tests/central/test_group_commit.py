"""SQLite's group commit (`central/store/group_commit.py`) through the real service.

Sixteen earn-points calls at once on one `central serve` over SQLite, so that those which
queue while a transaction runs share the next one, each in its own savepoint: the refused
among them (an unknown card, an `Idempotency-Key` already used for another bill) get their
own error codes and write nothing, a replay gets the first answer again, and every other
call is applied exactly once, its card's balance moved by exactly what it answered.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from central.store.db import Store
from central.store.tenants import add_device, create_tenant
from central_data import EARN, card, error, issue, ledger_holds, own, rows
from central_harness import Client, Server, TenantAccess, body

CARDS = [f"GC{i:03d}" for i in range(5)]
CALLS = 16
ROUNDS = 4


@pytest.fixture(scope="module")
def sqlite_tenant(tmp_path_factory):
    folder = tmp_path_factory.mktemp("group-commit")
    server = Server(f"sqlite:///{folder / 'central.sqlite3'}", folder / "serve.log")
    server.start()
    store = Store(server.database)
    try:
        made = create_tenant(store, "Group commit pharmacy", sample_config=True)
        till = add_device(store, made.tenant_id, "Counter 1")
        yield TenantAccess(
            server=server,
            tenant_id=made.tenant_id,
            device_id=till.device_id,
            admin=Client(server.base, made.admin_token),
            device=Client(server.base, till.token),
            anonymous=Client(server.base, None),
            store=store,
        )
    finally:
        store.dispose()
        server.stop()


def _earn(number: str, bill: str, amount: int) -> dict:
    return {"cardNumber": number, "billId": bill, "billAmount": amount, "items": [{"categoryId": 2, "amount": amount}]}


def test_refused_calls_in_a_group_get_their_own_errors_and_the_others_apply_once(sqlite_tenant):
    tenant = sqlite_tenant
    for number in CARDS:
        issue(tenant, number, balance="100")
    opening = {number: card(tenant, number).points_balance for number in CARDS}
    used = tenant.device.post(EARN, _earn(CARDS[0], "USED-1", 7), headers={"Idempotency-Key": "used-key"})
    assert used.status_code == 200
    gained = {number: 0 for number in CARDS}
    gained[CARDS[0]] += int(body(used)["pointsEarned"] * 100)

    for round_ in range(ROUNDS):
        calls: list[tuple[str, dict, dict]] = []  # (what is expected, body, headers)
        for index in range(CALLS - 5):
            number = CARDS[index % len(CARDS)]
            calls.append(("applied", _earn(number, f"R{round_}-{index}", 10 + index), {"Idempotency-Key": f"k{round_}-{index}"}))
        calls.insert(3, ("CARD_NOT_FOUND", _earn("NOSUCH01", f"R{round_}-lost-1", 10), {}))
        calls.insert(8, ("CARD_NOT_FOUND", _earn("NOSUCH02", f"R{round_}-lost-2", 10), {}))
        calls.insert(5, ("IDEMPOTENCY_CONFLICT", _earn(CARDS[1], f"R{round_}-reused-1", 10), {"Idempotency-Key": "used-key"}))
        calls.insert(12, ("IDEMPOTENCY_CONFLICT", _earn(CARDS[2], f"R{round_}-reused-2", 10), {"Idempotency-Key": "used-key"}))
        calls.insert(1, ("replayed", _earn(CARDS[0], "USED-1", 7), {"Idempotency-Key": "used-key"}))
        assert len(calls) == CALLS
        start = threading.Barrier(CALLS)

        def send(call: tuple[str, dict, dict]):
            client = own(tenant.device)
            start.wait()
            return client.post(EARN, call[1], headers=dict(call[2]))

        with ThreadPoolExecutor(CALLS) as pool:
            answers = list(pool.map(send, calls))

        for (expected, doc, _headers), answer in zip(calls, answers):
            if expected == "applied":
                assert answer.status_code == 200, answer.text
                assert "Idempotent-Replayed" not in answer.headers
                earned = body(answer)
                assert earned["billId"] == doc["billId"] and earned["cardNumber"] == doc["cardNumber"]
                gained[doc["cardNumber"]] += int(earned["pointsEarned"] * 100)
                bill_rows = rows(tenant, reference_id=doc["billId"])
                assert [row.transaction_type for row in bill_rows] == ["EARNED"]  # applied once
                assert bill_rows[0].points == int(earned["pointsEarned"] * 100)
            elif expected == "replayed":
                assert answer.status_code == 200 and answer.headers["Idempotent-Replayed"] == "true"
                assert answer.content == used.content
            else:
                status = 404 if expected == "CARD_NOT_FOUND" else 409
                assert answer.status_code == status, answer.text
                assert error(answer)["code"] == expected
                assert rows(tenant, reference_id=doc["billId"]) == []  # nothing of it written

    assert len(rows(tenant, reference_id="USED-1")) == 1
    for number in CARDS:
        assert card(tenant, number).points_balance == opening[number] + gained[number]
        assert gained[number] > 0
        ledger_holds(tenant, number)
    # Each applied call's answer is kept for its key: sent again, it is answered again, not applied.
    again = tenant.device.post(EARN, _earn(CARDS[0], "R0-0", 10), headers={"Idempotency-Key": "k0-0"})
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert card(tenant, CARDS[0]).points_balance == opening[CARDS[0]] + gained[CARDS[0]]
    assert Decimal(str(body(again)["pointsEarned"])) > 0


def test_units_a_long_group_leaves_for_the_next_run_there_and_are_answered_once():
    """A group that stops taking units (it ran GROUP_SECONDS) puts the rest back: they run in
    the next group and get their own answers, never 'interrupted' while still to run."""
    from central.store.group_commit import GroupCommit

    ran: list[int] = []
    entered = threading.Event()
    release = threading.Event()

    def transaction(units):
        outcomes = []
        for work, _tenant in units[:1]:  # as if the first unit took the whole GROUP_SECONDS
            outcomes.append(("ok", work(None)))
        return outcomes

    group = GroupCommit(transaction)

    def unit(number: int):
        def work(_unit):
            if number == 0:
                entered.set()
                release.wait(5)  # the others queue up meanwhile
            ran.append(number)
            return number * 10

        return work

    with ThreadPoolExecutor(8) as pool:
        first = pool.submit(group.run, unit(0), None)
        entered.wait(5)
        others = [pool.submit(group.run, unit(n), None) for n in range(1, 8)]
        release.set()
        answers = [first.result(10)] + [future.result(10) for future in others]
    assert answers == [n * 10 for n in range(8)]
    assert sorted(ran) == list(range(8))  # each ran once
