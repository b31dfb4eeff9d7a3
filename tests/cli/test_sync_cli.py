"""`pos-loyalty connect` and `pos-loyalty sync` as a till operator runs them, against a real central service."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from central.store.db import Store
from cli_runs import ok_json, run
from central.store.tenants import add_device, create_tenant
from central_harness import Client, body
from pgcluster import free_port



@pytest.fixture
def central(sqlite_central):
    return sqlite_central


@pytest.fixture
def pharmacy(central):
    server, store = central
    tenant = create_tenant(store, "CLI Sync Pharmacy", sample_config=True)
    till = add_device(store, tenant.tenant_id, "Counter 1")
    return server, tenant, till


def test_connect_sells_and_syncs(pharmacy, tmp_path):
    server, tenant, till = pharmacy
    data = tmp_path / "till"
    # Sales made before the till was connected go up when it connects.
    card = ok_json(data, "card", "issue", "--name", "Before Connect", "--phone", "9000000101")["cardNumber"]
    ok_json(data, "card", "adjust", card, "300", "--reason", "welcome")
    connected = ok_json(data, "connect", server.base, "--token", till.token)
    assert connected["pushed"]["applied"] == 2 and connected["deviceName"] == "Counter 1"
    assert connected["tenantId"] == str(tenant.tenant_id)

    ok_json(data, "bill", "finalize", "--card", card, "--item", "2:1000", "--redeem", "100")
    status = ok_json(data, "status")
    assert status["pendingMutations"] == 1 and status["online"] is True

    synced = ok_json(data, "sync", "--once")
    assert synced["pushed"]["applied"] == 1
    assert ok_json(data, "status")["pendingMutations"] == 0

    admin = Client(server.base, tenant.admin_token)
    on_server = body(admin.get(f"/api/v1/cards/by-number/{card}"))
    # 300 - 100 redeemed + 3 % of the 990.00 paid = 229.70, on the till and on the server alike
    assert on_server["pointsBalance"] == ok_json(data, "card", "show", card)["pointsBalance"] == Decimal("229.70")
    # A card issued now takes its number from the block the server gave this till.
    fresh = ok_json(data, "card", "issue", "--name", "After Connect", "--phone", "9000000102")["cardNumber"]
    assert fresh.startswith("29")


def test_connect_with_a_refused_token_or_no_server_changes_nothing(pharmacy, tmp_path):
    server, _tenant, _till = pharmacy
    data = tmp_path / "till"
    refused = run(data, "connect", server.base, "--token", "plt_not-a-token", "--json")
    assert refused.returncode == 2 and json.loads(refused.stderr)["error"]["code"] == "TOKEN_REFUSED"
    nowhere = run(data, "connect", f"http://127.0.0.1:{free_port()}", "--token", "plt_x")
    assert nowhere.returncode == 1 and "could not be reached" in nowhere.stderr and "Traceback" not in nowhere.stderr
    bad_url = run(data, "connect", "ftp://somewhere", "--token", "plt_x", "--json")
    assert bad_url.returncode == 2 and json.loads(bad_url.stderr)["error"]["field"] == "url"
    assert ok_json(data, "status")["centralUrl"] is None


def test_sync_before_connect_is_a_clear_user_error(tmp_path):
    done = run(tmp_path / "till", "sync", "--once", "--json")
    assert done.returncode == 2 and json.loads(done.stderr)["error"]["code"] == "NOT_CONNECTED"


def test_a_till_of_one_pharmacy_cannot_connect_to_another(central, tmp_path):
    server, store = central
    first = create_tenant(store, "First", sample_config=True)
    second = create_tenant(store, "Second", sample_config=True)
    data = tmp_path / "till"
    ok_json(data, "connect", server.base, "--token", add_device(store, first.tenant_id, "T").token)
    done = run(data, "connect", server.base, "--token", add_device(store, second.tenant_id, "T").token, "--json")
    assert done.returncode == 2 and json.loads(done.stderr)["error"]["code"] == "OTHER_TENANT"


def test_status_shows_what_the_server_rejected(pharmacy, tmp_path):
    server, _tenant, till = pharmacy
    data = tmp_path / "till"
    ok_json(data, "connect", server.base, "--token", till.token)
    # A card the server has never heard of (pre-printed, issued here, its card.issued lost):
    # simulate by finalizing on a card whose issue was rejected server-side (duplicate number).
    number = ok_json(data, "card", "issue", "--name", "Clash", "--phone", "9000000201", "--number", "4006381333931")["cardNumber"]
    other = tmp_path / "other"
    other_till = add_device(Store(server.database), _tenant.tenant_id, "Counter 2")
    ok_json(other, "connect", server.base, "--token", other_till.token)
    ok_json(other, "card", "issue", "--name", "Clash Too", "--phone", "9000000202", "--number", number)
    ok_json(other, "sync", "--once")
    synced = run(data, "sync", "--once", "--json")
    assert synced.returncode == 2  # synced, but not up to date
    assert json.loads(synced.stderr)["error"]["rejected"][0]["kind"] == "card.issued"
    text = run(data, "status")
    assert "NOT up to date" in text.stdout and "DUPLICATE_CARD" in text.stdout
    assert f"New card {number} for Clash" in text.stdout
    assert ok_json(data, "status")["rejectedMutations"] == 1


def test_pushes_of_the_largest_bills_stay_under_the_central_services_body_limit(pharmacy, tmp_path):
    """Six bills of MAX_LINES lines (about 215 kB each) are more than the service's 1 MiB
    body limit together: the till sends them in pushes within its byte budget."""
    from pos_loyalty.rules import bill_from_json
    from pos_loyalty.rules.bill import MAX_LINES
    from pos_loyalty.services import bills, open_replica
    from sync.daemon import Syncer
    from sync.protocol import PUSH_BYTES
    from sync.transport import CentralService

    server, tenant, till = pharmacy
    data = tmp_path / "till"
    card = ok_json(data, "card", "issue", "--name", "Many Lines", "--phone", "9000000301")["cardNumber"]
    ok_json(data, "connect", server.base, "--token", till.token)
    replica = open_replica(data)
    lines = [{"categoryId": 1 + i % 4, "quantity": "2", "unitPrice": f"{10 + i % 90}.25"} for i in range(MAX_LINES)]
    for number in range(6):
        bills.finalize(replica, card, bill_from_json({"items": lines}), bill_id=f"BIG-{number}")

    sizes: list[int] = []

    class Recording(CentralService):
        def push(self, mutations):  # type: ignore[no-untyped-def]
            from pos_loyalty import jsonio

            sizes.append(len(jsonio.dumps({"mutations": mutations}).encode()))
            return super().push(mutations)

    central = Recording(server.base, till.token)
    try:
        report = Syncer(replica, central).round()
    finally:
        central.close()
        replica.close()
    assert report.pushed["applied"] == 6 and report.pushed["rejected"] == 0
    assert sum(sizes) > 2**20 and len(sizes) >= 3 and max(sizes) <= PUSH_BYTES
    admin = Client(server.base, tenant.admin_token)
    on_server = body(admin.get(f"/api/v1/cards/by-number/{card}"))
    assert on_server["pointsBalance"] == ok_json(data, "card", "show", card)["pointsBalance"] > 0


def test_one_mutation_larger_than_the_budget_is_still_sent_alone(replica):
    from pos_loyalty.services import outbox

    with replica.writing() as uow:
        outbox.append(uow, "card.adjusted", {"note": "x" * 5000}, config_version=1)
        outbox.append(uow, "card.adjusted", {"note": "y" * 10}, config_version=1)
        outbox.append(uow, "card.adjusted", {"note": "z" * 10}, config_version=1)
        uow.commit()
    with replica.reading() as uow:
        assert [m["deviceSeq"] for m in outbox.batch(uow, from_seq=1, limit=10, max_bytes=1000)] == [1]
        assert [m["deviceSeq"] for m in outbox.batch(uow, from_seq=2, limit=10, max_bytes=1000)] == [2, 3]
        assert [m["deviceSeq"] for m in outbox.batch(uow, from_seq=2, limit=1, max_bytes=1000)] == [2]
        assert len(outbox.batch(uow, from_seq=1, limit=10)) == 3  # no budget: the count alone
