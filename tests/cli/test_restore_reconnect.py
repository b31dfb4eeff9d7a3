"""A till restored from its backup on a new PC: the backup holds no device token, so the
till says how to connect again; it connects as the same device (never as another), and
the central service ends with every sale exactly once."""

from __future__ import annotations

import json
from decimal import Decimal

from central.store.tenants import add_device, create_tenant
from central_harness import Client, body
from cli_runs import ok_json, run
from support import dump_replica


def test_a_restored_till_reconnects_with_a_new_token_of_its_own_device(sqlite_central, tmp_path):
    server, store = sqlite_central
    tenant = create_tenant(store, "Restored Pharmacy", sample_config=True)
    counter = add_device(store, tenant.tenant_id, "Counter 1")
    old_pc = tmp_path / "old-pc"
    card = ok_json(old_pc, "card", "issue", "--name", "Ravi Restored", "--phone", "9000000901")["cardNumber"]
    ok_json(old_pc, "card", "adjust", card, "300", "--reason", "welcome")
    ok_json(old_pc, "connect", server.base, "--token", counter.token)
    ok_json(old_pc, "bill", "finalize", "--card", card, "--item", "2:1000", "--bill-id", "B-1")
    ok_json(old_pc, "sync", "--once")
    ok_json(old_pc, "bill", "finalize", "--card", card, "--item", "2:500", "--bill-id", "B-2")  # not yet sent
    saved = tmp_path / "usb" / "till.sqlite3"
    saved.parent.mkdir()
    ok_json(old_pc, "backup", str(saved))
    assert counter.token.encode() not in saved.read_bytes()

    # The old PC's disk dies; the backup goes onto a new PC.
    new_pc = tmp_path / "new-pc"
    restored = ok_json(new_pc, "restore", str(saved))
    assert restored["pendingMutations"] == 1 and not (new_pc / "central-token").exists()
    status = ok_json(new_pc, "status")
    assert status["tokenMissing"] is True and status["centralUrl"] == server.base
    device_id = status["deviceId"]
    said = run(new_pc, "status").stdout
    assert "NOT syncing: this till has no device token here" in said and status["online"] is False
    waiting = run(new_pc, "sync", "--once", "--json")
    assert waiting.returncode == 2, waiting.stderr
    error = json.loads(waiting.stderr)["error"]
    assert error["code"] == "TOKEN_MISSING"
    assert f"pos-loyalty connect {server.base} --token TOKEN" in error["message"]
    assert f"central device-token --tenant {tenant.tenant_id} --device {device_id}" in error["message"]

    # Another till's token is refused: as another device its sales would reach the service twice.
    before = dump_replica_at(new_pc)
    other = add_device(store, tenant.tenant_id, "Counter 2")
    refused = run(new_pc, "connect", server.base, "--token", other.token, "--json")
    assert refused.returncode == 2 and json.loads(refused.stderr)["error"]["code"] == "OTHER_DEVICE"
    assert dump_replica_at(new_pc) == before and not (new_pc / "central-token").exists()

    minted = ok_json(new_pc, "central", "device-token", "--db", server.database, "--tenant", str(tenant.tenant_id),
                     "--device", device_id)
    assert minted["revoked"] == 1 and minted["name"] == "Counter 1" and minted["deviceToken"] != counter.token
    connected = ok_json(new_pc, "connect", server.base, "--token", minted["deviceToken"])
    assert connected["deviceId"] == device_id and connected["pushed"]["applied"] == 1  # B-2, once
    ok_json(new_pc, "bill", "finalize", "--card", card, "--item", "2:100", "--bill-id", "B-3")
    assert ok_json(new_pc, "sync", "--once")["pushed"]["applied"] == 1

    admin = Client(server.base, tenant.admin_token)
    on_server = body(admin.get(f"/api/v1/cards/by-number/{card}"))
    # 300 + 3 % of 1,000 + 500 + 100 = 348.00, once each, on the service and the restored till alike
    assert on_server["pointsBalance"] == ok_json(new_pc, "card", "show", card)["pointsBalance"] == Decimal("348.00")
    rows = body(admin.get(f"/api/v1/cards/{on_server['id']}/transactions", params={"size": 100}))
    bills = sorted(row["referenceId"] for row in rows["content"] if row["transactionType"] == "EARNED")
    assert bills == ["B-1", "B-2", "B-3"]


def dump_replica_at(folder):  # type: ignore[no-untyped-def]
    class At:
        path = folder / "replica.sqlite3"

    return dump_replica(At)
